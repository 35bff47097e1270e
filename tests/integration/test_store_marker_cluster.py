"""The store marker on a Redis Cluster of its own (FLUSHALL is safe there): a marker in every slot, so a
master wiped alone is found lost, and a master added later with its slots' keys is found whole."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio.cluster
from prometheus_client import CollectorRegistry
from redis.cluster import ClusterNode as RedisClusterNode
from redis.cluster import RedisCluster

from core.errors import StoreUnavailable
from omnistock.stack.processes import free_port
from state.lean_pipeline import Command
from state.shard_markers import AsyncClusterStoreMarker, ClusterStoreMarker, slot_marker_key, store_marker
from streams.store_guard import StoreGuard
from tests.conftest import unavailable
from tests.support.redis_cluster import SLOT_RANGES, ClusterNode, redis_cluster

pytestmark = pytest.mark.redis
MOVED_TO_THE_NEW_MASTER = range(0, 3)


@pytest.fixture(scope="module")
def cluster_urls() -> Iterator[list[str]]:
    try:
        context = redis_cluster()
        urls = context.__enter__()
    except Exception as error:  # any failure to start is reported with its reason
        unavailable(f"the Redis Cluster could not start: {error}")
    try:
        yield urls
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def client(cluster_urls: list[str]) -> Iterator[RedisCluster]:
    cluster = RedisCluster.from_url(cluster_urls[0])
    yield cluster
    cluster.close()


@pytest.fixture
def marker(client: RedisCluster) -> Iterator[ClusterStoreMarker]:
    marker = store_marker(client, f"t-{uuid.uuid4().hex}:")
    assert isinstance(marker, ClusterStoreMarker)
    marker.write(1, "test")
    yield marker
    marker.remove()


def async_present(url: str, prefix: str) -> bool:
    async def probe() -> bool:
        client = redis.asyncio.cluster.RedisCluster.from_url(url)
        try:
            return await AsyncClusterStoreMarker(client, prefix).present()
        finally:
            await client.aclose()

    return asyncio.run(probe())


def test_one_master_flushed_alone_is_found_lost_by_the_worker_and_by_readyz(
    marker: ClusterStoreMarker, client: RedisCluster, cluster_urls: list[str]
) -> None:
    guard = StoreGuard(marker, CollectorRegistry())
    prefix = marker.prefix
    assert not guard.lost()
    assert async_present(cluster_urls[0], prefix)

    redis.Redis.from_url(cluster_urls[1]).flushall()  # the second master restarted empty

    assert guard.lost()
    assert guard.lost_gauge._value.get() == 1
    assert marker.lost_slots() == [SLOT_RANGES[1][0]]
    assert not async_present(cluster_urls[0], prefix)
    first, third = redis.Redis.from_url(cluster_urls[0]), redis.Redis.from_url(cluster_urls[2])
    assert first.exists(slot_marker_key(prefix, 0)) == 1  # the other masters keep theirs
    assert third.exists(slot_marker_key(prefix, SLOT_RANGES[2][0])) == 1
    marker.write(2, "rebuild")
    assert not guard.lost()


def test_a_master_out_of_reach_is_not_a_lost_store(marker: ClusterStoreMarker, client: RedisCluster) -> None:
    guard = StoreGuard(marker, CollectorRegistry())
    client.nodes_manager.slots_cache[0] = [RedisClusterNode("127.0.0.1", free_port())]  # as a dead master
    with pytest.raises(StoreUnavailable):
        ClusterStoreMarker(client, marker.prefix).present()
    assert not guard.lost()  # unknown is not lost: the batch's own retry waits for the failover
    assert guard.lost_gauge._value.get() == 0
    assert marker.present()  # the slot map is read again after a node out of reach


def test_a_master_added_later_with_its_slots_keys_is_whole_and_found_lost_once_wiped() -> None:
    # A cluster of its own: a reshard and a fourth master are not undone reliably for the next tests.
    with redis_cluster() as urls, tempfile.TemporaryDirectory(prefix="omnistock-fourth-") as directory:
        client = RedisCluster.from_url(urls[0])
        marker = store_marker(client, f"t-{uuid.uuid4().hex}:")
        assert isinstance(marker, ClusterStoreMarker)
        marker.write(1, "test")
        new = ClusterNode(Path(directory))
        new.start()
        try:
            join_and_take_slots(new, urls, client)
            client.nodes_manager.initialize()  # as after the MOVED a reshard answers

            assert marker.present()  # the moved slots' markers came with their keys
            assert marker.lost_slots() == []
            new.client().flushall()
            assert marker.lost_slots() == [MOVED_TO_THE_NEW_MASTER[0]]
        finally:
            new.stop()
            client.close()


def join_and_take_slots(new: ClusterNode, urls: list[str], client: RedisCluster) -> None:
    """CLUSTER MEET, then the slots moved from the first master with their keys (a reshard)."""
    source = redis.Redis.from_url(urls[0])
    source.execute_command("CLUSTER", "MEET", "127.0.0.1", new.port, new.bus_port)
    source_id, new_id = (
        source.execute_command("CLUSTER", "MYID"),
        new.client().execute_command("CLUSTER", "MYID"),
    )
    wait_until(lambda: all(known(url, new_id) for url in urls) and state_ok(new.url))
    for slot in MOVED_TO_THE_NEW_MASTER:
        new.client().execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
        source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", new_id)
        names = source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
        if names:
            source.execute_command("MIGRATE", "127.0.0.1", new.port, "", 0, 5000, "KEYS", *names)
        for url in [*urls, new.url]:
            redis.Redis.from_url(url).execute_command("CLUSTER", "SETSLOT", slot, "NODE", new_id)
    wait_until(lambda: all(owner(url, 0) == new.port for url in urls))


def known(url: str, node_id: bytes) -> bool:
    nodes = redis.Redis.from_url(url).execute_command("CLUSTER", "NODES")
    return node_id.decode() in (nodes.decode() if isinstance(nodes, bytes) else str(nodes))


def state_ok(url: str) -> bool:
    info = redis.Redis.from_url(url).execute_command("CLUSTER", "INFO")
    return "cluster_state:ok" in (info.decode() if isinstance(info, bytes) else str(info))


def owner(url: str, slot: int) -> int:
    for first, last, master, *_replicas in redis.Redis.from_url(url).execute_command("CLUSTER", "SLOTS"):
        if first <= slot <= last:
            return int(master[1])
    return 0


def wait_until(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the cluster did not settle")
        time.sleep(0.05)


def test_a_marker_write_cut_short_leaves_the_store_lost(
    client: RedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = ClusterStoreMarker(client, f"t-{uuid.uuid4().hex}:")
    runner, chunks = marker._runner, []
    send = runner.read

    def cut_after_three_chunks(commands: list[Command]) -> list[object]:
        if len(chunks) == 3:
            raise StoreUnavailable("rebuild killed")
        chunks.append(len(commands))
        return send(commands)

    monkeypatch.setattr(runner, "read", cut_after_three_chunks)
    with pytest.raises(StoreUnavailable):
        marker.write(1, "rebuild")
    monkeypatch.undo()
    try:
        assert sum(chunks) == 3 * 4096  # three quarters of the slots marked
        assert marker.lost_slots() == [first for first, _last in SLOT_RANGES]
    finally:
        marker.remove()
