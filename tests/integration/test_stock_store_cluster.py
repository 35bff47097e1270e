"""The stock store on a 3-master Redis Cluster: one pipeline per node, and the redirections it survives."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from redis.cluster import ClusterNode, RedisCluster
from redis.crc import key_slot

from core.errors import StoreUnavailable
from core.movements import AdjustOnHand, OnHandDelta, Outcome
from omnistock.settings import Settings
from omnistock.stack.processes import free_port
from omnistock.wiring.stores import network_source, redis_client, stock_store
from state import keys
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK

pytestmark = pytest.mark.redis
NOW = 1_767_225_600_000


@pytest.fixture
def client(redis_cluster_url: str) -> Iterator[RedisCluster]:
    cluster = RedisCluster.from_url(redis_cluster_url)
    yield cluster
    cluster.close()


@pytest.fixture
def store(client: RedisCluster) -> Iterator[RedisStockStore]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield RedisStockStore(client, prefix, lambda: NETWORK)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)


def receipt(sku: str, quantity: int = 5) -> AdjustOnHand:
    return AdjustOnHand(f"e-{sku}", sku, NOW, (OnHandDelta("WH1", quantity),))


def skus_on_every_node(client: RedisCluster, per_node: int = 2) -> list[str]:
    found: dict[str, list[str]] = {}
    for n in range(1000):
        sku = f"SKU-{uuid.uuid4().hex[:8]}-{n}"
        on = found.setdefault(node_of(client, sku).name, [])
        if len(on) < per_node:
            on.append(sku)
        if len(found) == 3 and all(len(s) == per_node for s in found.values()):
            return [sku for skus in found.values() for sku in skus]
    raise AssertionError("no skus on every node")


def node_of(client: RedisCluster, sku: str) -> ClusterNode:
    return client.nodes_manager.get_node_from_slot(slot_of(sku))


def slot_of(sku: str) -> int:
    return key_slot(keys.stock("", sku).encode())


def on_hand(store: RedisStockStore, sku: str) -> int:
    return store.read_sync([sku])[sku].locations[0].on_hand


def test_a_batch_over_skus_of_all_three_masters_is_applied_and_read_back(
    store: RedisStockStore, client: RedisCluster
) -> None:
    skus = skus_on_every_node(client)
    results = store.apply([receipt(sku, i + 1) for i, sku in enumerate(skus)], NOW)
    assert [r.outcome for r in results] == [Outcome.APPLIED] * len(skus)
    assert [on_hand(store, sku) for sku in skus] == [i + 1 for i in range(len(skus))]


def test_nodes_that_lost_their_scripts_get_them_again_and_the_batch_applies_once(
    store: RedisStockStore, client: RedisCluster
) -> None:
    skus = skus_on_every_node(client)
    store.apply([receipt(sku) for sku in skus[::2]], NOW)
    for node in client.get_primaries():  # as restarted or promoted nodes
        client.get_redis_connection(node).script_flush()
    results = store.apply([receipt(sku) for sku in skus], NOW)
    assert [r.outcome for r in results] == [Outcome.DUPLICATE, Outcome.APPLIED] * 3
    assert [on_hand(store, sku) for sku in skus] == [5] * len(skus)


def test_a_call_sent_to_the_wrong_node_follows_moved_and_the_others_are_applied_once(
    store: RedisStockStore, client: RedisCluster
) -> None:
    skus = skus_on_every_node(client, per_node=1)
    moved = skus[0]
    wrong = next(n for n in client.get_primaries() if n.name != node_of(client, moved).name)
    client.nodes_manager.slots_cache[slot_of(moved)] = [wrong]  # a slot map gone stale
    results = store.apply([receipt(sku) for sku in skus], NOW)
    assert [r.outcome for r in results] == [Outcome.APPLIED] * 3
    assert node_of(client, moved).name != wrong.name  # the slot map was refreshed
    assert [on_hand(store, sku) for sku in skus] == [5] * 3


def test_during_a_slot_migration_reads_follow_ask_and_scripts_wait_for_its_end(
    store: RedisStockStore, client: RedisCluster
) -> None:
    sku = next(s for s in (f"SKU-{uuid.uuid4().hex}" for _ in range(100)) if not slot_keys(client, s))
    slot, source = slot_of(sku), node_of(client, sku)
    target = next(n for n in client.get_primaries() if n.name != source.name)
    ids = {
        n.name: client.get_redis_connection(n).execute_command("CLUSTER", "MYID") for n in (source, target)
    }
    store.apply([receipt(sku)], NOW)
    try:
        node_command(client, target, "IMPORTING", ids[source.name], slot)
        node_command(client, source, "MIGRATING", ids[target.name], slot)
        migrate_slot(client, source, target, slot)
        online, _walk_in = store.atp_views([sku])  # HGETALL: ASK, then ASKING on the target
        with pytest.raises(StoreUnavailable):  # TRYAGAIN: the worker retries the batch later
            store.apply([AdjustOnHand("e2", sku, NOW, (OnHandDelta("WH1", 2),))], NOW)
    finally:  # the slot, empty on the source, is the target's from now on
        for node in client.get_primaries():
            node_command(client, node, "NODE", ids[target.name], slot)
    assert online[(sku, "WH1")] == 5
    after = store.apply([AdjustOnHand("e2", sku, NOW, (OnHandDelta("WH1", 2),))], NOW)
    assert [r.outcome for r in after] == [Outcome.APPLIED]  # not applied while TRYAGAIN was answered
    assert on_hand(store, sku) == 7
    assert client.get_redis_connection(target).exists(keys.stock(store.prefix, sku)) == 1


def migrate_slot(client: RedisCluster, source: ClusterNode, target: ClusterNode, slot: int) -> None:
    connection = client.get_redis_connection(source)
    names = connection.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
    connection.execute_command("MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", *names)


def slot_keys(client: RedisCluster, sku: str) -> int:
    node = client.get_redis_connection(node_of(client, sku))
    return int(node.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot_of(sku)))


def node_command(client: RedisCluster, node: ClusterNode, state: str, node_id: bytes, slot: int) -> None:
    client.get_redis_connection(node).execute_command("CLUSTER", "SETSLOT", slot, state, node_id)


def test_omnistock_redis_cluster_makes_the_wiring_build_its_store_on_the_cluster(
    redis_cluster_url: str,
) -> None:
    settings = Settings(
        redis_url=redis_cluster_url, redis_cluster=True, redis_prefix=f"t-{uuid.uuid4().hex}:"
    )
    client = redis_client(settings)
    try:
        assert isinstance(client, RedisCluster)
        assert len(client.get_primaries()) == 3  # discovered from the one node named
        network = network_source(settings)
        store = stock_store(settings, network, client)
        first = next(iter(network.current().locations))
        receipt = AdjustOnHand("e1", "SKU-W", NOW, (OnHandDelta(first, 5),))
        assert [r.outcome for r in store.apply([receipt], NOW)] == [Outcome.APPLIED]
        client.delete(*client.scan_iter(match=settings.redis_prefix + "*"))
    finally:
        client.close()


def test_reconcile_of_every_sku_finds_the_skus_of_all_three_masters(
    store: RedisStockStore, client: RedisCluster
) -> None:
    skus = skus_on_every_node(client, per_node=1)
    store.apply([receipt(sku) for sku in skus], NOW)
    for sku in skus:  # a reserved figure with no hold behind it, on each node
        key = keys.stock(store.prefix, sku)
        figures = client.hget(key, "WH1").decode().split(",")
        figures[2] = "4"
        client.hset(key, "WH1", ",".join(figures))
    drifts = store.reconcile(None)
    assert sorted((d.sku, d.location_id, d.stored, d.actual) for d in drifts) == sorted(
        (sku, "WH1", 4, 0) for sku in skus
    )


def test_after_a_node_out_of_reach_the_next_batch_reads_the_slot_map_again_and_applies(
    store: RedisStockStore, client: RedisCluster
) -> None:
    skus = skus_on_every_node(client, per_node=1)
    gone = ClusterNode("127.0.0.1", free_port())  # as a master that died, its slots not yet re-read
    client.nodes_manager.slots_cache[slot_of(skus[0])] = [gone]
    with pytest.raises(StoreUnavailable):
        store.apply([receipt(sku) for sku in skus], NOW)
    results = store.apply([receipt(sku) for sku in skus], NOW)  # the worker's retry of the batch
    assert {r.outcome for r in results} <= {Outcome.APPLIED, Outcome.DUPLICATE}  # some went first time
    assert [on_hand(store, sku) for sku in skus] == [5] * 3  # each applied once
