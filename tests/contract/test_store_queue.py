"""The store queue contract: the index of shipments open at each location, as the worker's order store
writes it and the store screen's reader reads it, on the in-memory fake, one Redis and a Redis Cluster."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import redis
import redis.asyncio
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from core.allocation import OrderLine
from core.order_lifecycle import apply_routing, apply_update, cancel, new_order
from core.order_types import (
    ChangeLine,
    FulfillmentChange,
    Order,
    PlannedShipment,
    RoutingResult,
    ShipmentStatus,
)
from core.routing_types import DeliveryMethod, RoutedShipment, RoutingDecision, decision_dict
from core.store_queue import StoreQueueReader
from state import order_keys as k
from state.memory_order_store import InMemoryOrderStore
from state.memory_store_queue import InMemoryStoreQueue
from state.order_store import OrderWrite, RedisOrderStore
from state.pick_capacity import CapacityClaim
from state.store_queue import AsyncRedisStoreQueue

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SLA = 60_000
A1, B1 = OrderLine("l1", "SKU-A", 2), OrderLine("l2", "SKU-B", 1)
T = TypeVar("T")


@dataclass
class Queues:
    """The order store under test (the worker's side) and a way to open its queue reader (the API's)."""

    store: Any
    reader: Callable[[], AbstractAsyncContextManager[StoreQueueReader]]
    raw: redis.Redis | RedisCluster | None = None  # the Redis under the store, None for the fake

    def ask(self, call: Callable[[StoreQueueReader], Awaitable[T]]) -> T:
        async def run() -> T:
            async with self.reader() as reader:
                return await call(reader)

        return asyncio.run(run())

    def listed(self, location_id: str) -> list[tuple[str, str]]:
        found = self.ask(lambda reader: reader.open_shipments(location_id))
        return sorted((o.order.order_id, o.shipment.shipment_id) for o in found)


@pytest.fixture
def queues(request: pytest.FixtureRequest) -> Iterator[Queues]:
    if request.param == "memory":
        memory = InMemoryOrderStore()

        @asynccontextmanager
        async def fake() -> AsyncIterator[StoreQueueReader]:
            yield InMemoryStoreQueue(memory)

        yield Queues(memory, fake)
        return
    on_cluster = request.param == "cluster"
    client: redis.Redis | RedisCluster
    if on_cluster:
        url = request.getfixturevalue("redis_cluster_url")
        client = RedisCluster.from_url(url)
    else:
        url = request.getfixturevalue("redis_server_url")
        client = redis.Redis.from_url(url)
    prefix = f"t-{uuid.uuid4().hex}:"

    @asynccontextmanager
    async def real() -> AsyncIterator[StoreQueueReader]:
        async_client = AsyncRedisCluster.from_url(url) if on_cluster else redis.asyncio.Redis.from_url(url)
        try:
            yield AsyncRedisStoreQueue(async_client, prefix, deadline_s=5.0)
        finally:
            await async_client.aclose()

    yield Queues(RedisOrderStore(client, prefix), real, client)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)
    client.close()


every_store = pytest.mark.parametrize(
    "queues",
    [
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("cluster", marks=pytest.mark.redis),
    ],
    indirect=True,
)
redis_stores = pytest.mark.parametrize(
    "queues",
    [pytest.param("redis", marks=pytest.mark.redis), pytest.param("cluster", marks=pytest.mark.redis)],
    indirect=True,
)


def routed(order_id: str, *shipments: tuple[str, tuple[OrderLine, ...]], at: int = T0) -> Order:
    lines = [line for _, ls in shipments for line in ls]
    plan = tuple(PlannedShipment(loc, ls, SLA) for loc, ls in shipments)
    placed = new_order(order_id, lines, "CLICK_COLLECT")
    return apply_routing(placed, RoutingResult(f"D-{order_id}", plan), at).order


def moved(order: Order, n: int, *statuses: str, lines: Any = None) -> Order:
    s = order.shipments[n - 1]
    for status in statuses:
        new = ShipmentStatus(status)
        change = FulfillmentChange(f"e-{s.shipment_id}-{new}", s.shipment_id, s.location_id, new, T0, lines)
        order = apply_update(order, change).order
    return order


def saved(queues: Queues, before: Order | None, after: Order, **kwargs: Any) -> Order:
    queues.store.save([OrderWrite(before, after)], **kwargs)
    return after


def decision(order_id: str, location_id: str, earliest: datetime, latest: datetime) -> dict[str, Any]:
    shipment = RoutedShipment(location_id, (A1,), "pickup", earliest, latest, 0, 0, 0.0)
    made = RoutingDecision(
        f"D-{order_id}",
        "balanced",
        "1",
        DeliveryMethod.CLICK_COLLECT,
        earliest,
        (shipment,),
        (),
        (),
        1.0,
        {},
        "exact",
    )
    return decision_dict(made, "balanced") | {"order_id": order_id}


@every_store
def test_a_routed_shipment_is_in_its_location_s_queue_oldest_request_first(queues: Queues) -> None:
    saved(queues, None, routed("O-1", ("ST1", (A1,)), ("WH1", (B1,)), at=T0 + 5))
    saved(queues, None, routed("O-2", ("ST1", (B1,))))
    assert queues.store.store_queue("ST1") == [("O-2", "O-2-1"), ("O-1", "O-1-1")]
    assert queues.store.store_queue("WH1") == [("O-1", "O-1-2")]
    assert queues.store.store_queue("ST9") == []
    assert queues.listed("ST1") == [("O-1", "O-1-1"), ("O-2", "O-2-1")]


@every_store
@pytest.mark.parametrize(
    "statuses", [("ACCEPTED",), ("ACCEPTED", "PICKED"), ("ACCEPTED", "PICKED", "READY_FOR_PICKUP")]
)
def test_a_shipment_stays_in_the_queue_while_the_store_prepares_it(
    queues: Queues, statuses: tuple[str, ...]
) -> None:
    order = saved(queues, None, routed("O-1", ("ST1", (A1,))))
    after = saved(queues, order, moved(order, 1, *statuses))
    assert queues.store.store_queue("ST1") == [("O-1", "O-1-1")]
    (listed,) = queues.ask(lambda reader: reader.open_shipments("ST1"))
    assert (listed.order, listed.shipment.status.value) == (after, statuses[-1])


@every_store
@pytest.mark.parametrize(
    "statuses", [("SHIPPED",), ("ACCEPTED", "PICKED", "READY_FOR_PICKUP", "COLLECTED"), ("REJECTED",)]
)
def test_a_shipment_leaves_the_queue_once_shipped_collected_or_rejected(
    queues: Queues, statuses: tuple[str, ...]
) -> None:
    order = saved(queues, None, routed("O-1", ("ST1", (A1,)), ("ST2", (B1,))))
    saved(queues, order, moved(order, 1, *statuses))
    assert queues.store.store_queue("ST1") == []
    assert queues.store.store_queue("ST2") == [("O-1", "O-1-2")]
    assert queues.listed("ST1") == []


@every_store
def test_every_shipment_of_a_cancelled_order_leaves_the_queues(queues: Queues) -> None:
    order = saved(queues, None, routed("O-1", ("ST1", (A1,)), ("ST2", (B1,))))
    saved(queues, order, cancel(order, "c-1").order)
    assert (queues.store.store_queue("ST1"), queues.store.store_queue("ST2")) == ([], [])
    assert queues.listed("ST2") == []


@every_store
def test_a_partial_rejection_keeps_the_shipment_in_the_queue_with_the_lines_left(queues: Queues) -> None:
    order = saved(queues, None, routed("O-1", ("ST1", (A1, B1))))
    saved(queues, order, moved(order, 1, "REJECTED", lines=(ChangeLine(B1.sku, B1.quantity, B1.line_id),)))
    assert queues.store.store_queue("ST1") == [("O-1", "O-1-1")]
    (listed,) = queues.ask(lambda reader: reader.open_shipments("ST1"))
    assert listed.shipment.lines == (A1,)


@every_store
def test_the_queue_gives_at_most_the_limit_oldest_first(queues: Queues) -> None:
    for n in range(5):
        saved(queues, None, routed(f"O-{n}", ("ST1", (A1,)), at=T0 + 10 - n))
    assert queues.store.store_queue("ST1", limit=2) == [("O-4", "O-4-1"), ("O-3", "O-3-1")]
    assert len(queues.ask(lambda reader: reader.open_shipments("ST1", limit=2))) == 2


@every_store
def test_promised_dates_come_from_the_decision_that_placed_the_shipment(queues: Queues) -> None:
    earliest, latest = (
        datetime(2026, 1, 2, 9, tzinfo=UTC),
        datetime(2026, 1, 2, 18, 30, 0, 123000, tzinfo=UTC),
    )
    made = decision("O-1", "ST1", earliest, latest)
    saved(queues, None, routed("O-1", ("ST1", (A1,))), decisions=[made])
    saved(queues, None, routed("O-2", ("ST1", (B1,))))  # its decision expired (never stored here)
    listed = {o.order.order_id: o for o in queues.ask(lambda reader: reader.open_shipments("ST1"))}
    assert (listed["O-1"].promised_earliest_ms, listed["O-1"].promised_latest_ms) == (
        int(earliest.timestamp()) * 1000,
        int(latest.timestamp()) * 1000 + 123,
    )
    assert (listed["O-2"].promised_earliest_ms, listed["O-2"].promised_latest_ms) == (None, None)


@every_store
def test_one_shipment_is_read_whatever_its_state_and_an_unknown_one_is_none(queues: Queues) -> None:
    order = saved(queues, None, routed("O-1", ("ST1", (A1,))))
    shipped = saved(queues, order, moved(order, 1, "SHIPPED"))
    found = queues.ask(lambda reader: reader.shipment("O-1", "O-1-1"))
    assert found is not None
    assert (found.order, found.shipment) == (shipped, shipped.shipments[0])
    assert queues.ask(lambda reader: reader.shipment("O-1", "O-1-9")) is None
    assert queues.ask(lambda reader: reader.shipment("NOPE", "NOPE-1")) is None


@every_store
def test_capacity_used_is_the_lines_picked_at_the_location_that_day(queues: Queues) -> None:
    members = ("O-1/l1", "O-2/l1", "O-3/l1")
    queues.store.take_capacity([CapacityClaim("2026-01-01", "ST1", None, members)])
    assert queues.ask(lambda reader: reader.capacity_used("ST1", "2026-01-01")) == 3
    assert queues.ask(lambda reader: reader.capacity_used("ST1", "2026-01-02")) == 0
    assert queues.ask(lambda reader: reader.capacity_used("ST2", "2026-01-01")) == 0
    assert queues.ask(lambda reader: reader.ping())


@redis_stores
def test_a_stale_index_entry_is_left_out_of_the_queue(queues: Queues) -> None:
    """An entry written ahead of its order (a batch cut short) or left behind lists nothing."""
    order = saved(queues, None, routed("O-1", ("ST1", (A1,))))
    saved(queues, order, moved(order, 1, "SHIPPED"))
    assert queues.raw is not None
    key = k.store_queue(queues.store.prefix, "ST1")
    queues.raw.zadd(key, {k.member("O-1", "O-1-1"): T0, k.member("GONE", "GONE-1"): T0})
    assert queues.listed("ST1") == []


@redis_stores
def test_the_queue_of_one_location_is_one_key_in_its_own_slot(queues: Queues) -> None:
    saved(queues, None, routed("O-1", ("ST1", (A1,))))
    saved(queues, None, routed("O-2", ("ST1", (B1,))))
    assert queues.raw is not None
    key = k.store_queue(queues.store.prefix, "ST1")
    assert key.endswith("storeq:{ST1}")
    assert queues.raw.zrange(key, 0, -1, withscores=True) == [
        (k.member("O-1", "O-1-1").encode(), float(T0)),
        (k.member("O-2", "O-2-1").encode(), float(T0)),
    ]
