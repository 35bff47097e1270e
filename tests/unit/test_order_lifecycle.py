"""The fulfillment lifecycle of an order: routing results, node updates, SLA, cancellation, shortage."""

from __future__ import annotations

import json

from core.allocation import OrderLine, OrderStatus
from core.movements import AdjustOnHand, OnHandDelta, ReleaseAllocation, ShipAllocation
from core.order_codec import order_from_dict, order_to_dict
from core.order_lifecycle import (
    apply_routing,
    apply_update,
    cancel,
    excluded,
    expire,
    new_order,
    overdue,
)
from core.order_shortage import AllocatedHere, shortage_reroute, shortage_victims
from core.order_types import (
    ChangeLine,
    CorrectStock,
    FulfillmentChange,
    Order,
    PlannedShipment,
    PublishStatus,
    Reroute,
    RoutingResult,
    ShipmentStatus,
    Step,
    StepOutcome,
    Unplaced,
)

T0 = 1_800_000_000_000
SLA = 15 * 60_000
L1, L2, L3 = OrderLine("l1", "SKU-A", 2), OrderLine("l2", "SKU-B", 1), OrderLine("l3", "SKU-C", 3)
S = ShipmentStatus


def placed(*lines: OrderLine) -> Order:
    return new_order("O1", lines or (L1, L2), "HOME_STANDARD")


def routed(
    order: Order, *where: tuple[str, tuple[OrderLine, ...]], decision: str = "D1", **rest: tuple[str, ...]
) -> Step:
    shipments = tuple(PlannedShipment(node, lines, SLA) for node, lines in where)
    return apply_routing(order, RoutingResult(decision, shipments, **rest), T0)


def update(
    status: ShipmentStatus,
    shipment: str = "O1-1",
    node: str = "N1",
    lines: tuple[ChangeLine, ...] | None = None,
    reason: str | None = None,
) -> FulfillmentChange:
    return FulfillmentChange(f"e-{status}-{shipment}", shipment, node, status, T0 + 1000, lines, reason)


def kinds(step: Step, kind: type) -> list:
    return [effect for effect in step.effects if isinstance(effect, kind)]


def statuses(step: Step) -> list[OrderStatus]:
    return [effect.status for effect in kinds(step, PublishStatus)]


def at_n1() -> Order:
    return routed(placed(), ("N1", (L1, L2))).order


# Routing results
def test_a_fully_routed_order_is_routed_with_one_requested_shipment_per_node():
    step = routed(placed(), ("N1", (L1,)), ("N2", (L2,)))
    assert statuses(step) == [OrderStatus.ROUTED]
    assert [(s.shipment_id, s.location_id, s.status) for s in step.order.shipments] == [
        ("O1-1", "N1", S.REQUESTED),
        ("O1-2", "N2", S.REQUESTED),
    ]
    assert step.order.shipments[0].accept_by_ms == T0 + SLA
    assert step.order.unplaced == {}


def test_an_order_with_an_unroutable_line_is_partially_routed():
    step = routed(placed(), ("N1", (L1,)), unroutable=("l2",))
    assert statuses(step) == [OrderStatus.PARTIALLY_ROUTED]
    assert step.order.unplaced == {"l2": Unplaced.UNFULFILLABLE}


def test_an_order_nothing_can_serve_is_unfulfillable():
    assert statuses(routed(placed(), unroutable=("l1", "l2"))) == [OrderStatus.UNFULFILLABLE]


def test_an_order_with_a_line_waiting_for_stock_is_backordered():
    assert statuses(routed(placed(), ("N1", (L1,)), backordered=("l2",))) == [OrderStatus.BACKORDERED]


def test_the_same_routing_result_twice_changes_nothing():
    order = at_n1()
    again = routed(order, ("N1", (L1, L2)))
    assert (again.outcome, again.order, again.effects) == (StepOutcome.DUPLICATE, order, ())


def test_a_routing_that_lands_after_the_order_was_cancelled_is_released_at_once():
    order = cancel(placed(), "c1").order
    step = routed(order, ("N1", (L1,)))
    assert step.outcome is StepOutcome.ORDER_CANCELLED
    assert [(r.line_id, r.sku) for r in kinds(step, ReleaseAllocation)] == [("l1", "SKU-A")]


# Node updates
def test_accepted_and_picked_move_the_shipment_on_without_a_new_order_status():
    accepted = apply_update(at_n1(), update(S.ACCEPTED))
    picked = apply_update(accepted.order, update(S.PICKED))
    assert picked.order.shipments[0].status is S.PICKED
    assert (accepted.effects, picked.effects) == ((), ())


