"""`omnistock bench store`'s pure half and its tap loop: the orders and stock it sends are valid
contract events, each flow taps the SPEC17 actions in order, a tap counts from its POST to the first
read of the order that shows it, failures are counted apart, and the table reads per action."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from core.network import LocationKind
from omnistock.bench.store_app import bench_network_path
from omnistock.bench.store_flows import (
    FLOWS,
    REROUTED,
    STORE,
    Flow,
    Step,
    Timing,
    action_body,
    action_path,
    flow_of,
    placed_order,
    problems,
    reached,
    rows,
    sku_of,
    stock_receipts,
    table,
)
from omnistock.bench.store_taps import take_through, tap
from omnistock.network_file import load_network
from topics.events import StockReceipt
from topics.order_events import OrderEvent


class FakeClock:
    """Time moves only when the loop sleeps or calls the API (1 ms a call)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedStore:
    """An API whose order shows each action after `reads_until_seen` reads of it, answering a POST
    with `post_status` (202 by default) and counting what it was sent."""

    def __init__(self, clock: FakeClock, reads_until_seen: int = 3, post_status: int = 202) -> None:
        self.clock, self.reads_until_seen, self.post_status = clock, reads_until_seen, post_status
        self.status, self.pending, self.reads_left = "REQUESTED", "REQUESTED", 0
        self.posts: list[tuple[str, dict[str, Any] | None]] = []
        self.location = STORE

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        self.clock.now += 0.001
        if method == "POST":
            self.posts.append((path, body))
            if self.post_status != 202:
                return self.post_status, {"error": "action_not_allowed", "message": "no"}
            action = path.rsplit("/", 1)[1]
            step = next(s for steps in FLOWS.values() for s in steps if s.action == action)
            self.pending, self.reads_left = step.expect, self.reads_until_seen
            return 202, {"event_id": f"store:o-1-1:{step.expect}", "duplicate": False}
        if self.reads_left > 0:
            self.reads_left -= 1
            if self.reads_left == 0:
                self.status = self.pending
        shipments = [{"shipment_id": "o-1-1", "location_id": STORE, "status": self.status}]
        if self.status == REROUTED:
            shipments = [
                {"shipment_id": "o-1-1", "location_id": STORE, "status": "REJECTED"},
                {"shipment_id": "o-1-2", "location_id": "ST-2", "status": "REQUESTED"},
            ]
        return 200, {"order_id": "o-1", "shipments": shipments}


def test_the_three_flows_come_in_turn_with_the_actions_of_spec17() -> None:
    assert [flow_of(n) for n in range(6)] == [Flow.PICKUP, Flow.SHIP, Flow.REJECT] * 2
    assert [s.action for s in FLOWS[Flow.PICKUP]] == ["accept", "picked", "ready", "collected"]
    assert [s.expect for s in FLOWS[Flow.PICKUP]] == ["ACCEPTED", "PICKED", "READY_FOR_PICKUP", "COLLECTED"]
    assert [s.action for s in FLOWS[Flow.SHIP]] == ["accept", "picked", "shipped"]
    assert FLOWS[Flow.REJECT] == (Step("reject", REROUTED),)


def test_the_orders_are_valid_placed_orders_click_and_collect_at_the_store_or_home() -> None:
    pickup, home = placed_order("r1", 0, 1_700_000_000_000), placed_order("r1", 1, 1_700_000_000_000)

    for order in (pickup, home):
        OrderEvent.model_validate_json(orjson.dumps(order))
    assert pickup["delivery"] == {"method": "CLICK_COLLECT", "pickup_location_id": STORE}
    assert home["delivery"]["method"] == "HOME_STANDARD"
    assert pickup["lines"][0]["sku"] != home["lines"][0]["sku"]  # a sku of its own per order


def test_every_orders_sku_is_received_at_every_node_in_valid_receipts() -> None:
    receipts = stock_receipts("r1", 450, 1_700_000_000_000)

    for receipt in receipts:
        StockReceipt.model_validate_json(orjson.dumps(receipt))
    held = {(r["location_id"], line["sku"]) for r in receipts for line in r["lines"]}
    assert held == {(node, sku_of("r1", n)) for node in ("ST-1", "ST-2", "WH-1") for n in range(450)}
    assert len({r["event_id"] for r in receipts}) == len(receipts)


def test_the_bench_network_ranks_the_timed_store_first_with_no_capacity_limit() -> None:
    network = load_network(bench_network_path())
    store = network.locations[STORE]

    assert store.kind is LocationKind.STORE
    assert store.daily_pick_capacity is None
    assert network.routing.rule_sets[network.routing.default].location_ranks[STORE] == 0
    assert all((loc.accept_sla_minutes or 0) >= 60 for loc in network.locations.values())


