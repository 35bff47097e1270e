"""Routing a batch of orders on the in-memory store: atomic allocation, races re-planned, holds, backorder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from core.allocation import OrderLine
from core.geo import Place
from core.movements import AdjustOnHand, Allocate, Command, MovementResult, OnHandDelta, SetHold
from core.order_lifecycle import new_order
from core.routing_rules import DEFAULT_RULES
from core.routing_types import Delivery, DeliveryMethod
from state.memory import InMemoryStockStore
from state.memory_order_store import InMemoryOrderStore
from state.pick_capacity import CapacityClaim
from streams.order_routing import BatchCapacity, OrderRouter, RouteRequest
from tests.support.promise_network import PARIS_CUSTOMER, network, prepared, utc

Views = tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]
NOW_MS = int(utc(17, 9).timestamp() * 1000)  # Tue 10:00 in Paris
HOME = Delivery(DeliveryMethod.HOME_STANDARD, PARIS_CUSTOMER)
PREPARED = prepared()


def _store(**stock: int) -> InMemoryStockStore:
    """`WH=3` puts 3 units of sku A at WH."""
    store = InMemoryStockStore(lambda: network())
    deltas = tuple(OnHandDelta(location, units) for location, units in stock.items())
    store.apply([AdjustOnHand("seed", "A", NOW_MS - 1000, deltas)], NOW_MS)
    return store


def _request(order_id: str, quantity: int = 1, cart_id: str | None = None, lines: int = 1) -> RouteRequest:
    wanted = tuple(OrderLine(f"l{n}", "A", quantity) for n in range(1, lines + 1))
    return RouteRequest(
        new_order(order_id, wanted, "HOME_STANDARD"), wanted, HOME, None, cart_id, None, f"ev-{order_id}"
    )


def _router(store: object, partial: bool = True) -> OrderRouter:
    return OrderRouter(store, lambda: PREPARED, lambda: DEFAULT_RULES, lambda _: 3_600_000, partial)  # type: ignore[arg-type]


def _capacity(**used: int) -> BatchCapacity:
    """No line picked yet today but `used` (location -> lines), on a fresh order store."""
    return BatchCapacity(InMemoryOrderStore(), network().local_days(NOW_MS), used)


def _allocated(store: InMemoryStockStore, location_id: str) -> int:
    stock = store.read_sync(["A"])["A"]
    return next(loc.allocated for loc in stock.locations if loc.location_id == location_id)


def test_orders_of_one_batch_never_take_the_same_unit_twice() -> None:
    store = _store(WH=1)

    routed, used, _ = _router(store).route([_request("O1"), _request("O2")], _capacity(), NOW_MS)

    first, second = (entry.rounds[-1][1] for entry in routed)
    assert [s.location_id for s in first.shipments] == ["WH"]
    assert second.shipments == ()
    assert second.unroutable == ("l1",)
    assert _allocated(store, "WH") == 1
    assert used == {"WH": 1}


class _StaleReads:
    """A store whose reads show units another worker has just taken (a race between read and write)."""

    def __init__(self, store: InMemoryStockStore, stale: Views) -> None:
        self.store, self.stale = store, stale

    def atp_views(self, skus: Sequence[str]) -> Views:
        if self.stale:
            stale, self.stale = self.stale, ()
            return stale
        return self.store.atp_views(skus)

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        return self.store.apply(movements, now_ms)

    def cart_holds(self, carts: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
        return self.store.cart_holds(carts)


def test_a_line_refused_by_the_store_is_routed_again_on_a_fresh_read() -> None:
    store = _store(WH=2, SHOP=2)
    before = store.atp_views(["A"])
    store.apply([AdjustOnHand("sold-elsewhere", "A", NOW_MS - 500, (OnHandDelta("WH", -2),))], NOW_MS)

    routed, _, _ = _router(_StaleReads(store, before)).route(
        [_request("O1", quantity=2)], _capacity(), NOW_MS
    )

    rounds = routed[0].rounds
    assert len(rounds) == 2
    assert rounds[0][1].shipments == ()  # WH looked best, the store refused it
    assert [s.location_id for s in rounds[1][1].shipments] == ["SHOP"]
    assert _allocated(store, "WH") == 0
    assert _allocated(store, "SHOP") == 2


def test_the_orders_own_cart_holds_count_as_available_to_it() -> None:
    store = _store(WH=1)
    store.apply([SetHold("h1", "CART-1", "A", "WH", 1, 900_000)], NOW_MS)

    routed, _, _ = _router(store).route([_request("O1", cart_id="CART-1")], _capacity(), NOW_MS)

    assert [s.location_id for s in routed[0].rounds[-1][1].shipments] == ["WH"]
    assert _allocated(store, "WH") == 1


def test_a_backorder_sku_waits_at_the_nearest_warehouse_and_others_are_unroutable() -> None:
    store = _store(SHOP=0)
    store.set_backorder("A", True)

    routed, _, _ = _router(store).route([_request("O1")], _capacity(), NOW_MS)

    result = routed[0].rounds[-1][1]
    assert result.backordered == ("l1",)
    assert [s.location_id for s in result.shipments] == ["WH"]
    assert _allocated(store, "WH") == 1


def test_without_partial_routing_an_order_missing_a_line_keeps_nothing() -> None:
    store = _store(WH=1)
    wanted = (OrderLine("l1", "A", 1), OrderLine("l2", "B", 1))
    request = replace(_request("O1"), lines=wanted, order=new_order("O1", wanted, "HOME_STANDARD"))

    routed, _, _ = _router(store, partial=False).route([request], _capacity(), NOW_MS)

    result = routed[0].rounds[-1][1]
    assert result.shipments == ()
    assert result.unroutable == ("l1", "l2")
    assert _allocated(store, "WH") == 0


def test_capacity_used_today_keeps_a_full_node_out() -> None:
    store = _store(WH=1, SHOP=1)
    full = replace(network().locations["WH"], daily_pick_capacity=10)
    router = OrderRouter(
        store,
        lambda: prepared(full),
        lambda: DEFAULT_RULES,
        lambda _: 3_600_000,  # type: ignore[arg-type]
    )

    routed, used, _ = router.route([_request("O1")], _capacity(WH=10), NOW_MS)

    assert [s.location_id for s in routed[0].rounds[-1][1].shipments] == ["SHOP"]
    assert used == {"SHOP": 1}


def test_a_line_no_service_can_take_to_the_customer_is_unroutable_even_for_a_backorder_sku() -> None:
    store = _store(WH=3)
    store.set_backorder("A", True)
    far = Delivery(DeliveryMethod.HOME_STANDARD, Place(-21.1, 55.5, "Indian/Reunion"))  # 9,000 km

    routed, _, _ = _router(store).route([replace(_request("O1"), delivery=far)], _capacity(), NOW_MS)

    result = routed[0].rounds[-1][1]
    assert (result.shipments, result.backordered, result.unroutable) == ((), (), ("l1",))
    assert _allocated(store, "WH") == 0


def test_a_decision_names_every_node_once_as_candidate_or_as_ineligible_for_the_method() -> None:
    from core.network import Capability, LocationKind
    from core.routing_types import decision_dict
    from tests.support.promise_network import location

    pickup_only = location("ST-PICK", LocationKind.STORE, capabilities=frozenset({Capability.PICKUP}))
    with_store = prepared(pickup_only)
    store = _store(WH=1)
    router = OrderRouter(store, lambda: with_store, lambda: DEFAULT_RULES, lambda _: 3_600_000)  # type: ignore[arg-type]

    routed, _, _ = router.route([_request("O1")], _capacity(), NOW_MS)

    as_dict: Any = decision_dict(routed[0].rounds[-1][0])
    candidates = [c["location_id"] for c in as_dict["candidates"]]
    ineligible = [node for group in as_dict["ineligible"] for node in group["location_ids"]]
    assert sorted(candidates) == ["SHOP", "WH"]
    assert ineligible == ["ST-PICK"]  # no SHIP: it cannot serve a home delivery at all
    assert "SHIP" in as_dict["ineligible"][0]["reason"]


def test_two_orders_with_the_same_cart_in_one_batch_get_their_own_decision_ids() -> None:
    store = _store(WH=5)
    same_cart = [_request("O1"), _request("O2")]

    routed, _, _ = _router(store).route(same_cart, _capacity(), NOW_MS)
    again, _, _ = _router(_store(WH=5)).route(same_cart, _capacity(), NOW_MS)

    ids = [entry.rounds[-1][0].decision_id for entry in routed]
    assert ids[0] != ids[1]
    assert ids == [entry.rounds[-1][0].decision_id for entry in again]  # replayed: the same ids


def test_a_line_an_earlier_attempt_allocated_elsewhere_is_released_and_routed_again() -> None:
    store = _store(WH=1, SHOP=1)
    # a worker that crashed before saving the order had allocated its line at WH, under the same ids
    store.apply([Allocate("ev-O1:alloc:0:l1", "O1", "l1", "A", "WH", 1)], NOW_MS)

    (entry,) = _router(store).route([_request("O1")], _capacity(), NOW_MS + 500)[0]

    first, last = entry.rounds[0][1], entry.rounds[-1][1]
    assert first.shipments == ()  # WH looked sold out, SHOP was planned, and the store said DUPLICATE
    (shipment,) = last.shipments
    assert _allocated(store, shipment.location_id) == 1
    assert _allocated(store, "WH") + _allocated(store, "SHOP") == 1


def _limited(limit: int) -> OrderRouter:
    wh = replace(network().locations["WH"], daily_pick_capacity=limit)
    return OrderRouter(_store(WH=3, SHOP=3), lambda: prepared(wh), lambda: DEFAULT_RULES, lambda _: 3_600_000)  # type: ignore[arg-type]


def test_a_line_refused_the_nodes_last_capacity_is_routed_again_elsewhere() -> None:
    router = _limited(1)
    orders = InMemoryOrderStore()
    capacity = BatchCapacity(orders, network().local_days(NOW_MS), {})  # read before another worker's take
    day = network().local_days(NOW_MS)["WH"]
    orders.take_capacity([CapacityClaim(day, "WH", 1, ("other-worker",))])

    (entry,) = router.route([_request("O1")], capacity, NOW_MS)[0]

    first, last = entry.rounds[0][1], entry.rounds[-1][1]
    assert [s.location_id for s in first.shipments] == []
    assert _reasons(entry.rounds[0][0])["l1"].startswith(
        "lost a race for l1 at WH: refused by its daily pick"
    )
    assert [s.location_id for s in last.shipments] == ["SHOP"]
    assert orders.capacity_used({"WH": day, "SHOP": day}) == {"WH": 1, "SHOP": 1}


def test_a_line_whose_allocation_is_refused_gives_its_capacity_back() -> None:
    store = _store(WH=2)
    before = store.atp_views(["A"])
    store.apply([AdjustOnHand("sold-elsewhere", "A", NOW_MS - 500, (OnHandDelta("WH", -2),))], NOW_MS)
    orders = InMemoryOrderStore()
    capacity = BatchCapacity(orders, network().local_days(NOW_MS), {})

    routed, _, _ = _router(_StaleReads(store, before)).route([_request("O1")], capacity, NOW_MS)

    assert routed[0].rounds[0][1].shipments == ()
    day = network().local_days(NOW_MS)["WH"]
    assert orders.capacity_used({"WH": day}) == {"WH": 0}


def test_two_lines_of_one_sku_take_what_the_node_has_for_one_and_leave_the_other_unrouted() -> None:
    store = _store(WH=5)

    routed, _, _ = _router(store).route([_request("O1", quantity=5, lines=2)], _capacity(), NOW_MS)

    decision, result = routed[0].rounds[-1]
    ((location_id, lines, service),) = [
        (s.location_id, [line.line_id for line in s.lines], s.carrier_service) for s in decision.shipments
    ]
    assert (location_id, lines, service) == ("WH", ["l1"], "home_standard")
    assert (result.backordered, result.unroutable) == ((), ("l2",))
    assert "other lines of the same sku" in decision.unrouted[0].reason
    assert _allocated(store, "WH") == 5


def test_without_partial_routing_a_bundle_the_node_cannot_serve_whole_keeps_nothing() -> None:
    store = _store(WH=5)

    routed, _, _ = _router(store, partial=False).route(
        [_request("O1", quantity=5, lines=2)], _capacity(), NOW_MS
    )

    result = routed[0].rounds[-1][1]
    assert (result.shipments, result.backordered, result.unroutable) == ((), (), ("l1", "l2"))
    assert _allocated(store, "WH") == 0


def _reasons(decision: Any) -> dict[str, str]:
    return {item.line.line_id: item.reason for item in decision.unrouted}


def test_a_round_lost_to_a_race_says_which_line_was_refused_by_whom_and_ships_nothing_it_lost() -> None:
    store = _store(WH=2, SHOP=2)
    before = store.atp_views(["A"])
    store.apply([AdjustOnHand("sold-elsewhere", "A", NOW_MS - 500, (OnHandDelta("WH", -2),))], NOW_MS)

    routed, _, _ = _router(_StaleReads(store, before)).route(
        [_request("O1", quantity=2)], _capacity(), NOW_MS
    )

    lost, won = (decision for decision, _ in routed[0].rounds)
    assert lost.shipments == ()
    assert _reasons(lost)["l1"].startswith("lost a race for l1 at WH: refused by the allocation")
    assert not any(c.chosen for c in lost.candidates)
    assert [s.location_id for s in won.shipments] == ["SHOP"]


class _AlwaysStale(_StaleReads):
    """Every read shows the units another worker took: every round is lost."""

    def atp_views(self, skus: Sequence[str]) -> Views:
        return dict(self.stale[0]), dict(self.stale[1])  # copies: the router takes from its views


def test_when_every_round_is_lost_the_last_decision_says_the_line_ended_unroutable() -> None:
    store = _store(WH=2)
    before = store.atp_views(["A"])
    store.apply([AdjustOnHand("sold-elsewhere", "A", NOW_MS - 500, (OnHandDelta("WH", -2),))], NOW_MS)

    routed, _, _ = _router(_AlwaysStale(store, before)).route([_request("O1")], _capacity(), NOW_MS)

    decision, result = routed[0].rounds[-1]
    assert (decision.shipments, result.unroutable) == ((), ("l1",))
    assert _reasons(decision)["l1"].endswith("no round left: unroutable")


def test_without_partial_routing_the_last_decision_says_what_was_released_and_why() -> None:
    store = _store(WH=1)
    wanted = (OrderLine("l1", "A", 1), OrderLine("l2", "B", 1))
    request = replace(_request("O1"), lines=wanted, order=new_order("O1", wanted, "HOME_STANDARD"))

    routed, _, _ = _router(store, partial=False).route([request], _capacity(), NOW_MS)

    ((decision, _),) = routed[0].rounds
    assert decision.shipments == ()
    assert _reasons(decision)["l1"] == "released: partial routing is off and l2 could not be routed"
    assert _reasons(decision)["l2"] == "no node has the ATP for the whole line"
    assert not any(c.chosen for c in decision.candidates)
