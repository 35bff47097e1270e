"""The hold and allocation contract: one suite run against the in-memory fake and the Redis store."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import EventsRefused
from core.movements import (
    AdjustOnHand,
    Allocate,
    Command,
    MovementResult,
    OnHandDelta,
    Outcome,
    RecordCount,
    ReleaseAllocation,
    ReleasedHold,
    ReleaseHold,
    RenewCart,
    SetHold,
    ShipAllocation,
)
from core.promise_atp import channel_atp
from state.memory import InMemoryStockStore
from tests.contract.conftest import NETWORK, STORES

pytestmark = pytest.mark.parametrize("store", STORES, indirect=True)

T0 = 1_767_225_600_000
NOW = T0 + 60_000
TTL = 900_000
SKU = "SKU-1"


def receive(store: Any, location_id: str, quantity: int, event_id: str = "r1") -> None:
    store.apply([AdjustOnHand(event_id, SKU, T0, (OnHandDelta(location_id, quantity),))], NOW)


def run(store: Any, *commands: Command, now: int = NOW) -> list[MovementResult]:
    results: list[MovementResult] = store.apply(list(commands), now)
    return results


def hold(event_id: str, cart: str, quantity: int, location_id: str | None = "WH1") -> SetHold:
    return SetHold(event_id, cart, SKU, location_id, quantity, TTL)


def at(store: Any, location_id: str) -> tuple[int, int, int, int]:
    """(on_hand, reserved, allocated, atp) of one location as read back."""
    stock = store.read_sync([SKU])[SKU]
    (found,) = [s for s in stock.locations if s.location_id == location_id]
    return found.on_hand, found.reserved, found.allocated, found.atp


def network(store: Any) -> tuple[int, int]:
    """(reserved, atp) of the network as read back."""
    stock = store.read_sync([SKU])[SKU].network
    return stock.reserved, stock.atp


def test_a_hold_reserves_units_and_lowers_atp(store: Any) -> None:
    receive(store, "WH1", 10)
    (result,) = run(store, hold("h1", "C1", 3))
    assert (result.outcome, result.granted, result.network_atp) == (Outcome.APPLIED, 3, 7)
    assert [(f.location_id, f.reserved, f.atp) for f in result.locations] == [("WH1", 3, 7)]
    assert at(store, "WH1") == (10, 3, 0, 7)


def test_a_smaller_line_total_releases_the_difference(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, hold("h1", "C1", 5))
    (result,) = run(store, hold("h2", "C1", 2))
    assert (result.outcome, result.granted) == (Outcome.APPLIED, 2)
    assert at(store, "WH1") == (10, 2, 0, 8)


def test_a_hold_beyond_atp_is_trimmed_to_what_is_available(store: Any) -> None:
    receive(store, "WH1", 4)
    run(store, hold("h1", "C1", 3))
    (result,) = run(store, hold("h2", "C2", 5))
    assert (result.outcome, result.granted) == (Outcome.TRIMMED, 1)
    assert at(store, "WH1") == (4, 4, 0, 0)


def test_a_hold_with_nothing_available_is_refused_and_holds_nothing(store: Any) -> None:
    receive(store, "WH1", 2)
    run(store, hold("h1", "C1", 2))
    (result,) = run(store, hold("h2", "C2", 1))
    assert (result.outcome, result.granted) == (Outcome.REFUSED, 0)
    assert at(store, "WH1") == (2, 2, 0, 0)


def test_a_repeated_hold_event_changes_nothing(store: Any) -> None:
    receive(store, "WH1", 10)
    first, again = run(store, hold("h1", "C1", 3), hold("h1", "C1", 3))
    (later,) = run(store, hold("h1", "C1", 3), now=NOW + 5_000)
    assert (first.outcome, again.outcome, later.outcome) == (
        Outcome.APPLIED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    )
    assert (again.granted, again.locations) == (3, ())
    assert at(store, "WH1") == (10, 3, 0, 7)


def test_releasing_a_hold_gives_the_units_back_and_a_second_release_finds_nothing(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, hold("h1", "C1", 3))
    released, unknown = run(store, ReleaseHold("x1", "C1", SKU), ReleaseHold("x2", "C1", SKU))
    assert (released.outcome, released.granted) == (Outcome.APPLIED, 0)
    assert unknown.outcome is Outcome.NOT_FOUND
    assert at(store, "WH1") == (10, 0, 0, 10)


def test_a_network_hold_lowers_network_atp_but_no_location(store: Any) -> None:
    receive(store, "WH1", 10)
    (result,) = run(store, hold("h1", "C1", 4, None))
    assert (result.outcome, result.granted, result.locations, result.network_atp) == (
        Outcome.APPLIED,
        4,
        (),
        6,
    )
    assert at(store, "WH1") == (10, 0, 0, 10)
    assert network(store) == (4, 6)
    (trimmed,) = run(store, hold("h2", "C2", 9, None))
    assert (trimmed.outcome, trimmed.granted, trimmed.network_atp) == (Outcome.TRIMMED, 6, 0)


def test_a_location_hold_cannot_take_units_the_network_holds_promised(store: Any) -> None:
    receive(store, "WH1", 5)
    run(store, hold("h1", "C1", 5, None))
    (result,) = run(store, hold("h2", "C2", 1, "WH1"))
    assert result.outcome is Outcome.REFUSED


def test_a_hold_expires_once_its_ttl_has_passed(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, hold("h1", "C1", 3), hold("h2", "C2", 2, None))
    assert store.expire_holds(NOW + TTL - 1) == []
    (expired,) = store.expire_holds(NOW + TTL)
    assert expired.sku == SKU
    assert set(expired.released) == {ReleasedHold("C1", "WH1", 3), ReleasedHold("C2", None, 2)}
    assert [(f.location_id, f.reserved, f.atp) for f in expired.locations] == [("WH1", 0, 10)]
    assert expired.network_atp == 10
    assert store.expire_holds(NOW + TTL + 1) == []
    assert at(store, "WH1") == (10, 0, 0, 10)
    assert network(store) == (0, 10)


def test_any_cart_event_renews_all_of_its_holds(store: Any) -> None:
    receive(store, "WH1", 10)
    other = SetHold("h2", "C1", "SKU-2", None, 1, TTL)
    store.apply([AdjustOnHand("r2", "SKU-2", T0, (OnHandDelta("WH1", 5),))], NOW)
    run(store, hold("h1", "C1", 3), other)
    (renewal,) = run(store, RenewCart("e2", "C1", TTL), now=NOW + 600_000)
    assert (renewal.outcome, renewal.granted) == (Outcome.APPLIED, 2)
    assert store.expire_holds(NOW + TTL) == []
    assert {e.sku for e in store.expire_holds(NOW + 600_000 + TTL)} == {SKU, "SKU-2"}
    (nothing,) = run(store, RenewCart("e3", "C1", TTL), now=NOW + 700_000 + TTL)
    assert (nothing.outcome, nothing.granted) == (Outcome.APPLIED, 0)


def test_a_line_set_renewing_its_own_cart_answers_applied_and_its_redelivery_duplicate(store: Any) -> None:
    receive(store, "WH1", 10)
    line_set: list[Command] = [hold("e1", "C1", 2), RenewCart("e1", "C1", TTL)]
    first = run(store, *line_set)
    again = run(store, *line_set, now=NOW + 1_000)
    assert [(r.outcome, r.granted) for r in first] == [(Outcome.APPLIED, 2), (Outcome.APPLIED, 0)]
    assert [(r.outcome, r.granted) for r in again] == [(Outcome.DUPLICATE, 2), (Outcome.DUPLICATE, 0)]


def test_a_cart_event_renews_lines_set_in_earlier_batches_but_not_its_own(store: Any) -> None:
    receive(store, "WH1", 10)
    store.apply([AdjustOnHand("r2", "SKU-2", T0, (OnHandDelta("WH1", 5),))], NOW)
    run(store, hold("e1", "C1", 1), RenewCart("e1", "C1", TTL))
    other = SetHold("e2", "C1", "SKU-2", None, 3, TTL)
    both = run(store, other, RenewCart("e2", "C1", TTL), now=NOW + 100_000)
    assert [(r.outcome, r.granted) for r in both] == [(Outcome.APPLIED, 3), (Outcome.APPLIED, 1)]
    assert store.expire_holds(NOW + TTL) == []
    expired = store.expire_holds(NOW + 100_000 + TTL)
    assert {(e.sku, e.released) for e in expired} == {
        (SKU, (ReleasedHold("C1", "WH1", 1),)),
        ("SKU-2", (ReleasedHold("C1", None, 3),)),
    }


def test_a_cart_cleared_in_the_batch_that_set_its_line_lets_the_line_expire_now(store: Any) -> None:
    receive(store, "WH1", 10)
    results = run(store, hold("e1", "C1", 2), RenewCart("e1", "C1", TTL), RenewCart("e2", "C1", 0))
    assert [(r.outcome, r.granted) for r in results] == [
        (Outcome.APPLIED, 2),
        (Outcome.APPLIED, 0),
        (Outcome.APPLIED, 1),
    ]
    (expired,) = store.expire_holds(NOW)
    assert expired.released == (ReleasedHold("C1", "WH1", 2),)


def test_a_renewed_hold_set_again_keeps_its_new_expiry(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, hold("h1", "C1", 3))
    run(store, hold("h2", "C1", 4), now=NOW + 100_000)
    assert store.expire_holds(NOW + TTL) == []
    (expired,) = store.expire_holds(NOW + 100_000 + TTL)
    assert expired.released == (ReleasedHold("C1", "WH1", 4),)


def test_an_order_takes_over_its_carts_hold_without_rechecking_against_others(store: Any) -> None:
    receive(store, "WH1", 5)
    run(store, hold("h1", "C1", 3), hold("h2", "C2", 2))
    (result,) = run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 3, "C1"))
    assert (result.outcome, result.granted) == (Outcome.APPLIED, 3)
    assert at(store, "WH1") == (5, 2, 3, 0)
    assert store.expire_holds(NOW + TTL)[0].released == (ReleasedHold("C2", "WH1", 2),)


def test_an_order_takes_over_a_network_hold(store: Any) -> None:
    receive(store, "WH1", 3)
    run(store, hold("h1", "C1", 3, None))
    (result,) = run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 3, "C1"))
    assert result.outcome is Outcome.APPLIED
    assert network(store) == (0, 0)
    assert at(store, "WH1") == (3, 0, 3, 0)


def test_an_allocation_beyond_what_is_available_is_refused_and_changes_nothing(store: Any) -> None:
    receive(store, "WH1", 3)
    run(store, hold("h1", "C1", 1), hold("h2", "C2", 2))
    (result,) = run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 2, "C1"))
    assert (result.outcome, result.granted, result.locations) == (Outcome.REFUSED, 0, ())
    assert at(store, "WH1") == (3, 3, 0, 0)


def test_a_backorder_sku_may_be_allocated_beyond_on_hand_and_shows_zero_atp(store: Any) -> None:
    receive(store, "WH1", 2)
    store.set_backorder(SKU, True)
    (result,) = run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 5))
    assert (result.outcome, result.granted, result.network_atp) == (Outcome.APPLIED, 5, 0)
    assert at(store, "WH1") == (2, 0, 5, 0)
    store.set_backorder(SKU, False)
    (refused,) = run(store, Allocate("o2", "O2", "L1", SKU, "WH1", 1))
    assert refused.outcome is Outcome.REFUSED


def test_a_backorder_is_refused_where_the_sku_does_not_allow_it_even_with_the_units_there(store: Any) -> None:
    receive(store, "WH1", 5)
    (refused,) = run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 5, backorder=True))
    assert refused.outcome is Outcome.REFUSED
    assert at(store, "WH1") == (5, 0, 0, 5)
    store.set_backorder(SKU, True)
    (granted,) = run(store, Allocate("o2", "O1", "L1", SKU, "WH1", 5, backorder=True))
    assert granted.outcome is Outcome.APPLIED


def test_a_shipment_removes_allocated_and_on_hand_and_a_cancellation_releases_the_rest(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 4))
    (shipped,) = run(store, ShipAllocation("s1", "O1", "L1", SKU, "WH1", 3, T0 + 5))
    assert (shipped.outcome, shipped.granted) == (Outcome.APPLIED, 1)
    assert at(store, "WH1") == (7, 0, 1, 6)
    cancelled, again = run(
        store, ReleaseAllocation("c1", "O1", "L1", SKU), ReleaseAllocation("c2", "O1", "L1", SKU)
    )
    assert (cancelled.outcome, again.outcome) == (Outcome.APPLIED, Outcome.NOT_FOUND)
    assert at(store, "WH1") == (7, 0, 0, 7)


def test_a_shipment_before_the_last_count_is_inside_it(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, Allocate("o1", "O1", "L1", SKU, "WH1", 4))
    store.apply([RecordCount("c1", SKU, T0 + 100, "WH1", 6)], NOW)
    run(store, ShipAllocation("s1", "O1", "L1", SKU, "WH1", 4, T0 + 50))
    assert at(store, "WH1") == (6, 0, 0, 6)


def test_an_order_line_allocated_twice_under_another_event_id_is_a_duplicate(store: Any) -> None:
    receive(store, "WH1", 10)
    first, second = run(
        store, Allocate("o1", "O1", "L1", SKU, "WH1", 4), Allocate("o1-retry", "O1", "L1", SKU, "WH1", 4)
    )
    assert (first.outcome, second.outcome, second.granted) == (Outcome.APPLIED, Outcome.DUPLICATE, 4)
    assert at(store, "WH1") == (10, 0, 4, 6)


def test_a_sale_after_a_hold_never_makes_atp_negative(store: Any) -> None:
    receive(store, "WH1", 5)
    first, second = run(store, hold("h1", "C1", 2, None), hold("h2", "C2", 5))
    assert (first.granted, second.outcome, second.granted) == (2, Outcome.TRIMMED, 3)
    store.apply([AdjustOnHand("s1", SKU, T0 + 1, (OnHandDelta("WH1", -4),))], NOW)
    assert at(store, "WH1") == (1, 3, 0, 0)
    assert network(store) == (5, 0)


def corrupt(store: Any) -> None:
    """Drift injected behind the store's back: reserved and the network aggregate are wrong."""
    if isinstance(store, InMemoryStockStore):
        state = store.ledger.state(SKU)
        assert state is not None
        state.locations["WH1"].reserved = 9
        state.net[2] = 9
        return
    key = f"{store.prefix}stock:{{{SKU}}}"  # WH1's figures are one field: "oh,it,rs,al,ss,atp,on,ds,pp"
    figures = store._client.hget(key, "WH1").decode().split(",")
    figures[2] = "9"
    store._client.hset(key, mapping={"WH1": ",".join(figures), "|rs": 9})


