"""Measures RedisStockStore.apply throughput (batches of 500) and Redis memory per dedupe entry.

Run: python -m omnistock.bench.store [--url redis://127.0.0.1:6379/0] [--movements 50000] [--skus 5000]
     python -m omnistock.bench.store --mode holds [--movements 50000] [--skus 5000]  (cart holds/s)
It writes under a scratch prefix and deletes its keys at the end.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

from core.movements import AdjustOnHand, Command, Movement, OnHandDelta, SetHold
from core.network import Capability, Location, LocationKind, Network
from state.store import RedisStockStore

LOCATIONS = [f"L{i:02d}" for i in range(20)]
NETWORK = Network(
    {
        i: Location(i, LocationKind.STORE, i, 0.0, 0.0, "UTC", frozenset({Capability.SHIP}), 1)
        for i in LOCATIONS
    }
)


def movements(count: int, skus: int, start_ms: int) -> list[Movement]:
    rng = random.Random(7)  # noqa: S311 (a benchmark's load, not security)
    return [
        AdjustOnHand(
            uuid.uuid4().hex + uuid.uuid4().hex[:4],  # 36 chars, the size of a UUID string
            f"SKU-{rng.randrange(skus):06d}",
            start_ms + i,
            (OnHandDelta(rng.choice(LOCATIONS), rng.choice((-1, -1, -2, 5))),),
        )
        for i in range(count)
    ]


def holds(count: int, skus: int) -> list[Command]:
    """Cart lines set at random: half network-level, half at a location; some carts set a line again."""
    rng = random.Random(11)  # noqa: S311 (a benchmark's load, not security)
    return [
        SetHold(
            uuid.uuid4().hex + uuid.uuid4().hex[:4],
            f"cart-{rng.randrange(count // 3)}",
            f"SKU-{rng.randrange(skus):06d}",
            rng.choice((None, rng.choice(LOCATIONS))),
            rng.randrange(1, 4),
            900_000,
        )
        for _ in range(count)
    ]


def bench_holds(store: RedisStockStore, options: argparse.Namespace, now_ms: int) -> None:
    stock = [
        AdjustOnHand(
            f"stock-{k}", f"SKU-{k:06d}", now_ms - 1, tuple(OnHandDelta(loc, 50) for loc in LOCATIONS)
        )
        for k in range(options.skus)
    ]
    for i in range(0, len(stock), options.batch):
        store.apply(stock[i : i + options.batch], now_ms)
    work = holds(options.movements, options.skus)
    started = time.perf_counter()
    for i in range(0, len(work), options.batch):
        store.apply(work[i : i + options.batch], now_ms)
    rate = len(work) / (time.perf_counter() - started)
    print(f"holds: {rate:,.0f} SetHold/s (batches of {options.batch}, {options.skus} skus, with indexes)")
    started = time.perf_counter()
    expired = store.expire_holds(now_ms + 900_000, limit=options.skus)
    elapsed = time.perf_counter() - started
    released = sum(len(e.released) for e in expired)
    print(
        f"expire: {released:,} holds ({len(expired):,} skus) in {elapsed:.2f} s, {released / elapsed:,.0f}/s"
    )


def cleanup(client: redis.Redis, prefix: str) -> None:
    batch: list[Any] = []
    for key in client.scan_iter(match=prefix + "*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            client.unlink(*batch)
            batch = []
    if batch:
        client.unlink(*batch)


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def key_bytes(client: redis.Redis, pattern: str, size: Callable[[str], Any]) -> tuple[int, int]:
    """MEMORY USAGE summed over the keys matching `pattern`, and the entries they hold (`size` command)."""
    total = entries = 0
    for key in client.scan_iter(match=pattern, count=1000):
        total += int(client.memory_usage(key, samples=0) or 0)
        entries += int(size(key))
    return total, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--movements", type=int, default=50_000)
    parser.add_argument("--skus", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--mode", choices=("movements", "holds"), default="movements")
    options = parser.parse_args()
    client = redis.Redis.from_url(options.url)
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    store = RedisStockStore(client, prefix, lambda: NETWORK)
    now_ms = time.time_ns() // 1_000_000
    if options.mode == "holds":
        try:
            bench_holds(store, options, now_ms)
        finally:
            cleanup(client, prefix)
        return
    work = movements(options.movements, options.skus, now_ms - 3_600_000)
    before = used_memory(client)
    started = time.perf_counter()
    try:
        for i in range(0, len(work), options.batch):
            store.apply(work[i : i + options.batch], now_ms)
        elapsed = time.perf_counter() - started
        rate = len(work) / elapsed
        print(f"apply: {rate:,.0f} movements/s (batches of {options.batch}, {options.skus} skus)")
        for name, pattern, size in (("dedupe", "dd:*", client.hlen), ("delta log", "ohlog:*", client.zcard)):
            total, entries = key_bytes(client, prefix + pattern, size)
            print(f"{name}: {total / max(1, entries):.1f} B per entry ({entries} entries, MEMORY USAGE)")
        print(f"all keys: {(used_memory(client) - before) / len(work):.1f} B per movement (INFO used_memory)")
    finally:
        cleanup(client, prefix)


if __name__ == "__main__":
    main()
