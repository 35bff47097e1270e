"""The worker's decoder: any record of a topic it applies, to the store commands it asks for."""

from __future__ import annotations

from core.movements import Command
from topics.cart_mappers import map_cart_event
from topics.catalog import CART_EVENTS
from topics.codec import AvroCodec
from topics.decoding import validate_value
from topics.mappers import StockEventDecoder
from topics.order_events import CartEvent
from topics.registry import make_registry


class CommandDecoder:
    """`decoder(topic, value) -> commands` for the stock topics and the cart topic; InvalidEvent if bad."""

    def __init__(self, codec: AvroCodec, hold_ttl_ms: int) -> None:
        self._codec = codec
        self._stock = StockEventDecoder(codec)
        self._hold_ttl_ms = hold_ttl_ms

    def __call__(self, topic: str, value: bytes) -> list[Command]:
        if topic == CART_EVENTS:
            return map_cart_event(validate_value(self._codec, CartEvent, topic, value), self._hold_ttl_ms)
        return list(self._stock(topic, value))


def command_decoder(registry_url: str | None, hold_ttl_ms: int, topic_prefix: str = "") -> CommandDecoder:
    return CommandDecoder(AvroCodec(make_registry(registry_url, topic_prefix)), hold_ttl_ms)
