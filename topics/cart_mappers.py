"""Cart events to hold commands: a line's new total is held, any cart event renews the cart's TTL."""

from __future__ import annotations

from core.movements import Command, ReleaseHold, RenewCart, SetHold
from topics.order_events import CartEvent, CartEventType


def map_cart_event(event: CartEvent, ttl_ms: int) -> list[Command]:
    """LINE_SET holds the new total (trimmed to ATP by the store); LINE_REMOVED releases the line;
    CLEARED and ABANDONED let every hold of the cart expire now (the expiry sweep releases each one
    exactly once and publishes it). Every event renews the TTL of the cart's other holds."""
    renew = RenewCart(event.event_id, event.cart_id, ttl_ms)
    sku = event.sku or ""  # the model guarantees a sku (and a quantity) for line events
    if event.type is CartEventType.LINE_SET:
        quantity = event.quantity or 0
        hold = SetHold(event.event_id, event.cart_id, sku, event.location_id, quantity, ttl_ms, event.channel)
        return [hold, renew]
    if event.type is CartEventType.LINE_REMOVED:
        return [ReleaseHold(event.event_id, event.cart_id, sku), renew]
    return [RenewCart(event.event_id, event.cart_id, 0)]
