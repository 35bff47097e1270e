"""Pydantic models of the stock input events (the six topics that move on_hand and in_transit)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from core.movements import TransferStatus
from topics import catalog
from topics.event_fields import (
    MAX_LINES,
    EpochMs,
    Event,
    Id,
    Model,
    NonNegativeUnits,
    PositiveUnits,
    Text,
    Units,
)
from topics.order_events import CartEvent, FulfillmentUpdate, OrderEvent


class AdjustmentReason(StrEnum):
    DAMAGED = "DAMAGED"
    SHRINK = "SHRINK"
    FOUND = "FOUND"
    OTHER = "OTHER"


class ReturnCondition(StrEnum):
    RESELLABLE = "RESELLABLE"
    DAMAGED = "DAMAGED"


class SaleLine(Model):
    sku: Id
    quantity: Units


class PosSale(Event):
    """pos.sales.v1: on_hand -= quantity (a negative quantity is an in-store return)."""

    location_id: Id
    lines: Annotated[list[SaleLine], Field(min_length=1, max_length=MAX_LINES)]
    receipt_id: Text | None = None


class ReceiptLine(Model):
    sku: Id
    quantity: PositiveUnits


class StockReceipt(Event):
    location_id: Id
    lines: Annotated[list[ReceiptLine], Field(min_length=1, max_length=MAX_LINES)]
    reference: Text | None = None


class StockAdjustment(Event):
    location_id: Id
    lines: Annotated[list[SaleLine], Field(min_length=1, max_length=MAX_LINES)]
    reason: AdjustmentReason


class CountLine(Model):
    sku: Id
    on_hand: NonNegativeUnits


class StockCount(Event):
    location_id: Id
    lines: Annotated[list[CountLine], Field(min_length=1, max_length=MAX_LINES)]


class StockTransfer(Event):
    transfer_id: Id
    status: TransferStatus
    from_location_id: Id
    to_location_id: Id
    lines: Annotated[list[ReceiptLine], Field(min_length=1, max_length=MAX_LINES)]
    expected_at: EpochMs | None = None

    @model_validator(mode="after")
    def _two_locations(self) -> StockTransfer:
        if self.from_location_id == self.to_location_id:
            raise ValueError("from_location_id and to_location_id must differ")
        return self


class ReturnLine(Model):
    sku: Id
    quantity: PositiveUnits
    condition: ReturnCondition


class ReturnEvent(Event):
    return_id: Id
    order_id: Id | None = None
    location_id: Id
    lines: Annotated[list[ReturnLine], Field(min_length=1, max_length=MAX_LINES)]


# Every input topic's model (unprefixed topic name -> model): JSON and Avro values validate the same way.
INPUT_MODELS: dict[str, type[Event]] = {
    catalog.POS_SALES: PosSale,
    catalog.STOCK_RECEIPTS: StockReceipt,
    catalog.STOCK_ADJUSTMENTS: StockAdjustment,
    catalog.STOCK_COUNTS: StockCount,
    catalog.STOCK_TRANSFERS: StockTransfer,
    catalog.CART_EVENTS: CartEvent,
    catalog.ORDERS: OrderEvent,
    catalog.FULFILLMENT_UPDATES: FulfillmentUpdate,
    catalog.RETURNS: ReturnEvent,
}
