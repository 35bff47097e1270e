"""The KPIs of a replay run, from its final orders and its fulfillment requests, and the comparison table.

Definitions (a shipment counts when it is live at the end: it has lines and was not rejected, expired
or cancelled; rejected ones are counted apart as re-routed):
  outcome      per order: CANCELLED; else UNFULFILLABLE (nothing placed), BACKORDERED, PARTIALLY_ROUTED
               (some line given up), ROUTED. SHIPPED and COMPLETED orders count as ROUTED or
               PARTIALLY_ROUTED by their lines.
  parcels      live shipments per order that has at least one (parcels = shipments, as routed)
  cost, CO2e   sums of cost_cents (pick + carriage) and co2e_grams of the live shipments' requests
  promise miss the order's last live parcel is promised later than the order's promise. The events
               carry no promised date, so the promise is what the live rules promised when the order
               was first routed (the latest promised date of that first decision): the date the
               customer saw at checkout. Live misses come from re-routes; draft misses from slower
               plans. Orders with no promise or no live shipment are not counted (see unfulfillable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.allocation import OrderStatus
from core.order_types import Order, ShipmentStatus, Unplaced

STORE_KINDS = frozenset({"STORE", "DARK_STORE"})


@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    value: float
    decimals: int = 0  # how it prints
    percent: bool = False


def outcome(order: Order) -> str:
    if order.status is OrderStatus.CANCELLED:
        return OrderStatus.CANCELLED.value
    why = set(order.unplaced.values())
    if not any(s.live for s in order.shipments) and Unplaced.BACKORDERED not in why:
        return OrderStatus.UNFULFILLABLE.value
    if Unplaced.BACKORDERED in why:
        return OrderStatus.BACKORDERED.value
    if Unplaced.UNFULFILLABLE in why:
        return OrderStatus.PARTIALLY_ROUTED.value
    return OrderStatus.ROUTED.value


def kpis(
    orders: Mapping[str, Order],
    requests: Mapping[str, Mapping[str, Any]],
    promises: Mapping[str, int],
    kinds: Mapping[str, str],
) -> list[Kpi]:
    """The run's KPIs; `promises` are the reference dates per order, `kinds` the node kind per location."""
    outcomes = [outcome(order) for order in orders.values()]
    live = {order_id: [s for s in order.shipments if s.live] for order_id, order in orders.items()}
    shipments = [s for found in live.values() for s in found]
    served = [found for found in live.values() if found]
    sent = [requests.get(s.shipment_id, {}) for s in shipments]
    cost = sum(r.get("cost_cents") or 0 for r in sent) / 100
    misses = sum(
        1
        for order_id, found in live.items()
        if found and max(_latest(requests, s.shipment_id) for s in found) > promises.get(order_id, _NEVER)
    )
    stores = sum(1 for s in shipments if kinds.get(s.location_id) in STORE_KINDS)
    rejected = sum(s.status is ShipmentStatus.REJECTED for order in orders.values() for s in order.shipments)
    return [
        Kpi("orders", len(orders)),
        *(Kpi(f"  {status.lower()}", outcomes.count(status)) for status in _OUTCOMES),
        Kpi("parcels per routed order", _ratio(len(shipments), len(served)), 2),
        Kpi("split orders", _ratio(sum(1 for f in served if len(f) > 1), len(served)) * 100, 1, True),
        Kpi("cost (EUR)", cost, 2),
        Kpi("cost per routed order (EUR)", _ratio(cost, len(served)), 2),
        Kpi("CO2e (kg)", sum(r.get("co2e_grams") or 0 for r in sent) / 1000, 2),
        Kpi("promised-date misses", misses),
        Kpi("unfulfillable orders", outcomes.count(OrderStatus.UNFULFILLABLE.value)),
        Kpi("parcels from stores", _ratio(stores, len(shipments)) * 100, 1, True),
        Kpi("re-routed shipments", rejected),
    ]


_NEVER = 2**62  # no promise to miss
_OUTCOMES = ("ROUTED", "PARTIALLY_ROUTED", "BACKORDERED", "UNFULFILLABLE", "CANCELLED")


def _latest(requests: Mapping[str, Mapping[str, Any]], shipment_id: str) -> int:
    return int(requests.get(shipment_id, {}).get("promised_latest") or 0)


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def table(live: list[Kpi], draft: list[Kpi], titles: tuple[str, str] = ("live", "draft")) -> str:
    """KPI | live | draft | change, aligned for a terminal."""
    rows = [("KPI", *titles, "change")]
    for a, b in zip(live, draft, strict=True):
        rows.append((a.name, _show(a, a.value), _show(a, b.value), _change(a, a.value, b.value)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _show(kpi: Kpi, value: float) -> str:
    return f"{value:.{kpi.decimals}f}" + ("%" if kpi.percent else "")


def _change(kpi: Kpi, live: float, draft: float) -> str:
    delta = draft - live
    if round(delta, kpi.decimals) == 0:
        return "="
    shown = f"{delta:+.{kpi.decimals}f}" + (" pts" if kpi.percent else "")
    if kpi.percent or not live:
        return shown
    return f"{shown} ({delta / abs(live) * 100:+.0f}%)"
