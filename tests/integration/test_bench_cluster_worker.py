"""The bench's interim seam (omnistock/bench/cluster_worker.py): on a 3-master cluster, the adapters the
worker refuses there until they are ported each get a client they can run on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.cluster import RedisCluster

from core.movements import LocationFigures
from omnistock.bench.cluster_worker import node_client_for
from state.change_stream import ChangeStream, changes_key
from state.epoch import StoreMarker, marker_key
from state.order_store import RedisOrderStore

pytestmark = pytest.mark.redis


@pytest.fixture
def cluster(redis_cluster_url: str) -> Iterator[RedisCluster]:
    client = RedisCluster.from_url(redis_cluster_url)
    yield client
    client.close()


@pytest.fixture
def prefix(cluster: RedisCluster) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    for key in cluster.scan_iter(match=prefix + "*", count=1000):
        cluster.delete(key)


def test_the_change_log_is_appended_on_the_master_that_owns_its_key(
    cluster: RedisCluster, prefix: str
) -> None:
    log_client = node_client_for(prefix)(cluster, "the change log")
    ChangeStream(log_client, changes_key(prefix)).append(
        [("SKU-1", LocationFigures("WH1", 5, 0, 0, 0, 0, 5), 5)]
    )
    assert cluster.xlen(changes_key(prefix)) == 1  # read through the cluster: the key is where it belongs


def test_the_store_marker_is_written_and_found_on_its_master(cluster: RedisCluster, prefix: str) -> None:
    marker = StoreMarker(node_client_for(prefix)(cluster, "the store marker"), prefix)
    assert not marker.present()
    marker.write(1, "new_deployment")
    assert marker.present()
    assert cluster.exists(marker_key(prefix)) == 1


def test_the_order_store_reads_allocations_of_skus_on_every_master(
    cluster: RedisCluster, prefix: str
) -> None:
    skus = [f"SKU-{n}" for n in range(30)]  # 30 hash tags: all three masters
    orders = RedisOrderStore(node_client_for(prefix)(cluster, "the order store"), prefix)
    found = orders.allocations_at([(sku, "WH1") for sku in skus])
    assert set(found) == {(sku, "WH1") for sku in skus}
    assert not any(found.values())


def test_one_redis_is_given_as_it_is(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        assert node_client_for("p:")(client, "the change log") is client
