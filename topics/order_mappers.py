"""orders.v1 and fulfillment.updates.v1 events as the core's routing and lifecycle values read them."""

from __future__ import annotations

from collections.abc import Mapping

from core.allocation import OrderLine
from core.geo import Place, place_of_point, place_of_postcode
from core.network import Network
from core.order_types import ChangeLine, FulfillmentChange, ShipmentStatus
from core.routing_types import Delivery, DeliveryMethod
from topics.order_events import PICKUP_METHODS, FulfillmentUpdate, OrderEvent
from topics.order_events import Delivery as DeliveryFields

# The `reason` of the UNFULFILLABLE status of a PLACED order whose destination cannot be found.
NO_DESTINATION = "NO_DESTINATION"


def order_lines(event: OrderEvent) -> tuple[OrderLine, ...]:
    """The event's lines, in the order it gives them (line ids are unique: the event checks it)."""
    return tuple(OrderLine(line.line_id, line.sku, line.quantity) for line in event.lines)


def routing_delivery(event: OrderEvent, postcodes: Mapping[str, Place], network: Network) -> Delivery | None:
    """Where a PLACED order goes, or None when no destination can be found.

    The destination is, first found: the event's lat/lon (in the time zone of the nearest postcode
    entry: a customer's clock is its region's), its postcode (longest known prefix), or, for a pickup
    method (CLICK_COLLECT, and RELAY with its point named), the pickup location's own coordinates; a
    known pickup location wins over an unknown postcode, since the parcel goes there anyway.

    None (no delivery, or a home delivery to an unknown postcode without coordinates): the event is
    valid per the contract, so the caller does NOT dead-letter it; it marks the order UNFULFILLABLE
    with reason NO_DESTINATION (the order is then visible, and the storefront can correct it)."""
    if event.delivery is None:
        return None
    fields = event.delivery
    destination = _destination(fields, postcodes, network)
    if destination is None:
        return None
    return Delivery(DeliveryMethod(fields.method.value), destination, fields.pickup_location_id)


def _destination(fields: DeliveryFields, postcodes: Mapping[str, Place], network: Network) -> Place | None:
    if fields.lat is not None and fields.lon is not None:
        return place_of_point(fields.lat, fields.lon, postcodes)
    place = place_of_postcode(fields.postcode, postcodes) if fields.postcode else None
    if place is not None:
        return place
    if fields.method in PICKUP_METHODS and fields.pickup_location_id is not None:
        pickup = network.locations.get(fields.pickup_location_id)
        if pickup is not None:
            return Place(pickup.lat, pickup.lon, pickup.timezone)
    return None


def fulfillment_change(update: FulfillmentUpdate) -> FulfillmentChange:
    """The update as the lifecycle reads it; `occurred_at` is already epoch ms (the event parses it).

    Every fulfillment status has a shipment status of the same name, so the mapping is by value."""
    lines = None
    if update.lines is not None:
        lines = tuple(ChangeLine(line.sku, line.quantity, line.line_id) for line in update.lines)
    return FulfillmentChange(
        event_id=update.event_id,
        shipment_id=update.shipment_id,
        location_id=update.location_id,
        status=ShipmentStatus(update.status.value),
        occurred_at_ms=update.occurred_at,
        lines=lines,
        reason=update.reason,
        tracking_number=update.tracking_number,
    )
