"""The store's actions: the two flows, every transition allowed and refused in words, the effective
status, deterministic event ids, what the queue is sorted by, and which lines a reject names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.allocation import OrderLine
from core.order_types import Order, OrderContext, Shipment, ShipmentStatus
from core.store_actions import (
    Flow,
    StoreAction,
    allowed_actions,
    count_event_id,
    due_at_ms,
    effective_status,
    event_id,
    flow_of,
    order_id_of,
    refusal,
    rejected_lines,
)

S = ShipmentStatus
A = StoreAction
T0 = int(datetime(2026, 12, 6, 10, 12, tzinfo=UTC).timestamp() * 1000)
ACCEPT_BY = T0 + 30 * 60_000
L1, L2 = OrderLine("l1", "SKU-1", 2), OrderLine("l2", "SKU-2", 1)


def _shipment(location_id: str = "S-1", status: ShipmentStatus = S.REQUESTED) -> Shipment:
    return Shipment("O-1-1", location_id, (L1, L2), status, T0, ACCEPT_BY, "D-1")


def _order(method: str, pickup: str | None = None) -> Order:
    return Order("O-1", (L1, L2), method, context=OrderContext(pickup_location_id=pickup))


def test_click_and_collect_at_its_own_pickup_store_is_the_pickup_flow() -> None:
    assert flow_of(_order("CLICK_COLLECT", "S-1"), _shipment("S-1")) is Flow.PICKUP


def test_click_and_collect_prepared_at_another_store_ships_to_the_pickup_store() -> None:
    assert flow_of(_order("CLICK_COLLECT", "S-2"), _shipment("S-1")) is Flow.SHIP


def test_home_delivery_is_the_ship_flow() -> None:
    assert flow_of(_order("HOME_STANDARD"), _shipment()) is Flow.SHIP


@pytest.mark.parametrize(
    ("status", "flow", "actions"),
    [
        (S.REQUESTED, Flow.SHIP, (A.ACCEPT, A.REJECT)),
        (S.ACCEPTED, Flow.SHIP, (A.PICKED, A.REJECT)),
        (S.PICKED, Flow.SHIP, (A.SHIPPED, A.REJECT)),
        (S.SHIPPED, Flow.SHIP, ()),
        (S.REQUESTED, Flow.PICKUP, (A.ACCEPT, A.REJECT)),
        (S.ACCEPTED, Flow.PICKUP, (A.PICKED, A.REJECT)),
        (S.PICKED, Flow.PICKUP, (A.READY, A.REJECT)),
        (S.READY_FOR_PICKUP, Flow.PICKUP, (A.COLLECTED, A.REJECT)),
        (S.COLLECTED, Flow.PICKUP, ()),
        (S.REJECTED, Flow.SHIP, ()),
        (S.CANCELLED, Flow.PICKUP, ()),
        (S.DELIVERED, Flow.SHIP, ()),
    ],
)
def test_each_status_offers_its_next_step_then_reject_while_the_shipment_is_at_the_store(
    status: ShipmentStatus, flow: Flow, actions: tuple[StoreAction, ...]
) -> None:
    assert allowed_actions(status, flow) == actions


@pytest.mark.parametrize(
    ("status", "flow"),
    [(status, flow) for status in S for flow in Flow],
)
def test_an_offered_action_is_never_refused_and_every_other_one_is_refused_in_words(
    status: ShipmentStatus, flow: Flow
) -> None:
    offered = allowed_actions(status, flow)
    for action in A:
        why = refusal(action, status, flow, ACCEPT_BY, T0)
        if action in offered:
            assert why is None
        else:
            assert why is not None
            assert why.endswith(".")
            assert why[0].isupper()


@pytest.mark.parametrize(
    ("action", "status", "flow", "why"),
    [
        (A.PICKED, S.REQUESTED, Flow.SHIP, "Accept the shipment before marking it picked."),
        (A.SHIPPED, S.ACCEPTED, Flow.SHIP, "Mark the shipment picked before shipping it."),
        (A.COLLECTED, S.PICKED, Flow.PICKUP, "Mark the shipment ready for pickup before handing it over."),
        (A.COLLECTED, S.REJECTED, Flow.PICKUP, "This shipment was rejected: it cannot be collected."),
        (A.ACCEPT, S.CANCELLED, Flow.SHIP, "This shipment was cancelled: it cannot be accepted."),
        (A.REJECT, S.SHIPPED, Flow.SHIP, "This shipment was shipped: it cannot be rejected."),
        (A.ACCEPT, S.PICKED, Flow.SHIP, "This shipment is already picked: it cannot be accepted again."),
        (
            A.SHIPPED,
            S.PICKED,
            Flow.PICKUP,
            "This shipment is collected at this store: mark it ready for pickup, not shipped.",
        ),
        (
            A.READY,
            S.PICKED,
            Flow.SHIP,
            "This shipment leaves by carrier: it cannot be marked ready for pickup; "
            "mark it shipped once picked.",
        ),
    ],
)
def test_a_refusal_says_why_in_words(
    action: StoreAction, status: ShipmentStatus, flow: Flow, why: str
) -> None:
    assert refusal(action, status, flow, ACCEPT_BY, T0) == why


def test_accepting_after_the_deadline_is_refused_with_the_time_it_passed() -> None:
    why = refusal(A.ACCEPT, S.REQUESTED, Flow.SHIP, ACCEPT_BY, ACCEPT_BY + 1)
    assert why == "The deadline to accept passed at 10:42 UTC; the order is being re-routed."


def test_rejecting_after_the_accept_deadline_is_still_allowed() -> None:
    assert refusal(A.REJECT, S.REQUESTED, Flow.SHIP, ACCEPT_BY, ACCEPT_BY + 1) is None


def test_the_effective_status_is_the_published_one_while_the_worker_has_not_caught_up() -> None:
    assert effective_status(S.REQUESTED, S.ACCEPTED) == (S.ACCEPTED, True)
    assert effective_status(S.PICKED, S.READY_FOR_PICKUP) == (S.READY_FOR_PICKUP, True)


def test_the_effective_status_is_the_workers_once_it_has_applied_the_action_or_gone_further() -> None:
    assert effective_status(S.ACCEPTED, S.ACCEPTED) == (S.ACCEPTED, False)
    assert effective_status(S.PICKED, S.ACCEPTED) == (S.PICKED, False)
    assert effective_status(S.ACCEPTED, None) == (S.ACCEPTED, False)


def test_a_published_reject_is_ahead_of_any_open_status() -> None:
    assert effective_status(S.PICKED, S.REJECTED) == (S.REJECTED, True)


def test_the_workers_rejection_or_cancellation_wins_over_what_was_published() -> None:
    assert effective_status(S.REJECTED, S.PICKED) == (S.REJECTED, False)
    assert effective_status(S.CANCELLED, S.READY_FOR_PICKUP) == (S.CANCELLED, False)


def test_event_ids_are_the_same_for_the_same_action_and_name_a_partial_rejects_lines_sorted() -> None:
    assert event_id("O-1-1", S.ACCEPTED) == "store:O-1-1:ACCEPTED"
    assert event_id("O-1-1", S.REJECTED, ["l2", "l1"]) == "store:O-1-1:REJECTED:l1,l2"
    assert count_event_id("S-1", "c-9") == "count:S-1:c-9"


def test_the_order_id_is_the_shipment_id_without_its_number() -> None:
    assert order_id_of("O-1-2") == "O-1"
    assert order_id_of("ORDER-17-12") == "ORDER-17"
    assert order_id_of("nonumber") is None
    assert order_id_of("O-x") is None


def test_a_shipment_waiting_to_be_accepted_is_due_at_its_accept_deadline() -> None:
    assert due_at_ms(S.REQUESTED, Flow.SHIP, _shipment(), T0 + 5, T0 + 9) == ACCEPT_BY


def test_an_accepted_shipment_is_due_at_the_customers_date_by_flow() -> None:
    shipment = _shipment(status=S.ACCEPTED)
    assert due_at_ms(S.ACCEPTED, Flow.PICKUP, shipment, T0 + 5, T0 + 9) == T0 + 5
    assert due_at_ms(S.ACCEPTED, Flow.SHIP, shipment, T0 + 5, T0 + 9) == T0 + 9


def test_without_a_promised_date_a_shipment_is_due_from_its_request() -> None:
    assert due_at_ms(S.PICKED, Flow.SHIP, _shipment(status=S.PICKED), None, None) == T0


def test_a_reject_without_lines_or_naming_them_all_is_whole() -> None:
    assert rejected_lines(_shipment(), None).partial is False
    assert rejected_lines(_shipment(), ["l2", "l1"]).partial is False


def test_a_reject_naming_some_lines_is_partial_and_unknown_lines_are_named() -> None:
    some = rejected_lines(_shipment(), ["l2"])
    assert (some.lines, some.partial, some.unknown) == ((L2,), True, ())
    assert rejected_lines(_shipment(), ["l9"]).unknown == ("l9",)