def test_reconciliation_reports_and_repairs_drift_from_the_hold_records(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, hold("h1", "C1", 3))
    assert store.reconcile([SKU]) == []
    corrupt(store)
    drifts = store.reconcile(None)
    assert [(d.location_id, d.figure, d.stored, d.actual) for d in drifts] == [
        ("WH1", "reserved", 9, 3),
        ("", "reserved", 9, 3),
    ]
    assert at(store, "WH1") == (10, 3, 0, 7)
    assert store.reconcile([SKU]) == []
    (expired,) = store.expire_holds(NOW + TTL)
    assert expired.released == (ReleasedHold("C1", "WH1", 3),)


@pytest.mark.parametrize(
    "bad",
    [
        SetHold("h2", "", SKU, None, 1, TTL),
        SetHold("h2", "C2", SKU, "W|H", 1, TTL),
        SetHold("h2", "C2", SKU, None, -1, TTL),
        Allocate("", "O1", "L1", SKU, "WH1", 1),
        ReleaseAllocation("c1", "", "L1", SKU),
        RenewCart("e1", "", TTL),
    ],
)
def test_an_invalid_command_is_refused_alone_and_the_rest_of_its_batch_applies(
    store: Any, bad: Command
) -> None:
    receive(store, "WH1", 10)
    with pytest.raises(EventsRefused) as refusal:
        run(store, hold("h1", "C1", 3), bad, hold("h3", "C3", 2))
    assert list(refusal.value.refused) == [1]
    assert refusal.value.refused[1][0] == "invalid_event"
    assert [r.outcome if r else None for r in refusal.value.results] == [
        Outcome.APPLIED,
        None,
        Outcome.APPLIED,
    ]
    assert at(store, "WH1") == (10, 5, 0, 5)