def test_shipped_ships_every_line_of_the_shipment_and_the_order_is_shipped():
    step = apply_update(at_n1(), update(S.SHIPPED))
    assert kinds(step, ShipAllocation) == [
        ShipAllocation("O1-1:ship:l1", "O1", "l1", "SKU-A", "N1", 2, T0 + 1000),
        ShipAllocation("O1-1:ship:l2", "O1", "l2", "SKU-B", "N1", 1, T0 + 1000),
    ]
    assert statuses(step) == [OrderStatus.SHIPPED]


def test_the_order_is_shipped_only_when_every_shipment_has_shipped():
    order = routed(placed(), ("N1", (L1,)), ("N2", (L2,))).order
    first = apply_update(order, update(S.SHIPPED))
    second = apply_update(first.order, update(S.SHIPPED, "O1-2", "N2"))
    assert (statuses(first), statuses(second)) == ([], [OrderStatus.SHIPPED])


def test_the_order_is_completed_when_every_shipment_is_delivered_or_collected():
    order = routed(placed(), ("N1", (L1,)), ("N2", (L2,))).order
    delivered = apply_update(apply_update(order, update(S.SHIPPED)).order, update(S.DELIVERED))
    collected = apply_update(delivered.order, update(S.COLLECTED, "O1-2", "N2"))
    assert kinds(collected, ShipAllocation)[0].location_id == "N2"  # collected from the store's shelf
    assert collected.order.status is OrderStatus.COMPLETED
    assert statuses(collected) == [OrderStatus.COMPLETED]


def test_a_delivered_that_arrives_before_shipped_ships_once_and_the_late_shipped_is_a_no_op():
    delivered = apply_update(at_n1(), update(S.DELIVERED))
    late = apply_update(delivered.order, update(S.SHIPPED))
    assert len(kinds(delivered, ShipAllocation)) == 2
    assert (late.outcome, late.effects, late.order) == (StepOutcome.REGRESSION, (), delivered.order)


def test_the_same_update_twice_changes_nothing():
    once = apply_update(at_n1(), update(S.SHIPPED))
    twice = apply_update(once.order, update(S.SHIPPED))
    assert (twice.outcome, twice.effects, twice.order) == (StepOutcome.DUPLICATE, (), once.order)


def test_accepted_after_shipped_is_a_regression_that_changes_nothing():
    shipped = apply_update(at_n1(), update(S.SHIPPED)).order
    step = apply_update(shipped, update(S.ACCEPTED))
    assert (step.outcome, step.order) == (StepOutcome.REGRESSION, shipped)


def test_an_update_for_an_unknown_shipment_or_another_node_is_a_no_op():
    order = at_n1()
    assert apply_update(order, update(S.ACCEPTED, "O1-9")).outcome is StepOutcome.UNKNOWN_SHIPMENT
    assert apply_update(order, update(S.ACCEPTED, node="N2")).outcome is StepOutcome.UNKNOWN_SHIPMENT


# Rejections
def test_a_whole_rejection_releases_every_line_and_reroutes_them_away_from_that_node():
    step = apply_update(at_n1(), update(S.REJECTED, reason="NO_STAFF"))
    assert step.order.shipments[0].status is S.REJECTED
    assert [r.line_id for r in kinds(step, ReleaseAllocation)] == ["l1", "l2"]
    (reroute,) = kinds(step, Reroute)
    assert [(r.line.line_id, r.excluded) for r in reroute.lines] == [("l1", {"N1"}), ("l2", {"N1"})]
    assert reroute.reason == "NO_STAFF"
    assert step.order.unplaced == {"l1": Unplaced.REROUTE, "l2": Unplaced.REROUTE}
    assert statuses(step) == []  # the order stays ROUTED while its lines are re-routed


def test_a_partial_rejection_releases_and_reroutes_only_the_named_lines():
    change = update(S.REJECTED, lines=(ChangeLine("SKU-B", 1, "l2"),))
    step = apply_update(at_n1(), change)
    shipment = step.order.shipments[0]
    assert (shipment.status, shipment.lines, shipment.dropped) == (S.REQUESTED, (L1,), (L2,))
    assert [r.line_id for r in kinds(step, ReleaseAllocation)] == ["l2"]
    assert [r.line.line_id for r in kinds(step, Reroute)[0].lines] == ["l2"]


