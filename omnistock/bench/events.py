"""The events of the worker benchmark: POS sales and receipts over the simulated network, pre-encoded."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import orjson

from core.network import LocationKind, Network
from topics.catalog import POS_SALES, STOCK_RECEIPTS


def bench_events(
    network: Network, count: int, sku_count: int = 5000, seed: int = 11, start_ms: int | None = None
) -> Iterator[tuple[str, bytes, bytes]]:
    """`count` (topic, key, JSON value): 90 % sales of 1-2 lines at stores, 10 % receipts at warehouses,
    stamped from `start_ms` (default: a minute ago) 1 ms per 100 events, within what the worker accepts."""
    start_ms = time.time_ns() // 1_000_000 - 60_000 if start_ms is None else start_ms
    rng = random.Random(seed)
    stores = [loc.location_id for loc in network.locations.values() if loc.kind is LocationKind.STORE]
    warehouses = [loc.location_id for loc in network.locations.values() if loc.kind is LocationKind.WAREHOUSE]
    skus = [f"SKU-{i:05d}" for i in range(1, sku_count + 1)]
    for n in range(count):
        receipt = n % 10 == 0
        location = rng.choice(warehouses if receipt else stores)
        lines = [{"sku": rng.choice(skus), "quantity": rng.randint(1, 50 if receipt else 3)}]
        if rng.random() < 0.3:
            lines.append({"sku": rng.choice(skus), "quantity": 1})
        event = {
            "event_id": f"b-{seed}-{n}",
            "occurred_at": start_ms + n // 100,
            "location_id": location,
            "lines": lines,
        }
        yield (STOCK_RECEIPTS if receipt else POS_SALES), location.encode(), orjson.dumps(event)
