"""What `omnistock bench store` does to each order, and how it reports: the pure half of the bench.

Orders come in three flows, in turn: click & collect at the store (accept, picked, ready, collected),
home delivery from the store (accept, picked, shipped), and a NOT_FOUND rejection whose order the
worker re-routes to another node. Each step is a store action POSTed as the associate's tap
(SPEC17 item 3) and a condition on GET /v1/orders/{id} that says the tap has taken effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from omnistock.bench.latency import percentile

STORE, OTHER_STORE, WAREHOUSE = "ST-1", "ST-2", "WH-1"  # omnistock/data/bench_store_network.yaml
NODES = (STORE, OTHER_STORE, WAREHOUSE)
REROUTED = "REROUTED"  # the expectation of a rejection: a shipment of the order at another node
UNITS_PER_NODE = 5  # of each order's own sku at each node
RECEIPT_LINES = 200


class Flow(StrEnum):
    PICKUP = "click & collect"
    SHIP = "home"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Step:
    """One tap: POST `action`, then GET the order until its shipment shows `expect`."""

    action: str
    expect: str  # a shipment status, or REROUTED


FLOWS: Mapping[Flow, tuple[Step, ...]] = {
    Flow.PICKUP: (
        Step("accept", "ACCEPTED"),
        Step("picked", "PICKED"),
        Step("ready", "READY_FOR_PICKUP"),
        Step("collected", "COLLECTED"),
    ),
    Flow.SHIP: (Step("accept", "ACCEPTED"), Step("picked", "PICKED"), Step("shipped", "SHIPPED")),
    Flow.REJECT: (Step("reject", REROUTED),),
}
ORDER_OF_FLOWS = (Flow.PICKUP, Flow.SHIP, Flow.REJECT)


def flow_of(n: int) -> Flow:
    """The flow of the n-th order: the three in turn, so a short run still times every action."""
    return ORDER_OF_FLOWS[n % len(ORDER_OF_FLOWS)]


def sku_of(run: str, n: int) -> str:
    """Each order has a sku of its own: a NOT_FOUND correcting on hand leaves the next orders alone."""
    return f"BENCH-{run}-{n:05d}"


def order_id_of(run: str, n: int) -> str:
    return f"bst-{run}-{n:05d}"


def placed_order(run: str, n: int, occurred_at_ms: int) -> dict[str, Any]:
    """orders.v1 PLACED: one line of the order's sku; click & collect at ST-1, else home to Paris."""
    order_id = order_id_of(run, n)
    delivery: dict[str, Any] = (
        {"method": "CLICK_COLLECT", "pickup_location_id": STORE}
        if flow_of(n) is Flow.PICKUP
        else {"method": "HOME_STANDARD", "postcode": "75011"}
    )
    return {
        "event_id": f"{order_id}-placed",
        "occurred_at": occurred_at_ms,
        "order_id": order_id,
        "type": "PLACED",
        "channel": "web",
        "lines": [{"line_id": "l1", "sku": sku_of(run, n), "quantity": 1}],
        "delivery": delivery,
    }


def stock_receipts(run: str, orders: int, occurred_at_ms: int) -> list[dict[str, Any]]:
    """stock.receipts.v1: every order's sku at every node (ST-2 and WH-1 take a re-routed order),
    RECEIPT_LINES lines to an event."""
    lines = [{"sku": sku_of(run, n), "quantity": UNITS_PER_NODE} for n in range(orders)]
    return [
        {
            "event_id": f"bst-{run}-receipt-{node}-{start}",
            "occurred_at": occurred_at_ms,
            "location_id": node,
            "lines": lines[start : start + RECEIPT_LINES],
            "reference": f"bench-store-{run}",
        }
        for node in NODES
        for start in range(0, len(lines), RECEIPT_LINES)
    ]


def action_path(shipment_id: str, action: str) -> str:
    return f"/v1/stores/{STORE}/shipments/{shipment_id}/{action}"


def action_body(shipment_id: str, action: str) -> dict[str, Any] | None:
    """The body of a tap: a reason for reject, a tracking number for shipped, none otherwise."""
    if action == "reject":
        return {"reason": "NOT_FOUND"}
    if action == "shipped":
        return {"tracking_number": f"TRK-{shipment_id}"[:64]}
    return None


def store_shipment(order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The order's shipment at ST-1 (GET /v1/orders/{id}'s body), None before it is routed there."""
    return next((s for s in order.get("shipments") or () if s.get("location_id") == STORE), None)


def reached(order: Mapping[str, Any], shipment_id: str, expect: str) -> bool:
    """Whether the order (GET /v1/orders/{id}'s body) shows the step taken."""
    shipments = order.get("shipments") or ()
    if expect == REROUTED:
        return any(s.get("location_id") != STORE and s.get("shipment_id") != shipment_id for s in shipments)
    return any(s.get("shipment_id") == shipment_id and s.get("status") == expect for s in shipments)


@dataclass(frozen=True, slots=True)
class Timing:
    """One tap: the POST's answer time and the time until the order showed it (None: it never did)."""

    flow: Flow
    action: str
    answered_s: float
    seen_s: float | None
    problem: str | None = None  # why it failed: an HTTP status and error code, or a timeout


@dataclass(frozen=True, slots=True)
class Row:
    flow: Flow
    action: str
    count: int
    failed: int
    answer_p50_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def rows(timings: Sequence[Timing]) -> list[Row]:
    """One row per (flow, action) in the flows' order: percentiles of the taps that were seen."""
    out = []
    for flow in ORDER_OF_FLOWS:
        for step in FLOWS[flow]:
            mine = [t for t in timings if t.flow is flow and t.action == step.action]
            if not mine:
                continue
            seen = sorted(t.seen_s for t in mine if t.seen_s is not None)
            answered = sorted(t.answered_s for t in mine if t.seen_s is not None)
            out.append(
                Row(
                    flow,
                    step.action,
                    len(mine),
                    len(mine) - len(seen),
                    percentile(answered, 50) * 1000,
                    percentile(seen, 50) * 1000,
                    percentile(seen, 99) * 1000,
                    (seen[-1] * 1000) if seen else 0.0,
                )
            )
    return out


def table(found: Sequence[Row]) -> str:
    """The rows as a fixed-width table (ms): tap -> 202, and tap -> the new status read back."""
    head = f"{'flow':16}{'action':11}{'taps':>6}{'202 p50':>9}{'p50':>8}{'p99':>8}{'max':>8}{'failed':>8}"
    lines = [head]
    for r in found:
        lines.append(
            f"{r.flow.value:16}{r.action:11}{r.count:6d}{r.answer_p50_ms:9.1f}{r.p50_ms:8.1f}"
            f"{r.p99_ms:8.1f}{r.max_ms:8.1f}{r.failed:8d}"
        )
    return "\n".join(lines)


def problems(timings: Sequence[Timing], shown: int = 5) -> list[str]:
    """The kinds of failure (each names its flow and action), most frequent first, with their counts."""
    failed = [t for t in timings if t.problem]
    counts: dict[str, int] = {}
    for t in failed:
        counts[t.problem or ""] = counts.get(t.problem or "", 0) + 1
    return [f"{n} x {problem}" for problem, n in sorted(counts.items(), key=lambda kv: -kv[1])[:shown]]