def test_a_line_named_by_sku_alone_is_rejected_too():
    step = apply_update(at_n1(), update(S.REJECTED, lines=(ChangeLine("SKU-A", 2),)))
    assert [r.line_id for r in kinds(step, ReleaseAllocation)] == ["l1"]


def test_a_rejected_line_is_never_routed_back_to_any_node_that_rejected_it():
    first = apply_update(at_n1(), update(S.REJECTED))
    rerouted = routed(first.order, ("N2", (L1, L2)), decision="D2")
    second = apply_update(rerouted.order, update(S.REJECTED, "O1-2", "N2"))
    assert rerouted.order.shipments[1].shipment_id == "O1-2"
    assert {r.excluded for r in kinds(second, Reroute)[0].lines} == {frozenset({"N1", "N2"})}
    assert excluded(second.order, "l1") == {"N1", "N2"}


def test_a_not_found_rejection_also_brings_the_nodes_on_hand_down_by_the_missing_quantity():
    change = update(S.REJECTED, reason="NOT_FOUND", lines=(ChangeLine("SKU-A", 1, "l1"),))
    step = apply_update(at_n1(), change)
    (correction,) = kinds(step, CorrectStock)
    assert correction.command() == AdjustOnHand(
        "O1-1:correct:SKU-A", "SKU-A", T0 + 1000, (OnHandDelta("N1", -1),)
    )
    assert step.effects.index(correction) > step.effects.index(kinds(step, ReleaseAllocation)[0])


def test_a_rejection_for_another_reason_corrects_no_stock():
    assert kinds(apply_update(at_n1(), update(S.REJECTED, reason="NO_STAFF")), CorrectStock) == []


def test_a_repeated_rejection_changes_nothing():
    once = apply_update(at_n1(), update(S.REJECTED))
    twice = apply_update(once.order, update(S.REJECTED))
    assert (twice.outcome, twice.effects) == (StepOutcome.DUPLICATE, ())


def test_a_line_that_no_other_node_can_serve_after_a_rejection_leaves_the_order_partially_routed():
    rejected = apply_update(at_n1(), update(S.REJECTED, lines=(ChangeLine("SKU-B", 1, "l2"),)))
    step = routed(rejected.order, decision="D2", unroutable=("l2",))
    assert statuses(step) == [OrderStatus.PARTIALLY_ROUTED]


def test_a_cancellation_by_the_node_is_a_rejection_of_its_unshipped_lines():
    step = apply_update(at_n1(), update(S.CANCELLED, reason="DAMAGED"))
    assert step.order.shipments[0].status is S.CANCELLED
    assert [r.line_id for r in kinds(step, ReleaseAllocation)] == ["l1", "l2"]
    assert kinds(step, Reroute)[0].lines[0].excluded == {"N1"}


def test_a_rejection_after_the_shipment_shipped_is_a_regression():
    shipped = apply_update(at_n1(), update(S.SHIPPED)).order
    assert apply_update(shipped, update(S.REJECTED)).outcome is StepOutcome.REGRESSION


# SLA
def test_a_shipment_not_accepted_by_its_deadline_is_overdue_and_not_before():
    order = at_n1()
    assert overdue(order, T0 + SLA) == ()
    assert overdue(order, T0 + SLA + 1) == ("O1-1",)
    assert overdue(apply_update(order, update(S.ACCEPTED)).order, T0 + SLA + 1) == ()


def test_an_expired_sla_reroutes_the_shipment_as_if_rejected():
    step = expire(at_n1(), T0 + SLA + 1)
    assert step.order.shipments[0].status is S.REJECTED
    (reroute,) = kinds(step, Reroute)
    assert reroute.reason == "SLA_EXPIRED"
    assert reroute.lines[0].excluded == {"N1"}
    assert expire(step.order, T0 + SLA + 2).outcome is StepOutcome.DUPLICATE


def test_a_late_accept_after_the_sla_expired_is_ignored():
    expired = expire(at_n1(), T0 + SLA + 1).order
    assert apply_update(expired, update(S.ACCEPTED)).outcome is StepOutcome.CLOSED


# Order cancellation
def test_cancelling_after_a_partial_ship_releases_only_the_unshipped_lines():
    order = routed(placed(), ("N1", (L1,)), ("N2", (L2,))).order
    shipped = apply_update(order, update(S.SHIPPED)).order
    step = cancel(shipped, "c1")
    assert [(r.event_id, r.line_id) for r in kinds(step, ReleaseAllocation)] == [("O1-2:release:l2", "l2")]
    assert [s.status for s in step.order.shipments] == [S.SHIPPED, S.CANCELLED]
    assert statuses(step) == [OrderStatus.CANCELLED]


