"""Order and fulfillment events become the core's lines, delivery and fulfillment changes."""

from __future__ import annotations

from typing import Any

import pytest

from core.allocation import OrderLine
from core.geo import Place
from core.order_types import ChangeLine, FulfillmentChange, ShipmentStatus
from core.routing_types import Delivery, DeliveryMethod
from tests.support.promise_network import network
from topics.order_events import FulfillmentStatus, FulfillmentUpdate, OrderEvent
from topics.order_mappers import fulfillment_change, order_lines, routing_delivery

PARIS = Place(48.8566, 2.3522, "Europe/Paris")
LONDON = Place(51.5007, -0.1246, "Europe/London")
POSTCODES = {"75": PARIS, "SW1": LONDON}
NETWORK = network()  # SHOP (Paris, 48.8606 2.347) takes pickups; RP is a relay point


def placed(**delivery: Any) -> OrderEvent:
    return OrderEvent.model_validate(
        {
            "event_id": "evt-1",
            "occurred_at": "2026-11-17T10:00:00+00:00",
            "order_id": "o-1",
            "type": "PLACED",
            "lines": [
                {"line_id": "l1", "sku": "A", "quantity": 2},
                {"line_id": "l2", "sku": "B", "quantity": 1},
            ],
            "delivery": delivery,
            "channel": "web",
        }
    )


def test_order_lines_keep_the_events_ids_and_order() -> None:
    event = placed(method="HOME_STANDARD", postcode="75003")
    assert order_lines(event) == (OrderLine("l1", "A", 2), OrderLine("l2", "B", 1))


def test_a_postcode_finds_its_place_by_its_longest_known_prefix() -> None:
    delivery = routing_delivery(placed(method="HOME_EXPRESS", postcode="sw1a 1aa"), POSTCODES, NETWORK)
    assert delivery == Delivery(DeliveryMethod.HOME_EXPRESS, LONDON)


def test_coordinates_win_and_take_the_time_zone_of_the_nearest_postcode() -> None:
    event = placed(method="HOME_STANDARD", postcode="75003", lat=51.4, lon=-0.2)
    delivery = routing_delivery(event, POSTCODES, NETWORK)
    assert delivery == Delivery(DeliveryMethod.HOME_STANDARD, Place(51.4, -0.2, "Europe/London"))


def test_click_and_collect_without_a_destination_goes_to_the_pickup_store() -> None:
    delivery = routing_delivery(placed(method="CLICK_COLLECT", pickup_location_id="SHOP"), POSTCODES, NETWORK)
    assert delivery == Delivery(DeliveryMethod.CLICK_COLLECT, Place(48.8606, 2.347, "Europe/Paris"), "SHOP")


def test_a_named_relay_point_is_the_destination_when_the_customer_gives_none() -> None:
    delivery = routing_delivery(placed(method="RELAY", pickup_location_id="RP"), POSTCODES, NETWORK)
    assert delivery is not None
    assert (delivery.destination.lat, delivery.destination.lon, delivery.pickup_location_id) == (
        48.865,
        2.378,
        "RP",
    )


def test_a_pickup_at_an_unknown_store_without_a_destination_has_no_delivery() -> None:
    event = placed(method="CLICK_COLLECT", pickup_location_id="NOWHERE")
    assert routing_delivery(event, POSTCODES, NETWORK) is None


def test_an_unknown_postcode_without_coordinates_has_no_delivery() -> None:
    assert routing_delivery(placed(method="HOME_STANDARD", postcode="99999"), POSTCODES, NETWORK) is None


def test_a_home_delivery_with_no_postcode_and_no_coordinates_has_no_delivery() -> None:
    assert routing_delivery(placed(method="HOME_STANDARD"), POSTCODES, NETWORK) is None


def test_a_cancellation_has_no_delivery() -> None:
    event = OrderEvent.model_validate(
        {
            "event_id": "e",
            "occurred_at": 1_794_909_600_000,
            "order_id": "o-1",
            "type": "CANCELLED",
            "channel": "web",
        }
    )
    assert routing_delivery(event, POSTCODES, NETWORK) is None
    assert order_lines(event) == ()


def test_a_partial_not_found_rejection_names_its_lines_and_reason() -> None:
    update = FulfillmentUpdate.model_validate(
        {
            "event_id": "f-1",
            "occurred_at": "2026-11-17T11:00:00+01:00",
            "order_id": "o-1",
            "shipment_id": "o-1-1",
            "location_id": "SHOP",
            "status": "REJECTED",
            "lines": [{"line_id": "l1", "sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}],
            "reason": "NOT_FOUND",
        }
    )
    assert fulfillment_change(update) == FulfillmentChange(
        event_id="f-1",
        shipment_id="o-1-1",
        location_id="SHOP",
        status=ShipmentStatus.REJECTED,
        occurred_at_ms=1_794_909_600_000,
        lines=(ChangeLine("A", 2, "l1"), ChangeLine("B", 1, None)),
        reason="NOT_FOUND",
    )


def test_an_update_without_lines_concerns_the_whole_shipment() -> None:
    update = FulfillmentUpdate.model_validate(
        {
            "event_id": "f-2",
            "occurred_at": 1_794_909_600_123,
            "order_id": "o-1",
            "shipment_id": "o-1-1",
            "location_id": "WH",
            "status": "SHIPPED",
        }
    )
    change = fulfillment_change(update)
    assert (change.status, change.lines, change.reason, change.occurred_at_ms) == (
        ShipmentStatus.SHIPPED,
        None,
        None,
        1_794_909_600_123,
    )


@pytest.mark.parametrize("status", list(FulfillmentStatus))
def test_every_fulfillment_status_has_a_shipment_status_of_the_same_name(status: FulfillmentStatus) -> None:
    fields = {"order_id": "o", "shipment_id": "s", "location_id": "L", "status": status.value}
    update = FulfillmentUpdate.model_validate({"event_id": "f", "occurred_at": 1_794_909_600_000, **fields})
    assert fulfillment_change(update).status.value == status.value
