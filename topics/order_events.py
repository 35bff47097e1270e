"""Pydantic models of the cart, order and fulfillment input events (holds, allocation, routing)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from core.routing_types import DeliveryMethod  # the contract's methods, one enum for core and topics
from topics.event_fields import MAX_LINES, Event, Id, Model, NonNegativeUnits, PositiveUnits, Text


class CartEventType(StrEnum):
    LINE_SET = "LINE_SET"
    LINE_REMOVED = "LINE_REMOVED"
    CLEARED = "CLEARED"
    ABANDONED = "ABANDONED"


class OrderEventType(StrEnum):
    PLACED = "PLACED"
    CANCELLED = "CANCELLED"


class FulfillmentStatus(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    PICKED = "PICKED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    SHIPPED = "SHIPPED"
    COLLECTED = "COLLECTED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


PICKUP_METHODS = frozenset({DeliveryMethod.CLICK_COLLECT, DeliveryMethod.RELAY})


class CartEvent(Event):
    """carts.events.v1: `quantity` is the line's new total; the sku is needed for line events."""

    cart_id: Id
    type: CartEventType
    sku: Id | None = None
    quantity: NonNegativeUnits | None = None
    location_id: Id | None = None
    channel: Id

    @model_validator(mode="after")
    def _line_events_name_a_line(self) -> CartEvent:
        if self.type is CartEventType.LINE_SET and (self.sku is None or self.quantity is None):
            raise ValueError("LINE_SET needs sku and quantity")
        if self.type is CartEventType.LINE_REMOVED and self.sku is None:
            raise ValueError("LINE_REMOVED needs sku")
        return self


class OrderLine(Model):
    line_id: Id
    sku: Id
    quantity: PositiveUnits


class Delivery(Model):
    method: DeliveryMethod
    postcode: Text | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    pickup_location_id: Id | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Delivery:
        if self.method in PICKUP_METHODS and self.pickup_location_id is None:
            raise ValueError(f"{self.method.value} needs pickup_location_id")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class OrderEvent(Event):
    """orders.v1: PLACED needs lines and delivery; CANCELLED without lines cancels the whole order."""

    order_id: Id
    type: OrderEventType
    lines: Annotated[list[OrderLine], Field(max_length=MAX_LINES)] = Field(default_factory=list)
    delivery: Delivery | None = None
    cart_id: Id | None = None
    channel: Id
    strategy: Text | None = None

    @model_validator(mode="after")
    def _placed_is_complete(self) -> OrderEvent:
        if self.type is OrderEventType.PLACED and (not self.lines or self.delivery is None):
            raise ValueError("PLACED needs at least one line and a delivery")
        if len({line.line_id for line in self.lines}) != len(self.lines):
            raise ValueError("line_id must be unique within an order")
        return self


class FulfillmentLine(Model):
    line_id: Id | None = None
    sku: Id
    quantity: PositiveUnits


class FulfillmentUpdate(Event):
    """fulfillment.updates.v1: `lines` narrows the update to part of the shipment (a partial rejection)."""

    order_id: Id
    shipment_id: Id
    location_id: Id
    status: FulfillmentStatus
    lines: Annotated[list[FulfillmentLine], Field(min_length=1, max_length=MAX_LINES)] | None = None
    reason: Text | None = None
    tracking_number: Text | None = None  # the carrier's parcel number, with SHIPPED
