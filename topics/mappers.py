"""Validated stock events -> core movements, and the hot-path entry point from record bytes to movements.

Lines of one sku within an event are summed (every stock event names one location, or one pair for a
transfer), so each sku gets exactly one movement and the store touches its keys in one script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from core.movements import AdjustOnHand, Movement, MoveTransfer, OnHandDelta, RecordCount
from topics import catalog
from topics.codec import AvroCodec
from topics.decoding import validate_value
from topics.event_fields import Event
from topics.events import (
    PosSale,
    ReturnCondition,
    ReturnEvent,
    StockAdjustment,
    StockCount,
    StockReceipt,
    StockTransfer,
)
from topics.registry import LocalSchemaList, make_registry


def sum_by_sku(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return totals


def adjust_on_hand(event: Event, location_id: str, lines: Iterable[tuple[str, int]]) -> list[Movement]:
    """One AdjustOnHand per sku with the summed delta; a sku whose lines cancel out moves nothing."""
    event_id, occurred_at = event.event_id, event.occurred_at
    return [
        AdjustOnHand(event_id, sku, occurred_at, (OnHandDelta(location_id, quantity),))
        for sku, quantity in sum_by_sku(lines).items()
        if quantity
    ]


def map_pos_sale(event: PosSale) -> list[Movement]:
    return adjust_on_hand(event, event.location_id, ((line.sku, -line.quantity) for line in event.lines))


def map_receipt(event: StockReceipt) -> list[Movement]:
    return adjust_on_hand(event, event.location_id, ((line.sku, line.quantity) for line in event.lines))


def map_adjustment(event: StockAdjustment) -> list[Movement]:
    return adjust_on_hand(event, event.location_id, ((line.sku, line.quantity) for line in event.lines))


def map_return(event: ReturnEvent) -> list[Movement]:
    """RESELLABLE lines go back on hand where they came back; DAMAGED lines move no stock."""
    resellable = (
        (line.sku, line.quantity) for line in event.lines if line.condition is ReturnCondition.RESELLABLE
    )
    return adjust_on_hand(event, event.location_id, resellable)


def map_count(event: StockCount) -> list[Movement]:
    """One RecordCount per sku (lines of one sku, e.g. counted in two bins, are summed)."""
    totals = sum_by_sku((line.sku, line.on_hand) for line in event.lines)
    return [
        RecordCount(event.event_id, sku, event.occurred_at, event.location_id, on_hand)
        for sku, on_hand in totals.items()
    ]


def map_transfer(event: StockTransfer) -> list[Movement]:
    totals = sum_by_sku((line.sku, line.quantity) for line in event.lines)
    return [
        MoveTransfer(
            event.event_id,
            sku,
            event.occurred_at,
            event.transfer_id,
            event.status,
            event.from_location_id,
            event.to_location_id,
            quantity,
        )
        for sku, quantity in totals.items()
    ]


# Unprefixed stock topic -> (model, mapper); the keys are catalog.STOCK_TOPICS.
STOCK_ROUTES: dict[str, tuple[type[Any], Callable[[Any], list[Movement]]]] = {
    catalog.POS_SALES: (PosSale, map_pos_sale),
    catalog.STOCK_RECEIPTS: (StockReceipt, map_receipt),
    catalog.STOCK_ADJUSTMENTS: (StockAdjustment, map_adjustment),
    catalog.STOCK_COUNTS: (StockCount, map_count),
    catalog.STOCK_TRANSFERS: (StockTransfer, map_transfer),
    catalog.RETURNS: (ReturnEvent, map_return),
}


class StockEventDecoder:
    """`decoder(topic, value) -> movements`: decode (Avro or JSON), validate, map; InvalidEvent if bad."""

    def __init__(self, codec: AvroCodec) -> None:
        self._codec = codec

    def __call__(self, topic: str, value: bytes) -> list[Movement]:
        route = STOCK_ROUTES.get(topic)
        if route is None:
            raise ValueError(f"{topic} is not a stock topic")
        model, mapper = route
        return mapper(validate_value(self._codec, model, topic, value))


def stock_event_decoder(registry_url: str | None, topic_prefix: str = "") -> StockEventDecoder:
    """The decoder for `settings.schema_registry_url` when set, else for the repo's schema list."""
    return StockEventDecoder(AvroCodec(make_registry(registry_url, topic_prefix)))


@cache
def _local_decoder() -> StockEventDecoder:
    return StockEventDecoder(AvroCodec(LocalSchemaList()))


def decode_stock_event(topic_base_name: str, value: bytes) -> list[Movement]:
    """Movements of one record of a stock topic, Avro ids from the repo's schema list (no registry)."""
    return _local_decoder()(topic_base_name, value)
