"""The store desk on a real Redis and on a Redis Cluster: a claim takes a field only if it still holds
what was read, so of two racing clicks one wins; a release undoes a claim; marks in flight say when
they were claimed; counts are claimed once; the desk hash expires and lives in its order's slot."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
import redis
import redis.asyncio
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from core.order_types import ShipmentStatus
from omnistock.stack.redis_keys import delete_prefix
from state import order_keys as k
from state.store_desk import DeskMark, StoreDesk, desk_key, in_flight_mark

pytestmark = pytest.mark.redis
T = TypeVar("T")


@pytest.fixture(params=["redis", "cluster"])
def url_and_kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    fixture = "redis_cluster_url" if request.param == "cluster" else "redis_url"
    return request.getfixturevalue(fixture), request.param


def _with_desk(url_and_kind: tuple[str, str], work: Callable[[StoreDesk], Awaitable[T]]) -> T:
    """Runs `work` on a desk of a fresh prefix, then deletes the prefix's keys."""
    url, kind = url_and_kind
    prefix = f"t-{uuid.uuid4().hex}:"

    async def run() -> T:
        client = AsyncRedisCluster.from_url(url) if kind == "cluster" else redis.asyncio.Redis.from_url(url)
        try:
            return await work(StoreDesk(client, prefix, ttl_s=60))
        finally:
            await client.aclose()

    try:
        return asyncio.run(run())
    finally:
        sync = RedisCluster.from_url(url) if kind == "cluster" else redis.Redis.from_url(url)
        delete_prefix(sync, prefix)
        sync.close()


def test_a_claim_of_an_untouched_shipment_wins_and_is_read_back(url_and_kind: tuple[str, str]) -> None:
    async def work(desk: StoreDesk) -> tuple[bool, DeskMark | None]:
        claim = await desk.claim("O-1", "O-1-1", None, "ACCEPTED")
        return claim.won, await desk.mark("O-1", "O-1-1")

    assert _with_desk(url_and_kind, work) == (True, DeskMark("ACCEPTED", ShipmentStatus.ACCEPTED))


def test_a_claim_in_flight_is_read_back_with_its_status_and_when_it_was_claimed(
    url_and_kind: tuple[str, str],
) -> None:
    async def work(desk: StoreDesk) -> DeskMark | None:
        await desk.claim("O-1", "O-1-1", None, in_flight_mark(ShipmentStatus.PICKED, 1_000))
        return await desk.mark("O-1", "O-1-1")

    mark = _with_desk(url_and_kind, work)
    assert mark == DeskMark("~PICKED@1000", ShipmentStatus.PICKED, 1_000)
    assert mark.in_flight(now_ms=5_000, stale_after_ms=12_000)
    assert not mark.stale(now_ms=5_000, stale_after_ms=12_000)
    assert mark.stale(now_ms=13_000, stale_after_ms=12_000)


def test_of_two_racing_claims_from_the_same_read_one_wins_and_the_other_sees_its_status(
    url_and_kind: tuple[str, str],
) -> None:
    async def work(desk: StoreDesk) -> list[tuple[bool, str | None]]:
        claims = await asyncio.gather(*(desk.claim("O-1", "O-1-1", None, "ACCEPTED") for _ in range(5)))
        return sorted((c.won, c.current) for c in claims)

    assert _with_desk(url_and_kind, work) == [(False, "ACCEPTED")] * 4 + [(True, None)]


def test_a_claim_from_a_stale_read_loses(url_and_kind: tuple[str, str]) -> None:
    async def work(desk: StoreDesk) -> tuple[bool, str | None]:
        await desk.claim("O-1", "O-1-1", None, "ACCEPTED")
        await desk.claim("O-1", "O-1-1", "ACCEPTED", "PICKED")
        stale = await desk.claim("O-1", "O-1-1", "ACCEPTED", "REJECTED")
        return stale.won, stale.current

    assert _with_desk(url_and_kind, work) == (False, "PICKED")


def test_a_release_puts_back_what_was_there_before_the_claim(url_and_kind: tuple[str, str]) -> None:
    async def work(desk: StoreDesk) -> list[DeskMark | None]:
        await desk.claim("O-1", "O-1-1", None, "ACCEPTED")
        await desk.claim("O-1", "O-1-1", "ACCEPTED", "PICKED")
        await desk.release("O-1", "O-1-1", "PICKED", "ACCEPTED")
        after_one = await desk.mark("O-1", "O-1-1")
        await desk.release("O-1", "O-1-1", "ACCEPTED", None)
        return [after_one, await desk.mark("O-1", "O-1-1")]

    assert _with_desk(url_and_kind, work) == [DeskMark("ACCEPTED", ShipmentStatus.ACCEPTED), None]


def test_many_shipments_are_read_in_one_call_across_orders(url_and_kind: tuple[str, str]) -> None:
    async def work(desk: StoreDesk) -> list[ShipmentStatus | None]:
        await desk.claim("O-1", "O-1-1", None, "ACCEPTED")
        await desk.claim("O-2", "O-2-1", None, "READY_FOR_PICKUP")
        marks = await desk.marks([("O-1", "O-1-1"), ("O-2", "O-2-1"), ("O-3", "O-3-1")])
        return [mark.status if mark else None for mark in marks]

    assert _with_desk(url_and_kind, work) == [ShipmentStatus.ACCEPTED, ShipmentStatus.READY_FOR_PICKUP, None]


def test_a_count_id_is_claimed_once_until_released(url_and_kind: tuple[str, str]) -> None:
    async def work(desk: StoreDesk) -> list[object]:
        first = await desk.claim_count("S-1", "c1", None, "~@1")
        again = await desk.claim_count("S-1", "c1", None, "~@2")
        elsewhere = await desk.claim_count("S-2", "c1", None, "~@3")
        in_flight = await desk.count_mark("S-1", "c1")
        await desk.claim_count("S-1", "c1", "~@1", None)  # released: the publish failed
        retried = await desk.claim_count("S-1", "c1", None, "~@4")
        await desk.claim_count("S-1", "c1", "~@4", "1")  # published
        return [
            first.won,
            (again.won, again.current),
            elsewhere.won,
            in_flight,
            retried.won,
            await desk.count_mark("S-1", "c1"),
        ]

    assert _with_desk(url_and_kind, work) == [
        True,
        (False, "~@1"),
        True,
        DeskMark("~@1", None, 1),
        True,
        DeskMark("1", None),
    ]


def test_the_desk_expires_and_shares_the_orders_slot(url_and_kind: tuple[str, str]) -> None:
    async def work(desk: StoreDesk) -> int:
        await desk.claim("O-1", "O-1-1", None, "ACCEPTED")
        return int(await desk._client.ttl(desk_key(desk._prefix, "O-1")))

    assert 0 < _with_desk(url_and_kind, work) <= 60
    assert desk_key("p:", "O-1").endswith("{O-1}")
    assert k.order("p:", "O-1").endswith("{O-1}")
