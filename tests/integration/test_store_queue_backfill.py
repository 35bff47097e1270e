"""Orders already open when a worker of this version first starts are put in their store's queue, once,
on one Redis and on a Redis Cluster (about 2 s in all)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.cluster import RedisCluster

from core.allocation import OrderLine
from core.order_lifecycle import apply_routing, apply_update, new_order
from core.order_types import FulfillmentChange, Order, PlannedShipment, RoutingResult, ShipmentStatus
from omnistock.stack.redis_keys import delete_prefix
from state import order_keys as k
from state.epoch import NEW_DEPLOYMENT
from state.order_store import OrderWrite, RedisOrderStore
from state.shard_markers import store_marker
from state.store_queue_backfill import done_marker, fill_store_queues

pytestmark = pytest.mark.redis
T0 = 1_767_225_600_000
LINE = OrderLine("l1", "SKU-A", 1)


@pytest.fixture(params=["redis", "cluster"])
def client(request: pytest.FixtureRequest) -> Iterator[redis.Redis | RedisCluster]:
    if request.param == "cluster":
        cluster = RedisCluster.from_url(request.getfixturevalue("redis_cluster_url"))
        yield cluster
        cluster.close()
    else:
        yield redis.Redis.from_url(request.getfixturevalue("redis_url"))


@pytest.fixture
def prefix(client: redis.Redis | RedisCluster) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(client, prefix)


def at(order_id: str, location_id: str, n: int) -> Order:
    placed = new_order(order_id, (LINE,), "CLICK_COLLECT")
    plan = RoutingResult(f"D-{order_id}", (PlannedShipment(location_id, (LINE,), 60_000),))
    return apply_routing(placed, plan, T0 + n).order


def shipped(order: Order) -> Order:
    s = order.shipments[0]
    change = FulfillmentChange("e", s.shipment_id, s.location_id, ShipmentStatus.SHIPPED, T0)
    return apply_update(order, change).order


def stored_by_a_former_worker(client: redis.Redis | RedisCluster, prefix: str) -> list[Order]:
    """30 open orders over three stores and 5 shipped ones, saved as before: no store queue keys."""
    orders = [at(f"O-{n}", f"ST{n % 3}", n) for n in range(30)]
    orders += [shipped(at(f"X-{n}", "ST0", n)) for n in range(5)]
    store_marker(client, prefix).write(T0, NEW_DEPLOYMENT)
    RedisOrderStore(client, prefix).save([OrderWrite(None, order) for order in orders])
    for location_id in ("ST0", "ST1", "ST2"):
        client.delete(k.store_queue(prefix, location_id))
    return orders


def test_open_orders_stored_before_the_index_are_put_in_their_store_s_queue(
    client: redis.Redis | RedisCluster, prefix: str
) -> None:
    stored_by_a_former_worker(client, prefix)
    store = RedisOrderStore(client, prefix)

    added = fill_store_queues(client, prefix, chunk=7)

    assert added == 30
    for location_id in ("ST0", "ST1", "ST2"):
        n = int(location_id[-1])
        assert store.store_queue(location_id) == [(f"O-{i}", f"O-{i}-1") for i in range(n, 30, 3)]


def test_a_second_start_reads_nothing_and_a_repeated_fill_adds_nothing_twice(
    client: redis.Redis | RedisCluster, prefix: str
) -> None:
    stored_by_a_former_worker(client, prefix)
    fill_store_queues(client, prefix)

    assert fill_store_queues(client, prefix) is None  # the marker: later starts skip the scan
    client.delete(done_marker(prefix))
    assert fill_store_queues(client, prefix) == 0  # two workers starting together: ZADD NX
    assert len(RedisOrderStore(client, prefix).store_queue("ST0")) == 10


def test_a_store_with_no_orders_is_marked_done(client: redis.Redis | RedisCluster, prefix: str) -> None:
    store_marker(client, prefix).write(T0, NEW_DEPLOYMENT)
    assert fill_store_queues(client, prefix) == 0
    assert client.exists(done_marker(prefix)) == 1


def test_a_store_never_initialised_is_marked_done_without_reading_its_keys(
    client: redis.Redis | RedisCluster, prefix: str
) -> None:
    """A new deployment's first start: no store marker yet, so no order of a former version (the keys
    here stand for what a scan would find)."""
    RedisOrderStore(client, prefix).save([OrderWrite(None, at("O-1", "ST0", 0))])
    client.delete(k.store_queue(prefix, "ST0"))

    assert fill_store_queues(client, prefix) == 0
    assert client.exists(done_marker(prefix)) == 1
    assert RedisOrderStore(client, prefix).store_queue("ST0") == []
