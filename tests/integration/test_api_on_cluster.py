"""`omnistock api`'s app built from settings with OMNISTOCK_REDIS_CLUSTER on a 3-master cluster: the
stock reads (one sku, a batch over every node) and the SSE stream of the sharded change log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry
from redis.cluster import RedisCluster

from core.movements import AdjustOnHand, LocationFigures, OnHandDelta
from omnistock.settings import Settings
from omnistock.wiring.api import api_app
from omnistock.wiring.stores import network_source, stock_store
from state.change_shards import ChangeShards
from state.change_stream import ChangeStream
from tests.integration.test_change_stream import Server, sse_blocks

pytestmark = pytest.mark.redis
SKUS = [f"SKU-{n}" for n in range(60)]
WAREHOUSE = "WH-PARIS-BUSSY"  # of the packaged network, which the app reads


@pytest.fixture
def settings(redis_cluster_url: str) -> Iterator[Settings]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield Settings(redis_url=redis_cluster_url, redis_cluster=True, redis_prefix=prefix)
    client = RedisCluster.from_url(redis_cluster_url)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with Server(api_app(settings, CollectorRegistry())) as running:
        yield running


def test_the_api_reads_one_sku_and_a_batch_of_skus_held_by_every_node(
    settings: Settings, server: Server
) -> None:
    store = stock_store(settings, network_source(settings))
    store.apply(
        [AdjustOnHand(f"e{n}", sku, 1, (OnHandDelta(WAREHOUSE, n + 1),)) for n, sku in enumerate(SKUS)], 2
    )

    one = httpx.get(f"{server.url}/v1/availability/{SKUS[7]}", timeout=5)
    batch = httpx.post(f"{server.url}/v1/availability", json={"skus": [*SKUS, "NEVER-SEEN"]}, timeout=5)

    assert one.status_code == 200
    assert one.json()["network"]["on_hand"] == 8
    assert batch.status_code == 200
    assert {item["sku"]: item["network"]["on_hand"] for item in batch.json()["items"]} == {
        sku: n + 1 for n, sku in enumerate(SKUS)
    }
    assert batch.json()["not_found"] == ["NEVER-SEEN"]


def test_the_api_streams_the_changes_the_worker_appends_to_the_sharded_log(
    settings: Settings, server: Server
) -> None:
    shards = ChangeShards.of(settings.redis_prefix, settings.change_stream_count)
    writer = ChangeStream(RedisCluster.from_url(settings.redis_url), shards, settings.change_stream_maxlen)
    figures = LocationFigures(WAREHOUSE, 5, 0, 0, 0, 0, 5)

    blocks = sse_blocks(
        server,
        "skus=SKU-1,SKU-2,SKU-3",
        3,
        then=lambda: writer.append([(sku, figures, 5) for sku in SKUS[:10]]),
    )

    events = [orjson.loads(b["data"])["sku"] for b in blocks if b.get("event") == "availability"]
    assert sorted(events) == ["SKU-1", "SKU-2", "SKU-3"]
    assert len(shards) == 16  # the cluster's default
