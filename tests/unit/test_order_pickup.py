"""Click & collect at the counter and the carrier's tracking number, through the order lifecycle."""

from __future__ import annotations

import json

from core.allocation import OrderLine, OrderStatus
from core.movements import ReleaseAllocation, ShipAllocation
from core.order_codec import order_from_dict, order_to_dict
from core.order_lifecycle import apply_routing, apply_update, new_order
from core.order_types import (
    FulfillmentChange,
    Order,
    PlannedShipment,
    PublishStatus,
    RoutingResult,
    ShipmentStatus,
    Step,
    StepOutcome,
)
from topics.order_events import FulfillmentUpdate
from topics.order_mappers import fulfillment_change

T0 = 1_800_000_000_000
L1, L2 = OrderLine("l1", "SKU-A", 2), OrderLine("l2", "SKU-B", 1)
S = ShipmentStatus


def at_store() -> Order:
    placed = new_order("O1", (L1, L2), "CLICK_COLLECT")
    return apply_routing(placed, RoutingResult("D1", (PlannedShipment("ST1", (L1, L2), 900_000),)), T0).order


def update(status: ShipmentStatus, tracking_number: str | None = None) -> FulfillmentChange:
    return FulfillmentChange(f"e-{status}", "O1-1", "ST1", status, T0 + 1000, tracking_number=tracking_number)


def moved(order: Order, *statuses: ShipmentStatus) -> Order:
    for status in statuses:
        order = apply_update(order, update(status)).order
    return order


def ships(step: Step) -> list[ShipAllocation]:
    return [effect for effect in step.effects if isinstance(effect, ShipAllocation)]


def test_ready_for_pickup_moves_a_picked_shipment_on_without_taking_units_or_changing_the_order_status():
    step = apply_update(moved(at_store(), S.ACCEPTED, S.PICKED), update(S.READY_FOR_PICKUP))
    assert step.outcome is StepOutcome.APPLIED
    assert step.order.shipments[0].status is S.READY_FOR_PICKUP
    assert not step.order.shipments[0].shipped
    assert (step.effects, step.order.status) == ((), OrderStatus.ROUTED)


def test_a_store_may_say_ready_straight_after_accepting():
    step = apply_update(moved(at_store(), S.ACCEPTED), update(S.READY_FOR_PICKUP))
    assert (step.outcome, step.order.shipments[0].status) == (StepOutcome.APPLIED, S.READY_FOR_PICKUP)


def test_units_leave_the_store_when_the_customer_collects_and_the_order_completes():
    step = apply_update(moved(at_store(), S.ACCEPTED, S.PICKED, S.READY_FOR_PICKUP), update(S.COLLECTED))
    assert [(s.line_id, s.location_id, s.quantity) for s in ships(step)] == [
        ("l1", "ST1", 2),
        ("l2", "ST1", 1),
    ]
    assert [e.status for e in step.effects if isinstance(e, PublishStatus)] == [OrderStatus.COMPLETED]


def test_picked_after_ready_for_pickup_is_a_regression_that_changes_nothing():
    ready = moved(at_store(), S.ACCEPTED, S.PICKED, S.READY_FOR_PICKUP)
    step = apply_update(ready, update(S.PICKED))
    assert (step.outcome, step.order, step.effects) == (StepOutcome.REGRESSION, ready, ())


def test_a_shipment_waiting_at_the_counter_can_still_be_rejected_and_its_lines_released():
    step = apply_update(moved(at_store(), S.ACCEPTED, S.READY_FOR_PICKUP), update(S.REJECTED))
    assert step.order.shipments[0].status is S.REJECTED
    assert [e.line_id for e in step.effects if isinstance(e, ReleaseAllocation)] == ["l1", "l2"]


def test_a_shipped_update_with_a_tracking_number_keeps_it_on_the_shipment_and_later_updates_keep_it():
    shipped = apply_update(moved(at_store(), S.ACCEPTED), update(S.SHIPPED, "1Z999AA10123456784")).order
    delivered = apply_update(shipped, update(S.DELIVERED)).order
    assert shipped.shipments[0].tracking_number == "1Z999AA10123456784"
    assert delivered.shipments[0].tracking_number == "1Z999AA10123456784"


def test_a_shipment_without_a_tracking_number_has_none():
    assert moved(at_store(), S.SHIPPED).shipments[0].tracking_number is None


def test_the_tracking_number_survives_the_json_round_trip_and_an_order_stored_before_it_reads_none():
    shipped = apply_update(at_store(), update(S.SHIPPED, "TRK-1")).order
    stored = json.loads(json.dumps(order_to_dict(shipped)))
    assert order_from_dict(stored) == shipped
    del stored["shipments"][0]["tracking_number"]
    assert order_from_dict(stored).shipments[0].tracking_number is None
    assert "tracking_number" not in order_to_dict(at_store())["shipments"][0]


def test_a_fulfillment_update_carries_its_tracking_number_to_the_core():
    fields = {"order_id": "O1", "shipment_id": "O1-1", "location_id": "ST1", "status": "SHIPPED"}
    update = FulfillmentUpdate.model_validate(
        {"event_id": "f", "occurred_at": T0, "tracking_number": "TRK-9", **fields}
    )
    without = FulfillmentUpdate.model_validate({"event_id": "g", "occurred_at": T0, **fields})
    assert (fulfillment_change(update).tracking_number, fulfillment_change(without).tracking_number) == (
        "TRK-9",
        None,
    )
