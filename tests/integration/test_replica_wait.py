"""OMNISTOCK_REDIS_WAIT_REPLICAS on real servers: a batch is acknowledged only once the replicas hold
its writes (read back from each replica at once), and without the replicas asked for it is
StoreUnavailable, its retry applying each event once."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.cluster import RedisCluster
from redis.exceptions import MovedError

from core.errors import StoreUnavailable
from core.movements import AdjustOnHand, OnHandDelta, Outcome
from omnistock.stack.redis_keys import delete_prefix
from state import keys
from state.replica_wait import ReplicaWait
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK
from tests.support.redis_cluster import Cluster, ClusterNode, started_cluster

pytestmark = pytest.mark.redis
NOW = 1_767_225_600_000
SKUS = [f"SKU-{n}" for n in range(30)]  # about ten on each of three masters


def receipts(skus: list[str]) -> list[AdjustOnHand]:
    return [AdjustOnHand(f"e-{sku}", sku, NOW, (OnHandDelta("WH1", 3),)) for sku in skus]


@pytest.fixture(scope="module")
def replicated() -> Iterator[Cluster]:
    with started_cluster(masters=3, replicas=1) as cluster:  # 15 s node timeout: no failover here
        yield cluster


def held_by_replicas(cluster: Cluster, prefix: str) -> int:
    """The stock hashes of `prefix` the replicas hold, read on each replica itself (READONLY; a key of
    another shard answers MOVED there)."""
    found = 0
    for replica in (r for group in cluster.replicas for r in group):
        replica_client = redis.Redis(
            host="127.0.0.1", port=replica.port, socket_timeout=30, single_connection_client=True
        )
        with replica_client as client:
            client.execute_command("READONLY")
            for sku in SKUS:
                with contextlib.suppress(MovedError):
                    found += client.exists(keys.stock(prefix, sku))
    return found


@contextlib.contextmanager
def stopped(node: ClusterNode) -> Iterator[None]:
    """The node frozen (SIGSTOP) for a moment, well within the cluster's node timeout: a lagging replica."""
    assert node.process is not None
    os.kill(node.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(node.process.pid, signal.SIGCONT)


def test_with_wait_a_batch_over_every_master_is_on_every_replica_when_it_returns(replicated: Cluster):
    client = RedisCluster.from_url(replicated.url)
    prefix = f"w-{uuid.uuid4().hex[:8]}:"
    store = RedisStockStore(client, prefix, lambda: NETWORK, wait=ReplicaWait(1, 5000))
    results = store.apply(receipts(SKUS), NOW)
    assert [r.outcome for r in results] == [Outcome.APPLIED] * len(SKUS)
    assert held_by_replicas(replicated, prefix) == len(SKUS)
    client.close()


def test_with_wait_a_lagging_replica_makes_the_batch_unavailable_and_its_retry_applies_once(
    replicated: Cluster,
):
    client = RedisCluster.from_url(replicated.url)
    prefix = f"w-{uuid.uuid4().hex[:8]}:"
    store = RedisStockStore(client, prefix, lambda: NETWORK, wait=ReplicaWait(1, 300))
    with stopped(replicated.replicas[0][0]), pytest.raises(StoreUnavailable, match="replicas did not"):
        store.apply(receipts(SKUS), NOW)
    retried = store.apply(receipts(SKUS), NOW)
    assert [r.outcome for r in retried] == [Outcome.DUPLICATE] * len(SKUS)
    assert held_by_replicas(replicated, prefix) == len(SKUS)
    client.close()


def test_on_a_cluster_without_replicas_wait_is_store_unavailable(redis_cluster_url: str):
    client = RedisCluster.from_url(redis_cluster_url)
    prefix = f"w-{uuid.uuid4().hex[:8]}:"
    store = RedisStockStore(client, prefix, lambda: NETWORK, wait=ReplicaWait(1, 10))
    with pytest.raises(StoreUnavailable, match="replicas did not acknowledge"):
        store.apply(receipts(SKUS[:3]), NOW)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)
    client.close()


def test_on_one_redis_without_replicas_the_batch_is_retried_and_applied_once(redis_url: str):
    client = redis.Redis.from_url(redis_url)
    prefix = f"w-{uuid.uuid4().hex[:8]}:"
    waiting = RedisStockStore(client, prefix, lambda: NETWORK, wait=ReplicaWait(1, 10))
    try:
        with pytest.raises(StoreUnavailable, match="replicas did not acknowledge"):
            waiting.apply(receipts(SKUS[:2]), NOW)
        retried = RedisStockStore(client, prefix, lambda: NETWORK).apply(receipts(SKUS[:2]), NOW)
        assert [r.outcome for r in retried] == [Outcome.DUPLICATE] * 2
        assert [s.locations[0].on_hand for s in waiting.read_sync(SKUS[:2]).values()] == [3, 3]
    finally:
        delete_prefix(client, prefix)
