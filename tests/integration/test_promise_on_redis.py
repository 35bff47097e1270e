"""A promise reads live stock from Redis: seeded ATP is what it promises, a cart hold takes units away."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
import redis.asyncio as aioredis

from api.promise_desk import PromiseDesk
from core.movements import SetHold
from core.promise_types import CartLine, PromiseResult
from omnistock.bench.promise_http import NOW_MS, seed_atp
from omnistock.network_file import default_network_path, load_network
from omnistock.postcodes import load_postcodes
from omnistock.stack.redis_keys import delete_prefix
from state.reader import AsyncRedisStockReader
from state.store import RedisStockStore

pytestmark = pytest.mark.redis
NETWORK = load_network(default_network_path())
WAREHOUSE = "WH-PARIS-BUSSY"
TUESDAY_MORNING = datetime(2026, 11, 17, 9, tzinfo=UTC)


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


def _promise(redis_url: str, prefix: str, quantity: int) -> PromiseResult:
    async def ask() -> PromiseResult:
        client = aioredis.Redis.from_url(redis_url)
        desk = PromiseDesk(
            lambda: NETWORK, load_postcodes(), AsyncRedisStockReader(client, prefix, lambda: NETWORK)
        )
        prepared = desk.prepared()
        assert prepared is not None
        to = desk.destination("75011", None, None, None)
        try:
            lines = [CartLine("SKU-P", quantity)]
            return await desk.promise(prepared, lines, to, TUESDAY_MORNING, ["home_standard"], False)
        finally:
            await client.aclose()

    return asyncio.run(ask())


def test_the_seeded_atp_is_what_a_promise_can_ship_and_a_cart_hold_takes_its_units(
    redis_url: str, prefix: str
) -> None:
    store = RedisStockStore(redis.Redis.from_url(redis_url), prefix, lambda: NETWORK)
    seed_atp(store, NETWORK, {("SKU-P", WAREHOUSE): 3})

    three = _promise(redis_url, prefix, 3)
    assert [s.location_id for s in three.options[0].shipments] == [WAREHOUSE]
    assert _promise(redis_url, prefix, 4).unserved == (CartLine("SKU-P", 4),)

    store.apply([SetHold("hold-1", "cart-1", "SKU-P", WAREHOUSE, 1, 900_000)], NOW_MS)

    assert _promise(redis_url, prefix, 3).options == ()
    assert _promise(redis_url, prefix, 2).options[0].shipments[0].location_id == WAREHOUSE