def test_a_carts_holds_are_read_back_per_sku_with_their_place_and_quantity(store: Any) -> None:
    receive(store, "WH1", 10)
    run(store, hold("h1", "C1", 3), hold("h2", "C2", 2, location_id=None))

    found = store.cart_holds([("C1", SKU), ("C2", SKU), ("C3", SKU), ("C1", "SKU-NONE")])

    assert found == {("C1", SKU): ("WH1", 3), ("C2", SKU): ("", 2)}


def test_the_routers_atp_views_match_the_figures_read_back(store: Any) -> None:
    receive(store, "WH1", 10)
    receive(store, "WH2", 9, event_id="r2")
    run(store, hold("h1", "C1", 3))

    online, walk_in = store.atp_views([SKU, "SKU-NONE"])

    stock = store.read_sync([SKU])[SKU]
    assert online == {(SKU, loc.location_id): loc.online_atp for loc in stock.locations}
    assert walk_in == {(SKU, loc.location_id): loc.atp for loc in stock.locations}
    assert online[(SKU, "WH2")] == 9 - 2 - 3  # safety stock 2, 3 kept for walk-in customers


def test_a_network_hold_caps_what_each_online_location_offers_as_the_allocation_refuses(store: Any) -> None:
    receive(store, "WH1", 10)
    receive(store, "WH2", 9, event_id="r2")  # online ATP 4: safety stock 2, 3 kept for walk-in customers
    run(store, hold("h1", "C1", 12, location_id=None))  # the pool of online ATP is 14: 2 are left

    online, walk_in = store.atp_views([SKU])

    assert (online[(SKU, "WH1")], online[(SKU, "WH2")]) == (2, 2)
    assert walk_in[(SKU, "WH2")] == 2 + 3
    stocks = store.read_sync([SKU])
    assert (online, walk_in) == (channel_atp(stocks, NETWORK), channel_atp(stocks, NETWORK, walk_in=True))
    three, two = run(
        store, Allocate("a1", "O1", "L1", SKU, "WH1", 3), Allocate("a2", "O2", "L1", SKU, "WH1", 2)
    )
    assert (three.outcome, two.outcome) == (Outcome.REFUSED, Outcome.APPLIED)


@pytest.mark.parametrize(
    "unknown",
    [
        AdjustOnHand("s1", SKU, NOW, (OnHandDelta("ST-NOWHERE", -1),)),
        RecordCount("c1", SKU, NOW, "ST-NOWHERE", 4),
        SetHold("h2", "C2", SKU, "ST-NOWHERE", 1, TTL),
    ],
)
def test_a_location_not_in_the_network_is_refused_and_shows_no_row(store: Any, unknown: Command) -> None:
    receive(store, "WH1", 10)
    with pytest.raises(EventsRefused) as refusal:
        run(store, unknown, hold("h1", "C1", 3))
    assert refusal.value.refused[0][0] == "unknown_location"
    assert [s.location_id for s in store.read_sync([SKU])[SKU].locations] == ["WH1"]
    assert at(store, "WH1") == (10, 3, 0, 7)
