"""Two workers routing one burst of orders never give a node more lines than its daily pick capacity,
on one Redis as on a 3-master Redis Cluster: the capacity is taken per line, atomically, before the
line is allocated."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import orjson
import pytest
import redis
from redis.cluster import RedisCluster

from core.movements import AdjustOnHand, OnHandDelta
from core.network import Network
from core.promise_nodes import prepare
from omnistock.stack.redis_keys import delete_prefix
from state.order_store import RedisOrderStore
from state.store import RedisStockStore
from streams.order_flow import OrderFlow
from streams.order_routing import OrderRouter
from tests.support.order_flow import order_flow
from tests.support.promise_network import network, services, utc
from tests.support.records import FakeRecord
from topics.catalog import ORDERS
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

pytestmark = pytest.mark.redis
CODEC = AvroCodec(LocalSchemaList())
NOW_MS = int(utc(17, 9).timestamp() * 1000)  # Tue 10:00 in Paris
BASE = replace(network(), services=services())
NETWORK: Network = replace(
    BASE, locations={**BASE.locations, "WH": replace(BASE.locations["WH"], daily_pick_capacity=4)}
)
ORDERS_PER_WORKER, BATCH = 150, 10


Connect = Callable[[], redis.Redis | RedisCluster]


@pytest.fixture(params=["redis", "cluster"])
def connect(request: pytest.FixtureRequest) -> Connect:
    """A new client of the Redis under test (each worker has its own): one Redis, or a cluster."""
    if request.param == "cluster":
        cluster_url: str = request.getfixturevalue("redis_cluster_url")
        return lambda: RedisCluster.from_url(cluster_url)
    url: str = request.getfixturevalue("redis_url")
    return lambda: redis.Redis.from_url(url)


@pytest.fixture
def prefix(connect: Connect) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    client = connect()
    delete_prefix(client, prefix)  # type: ignore[arg-type]  # SCAN and UNLINK: the cluster client has both
    client.close()


def _worker(connect: Connect, prefix: str) -> tuple[OrderFlow, RedisOrderStore]:
    """One worker process's order flow, on its own connections to the shared Redis."""
    client = connect()
    stock, orders = RedisStockStore(client, prefix, lambda: NETWORK), RedisOrderStore(client, prefix)
    prepared = prepare(NETWORK, services())
    router = OrderRouter(stock, lambda: prepared, lambda: NETWORK.routing, lambda _: 3_600_000)
    flow = order_flow(stock, orders, router, lambda: NETWORK, lambda: NOW_MS)
    return flow, orders


def _placed(order_id: str) -> FakeRecord:
    return FakeRecord(ORDERS, orjson.dumps({
        "event_id": f"{order_id}-placed", "order_id": order_id, "type": "PLACED", "occurred_at": NOW_MS,
        "channel": "web", "lines": [{"line_id": "l1", "sku": "A", "quantity": 1}],
        "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
    }))  # fmt: skip


def test_two_workers_racing_for_a_node_with_capacity_4_give_it_exactly_4_lines(
    connect: Connect, prefix: str
) -> None:
    seed = RedisStockStore(connect(), prefix, lambda: NETWORK)
    seed.apply([AdjustOnHand("seed", "A", NOW_MS - 60_000, (OnHandDelta("WH", 1000),))], NOW_MS)
    workers = [_worker(connect, prefix) for _ in range(2)]
    start = threading.Barrier(2)
    requested: list[list[str]] = [[], []]

    def run(n: int) -> None:
        flow = workers[n][0]
        start.wait()
        for first in range(0, ORDERS_PER_WORKER, BATCH):
            batch = [_placed(f"W{n}-O{i}") for i in range(first, first + BATCH)]
            for out in flow.run(ORDERS, batch).outputs:
                if out.topic.endswith("fulfillment.requests.v1"):
                    requested[n].append(CODEC.decode(out.value)["location_id"])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    day = NETWORK.local_days(NOW_MS)["WH"]
    assert requested[0].count("WH") + requested[1].count("WH") == 4
    assert workers[0][1].capacity_used({"WH": day}) == {"WH": 4}
    allocated = seed.read_sync(["A"])["A"].locations[0]
    assert (allocated.location_id, allocated.allocated) == ("WH", 4)
