"""The order path of a worker on a 3-master Redis Cluster: orders routed, their SLA entries spread over
the nodes, and the sweep finding every late shipment whatever node its bucket lives on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import orjson
import pytest
from redis.cluster import RedisCluster

from core.movements import AdjustOnHand, OnHandDelta
from core.network import Network
from core.promise_nodes import prepare
from omnistock.stack.redis_keys import delete_prefix
from state import order_keys as k
from state.order_store import RedisOrderStore
from state.store import RedisStockStore
from streams.order_routing import OrderRouter
from streams.records import OutRecord
from tests.support.order_flow import order_flow
from tests.support.promise_network import network, services, utc
from tests.support.records import FakeRecord
from topics.catalog import FULFILLMENT_REQUESTS, ORDERS
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

pytestmark = pytest.mark.redis
CODEC = AvroCodec(LocalSchemaList())
NOW_MS = int(utc(17, 9).timestamp() * 1000)  # Tue 10:00 in Paris
NETWORK: Network = replace(network(), services=services())
SLA_MS, ORDERS_SENT = 3_600_000, 24


@pytest.fixture
def cluster(redis_cluster_url: str) -> Iterator[tuple[RedisCluster, str]]:
    client, prefix = RedisCluster.from_url(redis_cluster_url), f"t-{uuid.uuid4().hex}:"
    yield client, prefix
    delete_prefix(client, prefix)  # type: ignore[arg-type]  # SCAN and UNLINK: the cluster client has both
    client.close()


def _placed(order_id: str) -> FakeRecord:
    return FakeRecord(ORDERS, orjson.dumps({
        "event_id": f"{order_id}-placed", "order_id": order_id, "type": "PLACED", "occurred_at": NOW_MS,
        "channel": "web", "lines": [{"line_id": "l1", "sku": "A", "quantity": 1}],
        "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
    }))  # fmt: skip


def _requests(outputs: list[OutRecord]) -> dict[str, str]:
    """order_id -> location_id of each fulfillment request among a batch's outputs."""
    found = {}
    for out in outputs:
        if out.topic.endswith(FULFILLMENT_REQUESTS):
            request = CODEC.decode(out.value)
            found[str(request["order_id"])] = str(request["location_id"])
    return found


def test_late_shipments_on_every_node_are_swept_and_routed_elsewhere(
    cluster: tuple[RedisCluster, str],
) -> None:
    client, prefix = cluster
    stock, orders = RedisStockStore(client, prefix, lambda: NETWORK), RedisOrderStore(client, prefix)
    deltas = (OnHandDelta("WH", ORDERS_SENT), OnHandDelta("SHOP", ORDERS_SENT))
    stock.apply([AdjustOnHand("seed", "A", NOW_MS - 60_000, deltas)], NOW_MS)
    prepared, clock = prepare(NETWORK, services()), [NOW_MS]
    router = OrderRouter(stock, lambda: prepared, lambda: NETWORK.routing, lambda _: SLA_MS)
    flow = order_flow(stock, orders, router, lambda: NETWORK, lambda: clock[0])

    order_ids = [f"O-{n}" for n in range(ORDERS_SENT)]
    first = _requests(flow.run(ORDERS, [_placed(o) for o in order_ids]).outputs)
    waiting = [key for key in k.sla_buckets(prefix) if client.exists(key)]
    clock[0] += SLA_MS + 1
    second = _requests(flow.sweep())

    assert sorted(first) == sorted(order_ids)
    assert len({client.get_node_from_key(key).name for key in waiting}) == 3
    assert sorted(second) == sorted(order_ids)
    assert all(second[o] != first[o] for o in order_ids)
    assert flow.sweep() == []
