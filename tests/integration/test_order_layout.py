"""A store written in the former order layout (one SLA index, one capacity hash a day) is read in full
after the move into buckets a worker makes at start, on one Redis and on a Redis Cluster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.cluster import RedisCluster

from omnistock.stack.redis_keys import delete_prefix
from state import order_keys as k
from state.order_layout import adopt_former_layout, former_capacity, former_sla
from state.order_store import RedisOrderStore
from state.pick_capacity import CapacityClaim

pytestmark = pytest.mark.redis
DAY = "2026-01-01"
ORDER_IDS = [f"O-{n}" for n in range(20)]


@pytest.fixture(params=["redis", "cluster"])
def client(request: pytest.FixtureRequest) -> Iterator[redis.Redis | RedisCluster]:
    if request.param == "cluster":
        cluster = RedisCluster.from_url(request.getfixturevalue("redis_cluster_url"))
        yield cluster
        cluster.close()
    else:
        yield redis.Redis.from_url(request.getfixturevalue("redis_url"))


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(client, prefix)


def write_former_layout(client: redis.Redis | RedisCluster, prefix: str) -> None:
    """20 shipments waiting in the one SLA index; WH1 and ST1's lines of the day in one hash."""
    members = {k.member(o, f"{o}-1"): 1000 + n for n, o in enumerate(ORDER_IDS)}
    client.zadd(former_sla(prefix), members)  # type: ignore[arg-type]
    client.hset(former_capacity(prefix, DAY), mapping={"WH1": 2, "WH1|O-1/l1": 1, "WH1|O-2/l1": 1, "ST1": 5})


def test_waiting_shipments_and_the_days_capacity_are_read_after_the_move(
    client: redis.Redis | RedisCluster, prefix: str
) -> None:
    write_former_layout(client, prefix)
    store = RedisOrderStore(client, prefix)

    moved = adopt_former_layout(client, prefix, [DAY, DAY])

    assert moved == 20 + 4
    assert store.due_shipments(2000) == [(o, f"{o}-1") for o in ORDER_IDS]
    assert store.capacity_used({"WH1": DAY, "ST1": DAY}) == {"WH1": 2, "ST1": 5}
    (again,) = store.take_capacity([CapacityClaim(DAY, "WH1", 3, ("O-1/l1", "O-3/l1", "O-4/l1"))])
    assert (again.used, again.granted) == (3, (True, True, False))  # O-1's line counted once
    assert client.exists(former_sla(prefix), former_capacity(prefix, DAY)) == 0


def test_moving_twice_moves_nothing_the_second_time(client: redis.Redis | RedisCluster, prefix: str) -> None:
    write_former_layout(client, prefix)
    adopt_former_layout(client, prefix, [DAY])

    assert adopt_former_layout(client, prefix, [DAY]) == 0
    assert len(RedisOrderStore(client, prefix).due_shipments(2000)) == 20
