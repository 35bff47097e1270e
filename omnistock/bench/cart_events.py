"""The events of the holds benchmark: stock receipts, then carts setting lines (carts.events.v1 JSON)."""

from __future__ import annotations

import random
import time
from typing import Any

import orjson

START_MS = 1_795_000_000_000
RECEIPT_LINES = 100  # lines per receipt event
CLICK_COLLECT_SHARE = 0.2  # carts held at a store rather than on the network


def receipts(
    skus: list[str], locations: list[str], quantity: int, at_ms: int | None = None
) -> list[dict[str, Any]]:
    """Receipt events giving `quantity` of every sku at every location, RECEIPT_LINES lines each,
    stamped `at_ms` (default: a minute ago, within what the worker accepts)."""
    at_ms = time.time_ns() // 1_000_000 - 60_000 if at_ms is None else at_ms
    events: list[dict[str, Any]] = []
    for loc in locations:
        for start in range(0, len(skus), RECEIPT_LINES):
            lines = [{"sku": sku, "quantity": quantity} for sku in skus[start : start + RECEIPT_LINES]]
            n = len(events)
            events.append({"event_id": f"r-{n}", "occurred_at": at_ms, "location_id": loc, "lines": lines})
    return events


def cart_events(skus: list[str], stores: list[str], count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` LINE_SET events from carts of 1-4 events each; a cart sometimes raises a line it set
    before; a fifth of the carts are click & collect at one store (every line with its location_id)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible load, not a secret
    events: list[dict[str, Any]] = []
    cart = 0
    while len(events) < count:
        cart += 1
        store = rng.choice(stores) if rng.random() < CLICK_COLLECT_SHARE else None
        lines: dict[str, int] = {}
        for _ in range(min(rng.randint(1, 4), count - len(events))):
            sku = rng.choice(list(lines)) if lines and rng.random() < 0.25 else rng.choice(skus)
            lines[sku] = lines.get(sku, 0) + rng.randint(1, 3)
            n = len(events)
            event = {
                "event_id": f"c-{seed}-{n}",
                "occurred_at": START_MS + n,
                "cart_id": f"cart-{seed}-{cart}",
                "type": "LINE_SET",
                "sku": sku,
                "quantity": lines[sku],
                "channel": "web",
            }
            if store is not None:
                event["location_id"] = store
            events.append(event)
    return events


def encoded(events: list[dict[str, Any]], key_field: str) -> list[tuple[bytes, bytes]]:
    """(key, JSON value) of each event, encoded once before any timing."""
    return [(str(e[key_field]).encode(), orjson.dumps(e)) for e in events]
