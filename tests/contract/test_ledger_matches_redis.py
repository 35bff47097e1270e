"""The pure Ledger and the Redis store give the same outcomes and figures on random event streams."""

from __future__ import annotations

import random
import uuid

import pytest
import redis

from core.movements import AdjustOnHand, Movement, MoveTransfer, OnHandDelta, RecordCount, TransferStatus
from state.memory import InMemoryStockStore
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK

T0 = 1_767_225_600_000
LOCATIONS = ("WH1", "WH2", "ST1")


def random_movement(rng: random.Random, i: int) -> Movement:
    sku, at = rng.choice(("A", "B")), T0 + rng.randrange(0, 5_000_000)
    event_id = f"e{rng.randrange(i + 1)}" if rng.random() < 0.1 else f"e{i}"  # some redeliveries
    kind = rng.random()
    if kind < 0.5:
        deltas = tuple(OnHandDelta(loc, rng.randrange(-5, 10)) for loc in rng.sample(LOCATIONS, 2))
        return AdjustOnHand(event_id, sku, at, deltas)
    if kind < 0.7:
        return RecordCount(event_id, sku, at, rng.choice(LOCATIONS), rng.randrange(0, 30))
    status = rng.choice(list(TransferStatus))
    src, dst = rng.sample(LOCATIONS, 2)
    return MoveTransfer(event_id, sku, at, f"X{rng.randrange(4)}", status, src, dst, rng.randrange(1, 6))


@pytest.mark.redis
@pytest.mark.parametrize("seed", range(5))
def test_the_ledger_and_redis_agree_on_random_streams(redis_client: redis.Redis, seed: int) -> None:
    rng = random.Random(seed)
    prefix = f"t-{uuid.uuid4().hex}:"
    real = RedisStockStore(redis_client, prefix, lambda: NETWORK, count_window_s=3600, dedupe_window_s=600)
    fake = InMemoryStockStore(lambda: NETWORK, count_window_s=3600, dedupe_window_s=600)
    now = T0
    try:
        for batch in range(30):
            now += rng.randrange(0, 200_000)
            movements = [random_movement(rng, batch * 10 + j) for j in range(10)]
            assert real.apply(movements, now) == fake.apply(movements, now)
        assert real.read_sync(["A", "B", "C"]) == fake.read_sync(["A", "B", "C"])
    finally:
        for key in redis_client.scan_iter(match=prefix + "*", count=1000):
            redis_client.delete(key)
