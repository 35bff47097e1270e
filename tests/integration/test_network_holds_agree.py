"""Network-level holds on a real Redis: GET availability, the promise and the router agree on what an
online channel can promise (core.promise_atp), and the allocation script refuses exactly beyond it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
import redis.asyncio as aioredis

from api.promise_desk import PromiseDesk
from core.allocation import OrderLine
from core.geo import place_of_postcode
from core.movements import SetHold
from core.order_lifecycle import new_order
from core.promise_nodes import prepare
from core.promise_types import CartLine, PromiseResult
from core.routing_types import Delivery, DeliveryMethod
from omnistock.bench.promise_http import NOW_MS, seed_atp
from omnistock.network_file import default_network_path, load_network
from omnistock.postcodes import load_postcodes
from omnistock.stack.redis_keys import delete_prefix
from state.memory_order_store import InMemoryOrderStore
from state.reader import AsyncRedisStockReader
from state.store import RedisStockStore
from streams.order_routing import BatchCapacity, OrderRouter, RouteRequest

pytestmark = pytest.mark.redis
NETWORK = load_network(default_network_path())
WAREHOUSE = "WH-PARIS-BUSSY"
TUESDAY_MORNING = datetime(2026, 11, 17, 9, tzinfo=UTC)
POSTCODES = load_postcodes()


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisStockStore]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield RedisStockStore(redis.Redis.from_url(redis_url), prefix, lambda: NETWORK)
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


def _promise(redis_url: str, prefix: str, quantity: int) -> PromiseResult:
    async def ask() -> PromiseResult:
        client = aioredis.Redis.from_url(redis_url)
        desk = PromiseDesk(lambda: NETWORK, POSTCODES, AsyncRedisStockReader(client, prefix, lambda: NETWORK))
        prepared = desk.prepared()
        assert prepared is not None
        to = desk.destination("75011", None, None, None)
        try:
            lines = [CartLine("SKU-N", quantity)]
            return await desk.promise(prepared, lines, to, TUESDAY_MORNING, ["home_standard"], False)
        finally:
            await client.aclose()

    return asyncio.run(ask())


def _route(store: RedisStockStore, order_id: str, quantity: int) -> tuple[int, tuple[str, ...], int]:
    """(rounds planned, the lines unroutable in the end, units allocated) of a one-line order."""
    assert NETWORK.services is not None
    prepared = prepare(NETWORK, NETWORK.services)
    router = OrderRouter(store, lambda: prepared, lambda: NETWORK.routing, lambda _: 3_600_000)
    line = OrderLine("l1", "SKU-N", quantity)
    place = place_of_postcode("75011", POSTCODES)
    assert place is not None
    request = RouteRequest(
        new_order(order_id, (line,), "HOME_STANDARD"), (line,), Delivery(DeliveryMethod.HOME_STANDARD, place),
        None, None, "web", f"{order_id}-placed",
    )  # fmt: skip
    capacity = BatchCapacity(InMemoryOrderStore(), NETWORK.local_days(NOW_MS), {})
    (entry,) = router.route([request], capacity, NOW_MS)[0]
    allocated = sum(loc.allocated for loc in store.read_sync(["SKU-N"])["SKU-N"].locations)
    return len(entry.rounds), entry.rounds[-1][1].unroutable, allocated


def test_a_network_hold_of_all_the_atp_leaves_nothing_to_promise_nor_to_route(
    store: RedisStockStore, redis_url: str
) -> None:
    seed_atp(store, NETWORK, {("SKU-N", WAREHOUSE): 3})
    store.apply([SetHold("hold-1", "cart-1", "SKU-N", None, 3, 900_000)], NOW_MS)

    assert store.read_sync(["SKU-N"])["SKU-N"].network.atp == 0  # what GET shows
    assert _promise(redis_url, store._prefix, 1).options == ()
    assert _route(store, "O1", 1) == (1, ("l1",), 0)  # one round: nothing planned the script refuses


def test_what_is_left_beside_a_network_hold_is_what_get_the_promise_and_the_router_all_offer(
    store: RedisStockStore, redis_url: str
) -> None:
    seed_atp(store, NETWORK, {("SKU-N", WAREHOUSE): 5})
    store.apply([SetHold("hold-1", "cart-1", "SKU-N", None, 3, 900_000)], NOW_MS)

    assert store.read_sync(["SKU-N"])["SKU-N"].network.atp == 2
    assert _promise(redis_url, store._prefix, 3).options == ()
    assert [s.location_id for s in _promise(redis_url, store._prefix, 2).options[0].shipments] == [WAREHOUSE]
    assert _route(store, "O1", 3) == (1, ("l1",), 0)
    assert _route(store, "O2", 2) == (1, (), 2)