def test_updates_on_a_cancelled_order_are_ignored_and_a_second_cancel_is_a_duplicate():
    cancelled = cancel(at_n1(), "c1").order
    assert apply_update(cancelled, update(S.SHIPPED)).outcome is StepOutcome.ORDER_CANCELLED
    assert cancel(cancelled, "c2").outcome is StepOutcome.DUPLICATE
    assert overdue(cancelled, T0 + SLA + 1) == ()


def test_an_order_whose_every_line_shipped_cannot_be_cancelled():
    shipped = apply_update(at_n1(), update(S.SHIPPED)).order
    step = cancel(shipped, "c1")
    assert (step.outcome, step.effects, step.order) == (StepOutcome.ALREADY_SHIPPED, (), shipped)


# Shortage
def test_a_shortage_reroutes_the_newest_allocations_first_until_allocated_fits_on_hand():
    lines = [
        AllocatedHere("OLD", "l1", 2, T0),
        AllocatedHere("MID", "l1", 1, T0 + 10),
        AllocatedHere("NEW", "l1", 1, T0 + 20),
    ]
    assert [a.order_id for a in shortage_victims(on_hand=2, allocated=4, lines=lines)] == ["NEW", "MID"]
    assert shortage_victims(on_hand=4, allocated=4, lines=lines) == ()


def test_a_shortage_never_takes_a_picked_line():
    lines = [AllocatedHere("OLD", "l1", 1, T0), AllocatedHere("NEW", "l1", 1, T0 + 10, picked=True)]
    assert [a.order_id for a in shortage_victims(on_hand=1, allocated=2, lines=lines)] == ["OLD"]


def test_a_shortage_victim_is_released_and_rerouted_away_from_the_short_node():
    step = shortage_reroute(at_n1(), "N1", ["l2"], "pos-1", T0)
    assert [r.line_id for r in kinds(step, ReleaseAllocation)] == ["l2"]
    (reroute,) = kinds(step, Reroute)
    assert (reroute.reason, reroute.lines[0].excluded) == ("SHORTAGE", {"N1"})
    assert step.order.shipments[0].lines == (L1,)
    assert shortage_reroute(step.order, "N1", ["l2"], "pos-1", T0).outcome is StepOutcome.DUPLICATE


# Serialisation
def test_an_order_survives_a_round_trip_through_json():
    order = routed(placed(L1, L2, L3), ("N1", (L1, L2)), unroutable=("l3",)).order
    order = apply_update(
        order, update(S.REJECTED, reason="NOT_FOUND", lines=(ChangeLine("SKU-B", 1, "l2"),))
    ).order
    order = apply_update(order, update(S.ACCEPTED)).order
    assert order_from_dict(json.loads(json.dumps(order_to_dict(order)))) == order


def test_a_fresh_order_serialises_compactly():
    assert order_to_dict(placed(L1)) == {
        "order_id": "O1",
        "method": "HOME_STANDARD",
        "status": None,
        "lines": [["l1", "SKU-A", 2]],
        "shipments": [],
        "unplaced": {"l1": "REROUTE"},
    }


def test_what_the_order_asked_survives_the_round_trip_and_is_left_out_when_empty():
    from dataclasses import replace

    from core.order_types import OrderContext

    plain = new_order("O9", [OrderLine("l1", "A", 1)], "RELAY")
    asked = replace(plain, context=OrderContext(lat=48.85, lon=2.35, timezone="Europe/Paris", cart_id="C1"))

    assert "context" not in order_to_dict(plain)
    assert order_from_dict(json.loads(json.dumps(order_to_dict(asked)))) == asked


def test_a_backordered_line_shipped_from_its_backorder_node_no_longer_holds_the_order_back():
    backordered = routed(placed(), ("N1", (L1,)), ("WH", (L2,)), backordered=("l2",)).order
    assert backordered.status is OrderStatus.BACKORDERED
    first = apply_update(backordered, update(ShipmentStatus.SHIPPED, "O1-1", "N1")).order

    step = apply_update(first, update(ShipmentStatus.SHIPPED, "O1-2", "WH"))

    assert step.order.unplaced == {}
    assert statuses(step) == [OrderStatus.SHIPPED]