def test_each_action_posts_to_the_store_route_with_the_body_it_needs() -> None:
    assert action_path("o-1-1", "accept") == "/v1/stores/ST-1/shipments/o-1-1/accept"
    assert action_body("o-1-1", "accept") is None
    assert action_body("o-1-1", "reject") == {"reason": "NOT_FOUND"}
    tracking = action_body("x" * 80, "shipped")
    assert tracking is not None
    assert 1 <= len(tracking["tracking_number"]) <= 64


def test_a_status_is_reached_by_its_shipment_and_a_reroute_by_a_shipment_elsewhere() -> None:
    order = {"shipments": [{"shipment_id": "o-1-1", "location_id": STORE, "status": "ACCEPTED"}]}
    assert reached(order, "o-1-1", "ACCEPTED")
    assert not reached(order, "o-1-1", "PICKED")
    assert not reached(order, "o-1-1", REROUTED)
    order["shipments"].append({"shipment_id": "o-1-2", "location_id": "ST-2", "status": "REQUESTED"})
    assert reached(order, "o-1-1", REROUTED)


def test_a_tap_counts_from_its_post_to_the_first_read_that_shows_it() -> None:
    clock = FakeClock()
    api = ScriptedStore(clock, reads_until_seen=3)

    timing = tap(api, Flow.SHIP, "o-1", "o-1-1", Step("accept", "ACCEPTED"), 0.005, 10.0, clock, clock.sleep)

    assert timing.problem is None
    assert timing.answered_s == pytest.approx(0.001)
    assert timing.seen_s == pytest.approx(0.001 + 3 * 0.001 + 2 * 0.005)  # the POST, 3 reads, 2 waits


def test_a_refused_tap_or_one_never_seen_is_a_failure_that_says_why() -> None:
    clock = FakeClock()
    picked = Step("picked", "PICKED")
    refused = tap(ScriptedStore(clock, post_status=409), Flow.PICKUP, "o-1", "o-1-1", picked)
    never = tap(
        ScriptedStore(clock, reads_until_seen=10_000), Flow.SHIP, "o-1", "o-1-1",
        Step("accept", "ACCEPTED"), 0.005, 1.0, clock, clock.sleep,
    )  # fmt: skip

    assert (refused.seen_s, refused.problem) == (None, "click & collect picked: 409 action_not_allowed")
    assert (never.seen_s, never.problem) == (None, "home accept: not seen in 1 s")


def test_an_order_is_taken_through_every_step_of_its_flow_and_stops_at_a_failure() -> None:
    clock = FakeClock()
    api = ScriptedStore(clock)

    timings = take_through(api, "r1", 0, 0.005, 10.0, clock, clock.sleep)  # order 0: click & collect

    assert [t.action for t in timings] == ["accept", "picked", "ready", "collected"]
    assert all(t.seen_s is not None for t in timings)
    assert [path.rsplit("/", 1)[1] for path, _ in api.posts] == ["accept", "picked", "ready", "collected"]
    failing = ScriptedStore(clock, post_status=503)
    assert len(take_through(failing, "r1", 1, 0.005, 10.0, clock, clock.sleep)) == 1


def test_a_rejection_is_seen_when_the_order_has_a_shipment_at_another_node() -> None:
    clock = FakeClock()
    api = ScriptedStore(clock)

    timings = take_through(api, "r1", 2, 0.005, 10.0, clock, clock.sleep)  # order 2: reject

    assert [(t.action, t.problem) for t in timings] == [("reject", None)]
    assert api.posts == [("/v1/stores/ST-1/shipments/o-1-1/reject", {"reason": "NOT_FOUND"})]


def test_the_table_gives_p50_and_p99_per_action_with_failures_apart() -> None:
    taps = [Timing(Flow.SHIP, "accept", 0.002, (k + 1) / 1000) for k in range(100)]
    taps.append(Timing(Flow.SHIP, "accept", 0.002, None, "home accept: not seen in 10 s"))
    taps.append(Timing(Flow.REJECT, "reject", 0.003, 0.250))

    found = rows(taps)

    assert [(r.flow, r.action, r.count, r.failed) for r in found] == [
        (Flow.SHIP, "accept", 101, 1),
        (Flow.REJECT, "reject", 1, 0),
    ]
    assert (found[0].p50_ms, found[0].p99_ms, found[0].max_ms) == pytest.approx((50.0, 99.0, 100.0))
    assert found[0].answer_p50_ms == pytest.approx(2.0)
    lines = table(found).splitlines()
    assert lines[0].split() == ["flow", "action", "taps", "202", "p50", "p50", "p99", "max", "failed"]
    assert lines[1].split() == ["home", "accept", "101", "2.0", "50.0", "99.0", "100.0", "1"]
    assert problems(taps) == ["1 x home accept: not seen in 10 s"]
