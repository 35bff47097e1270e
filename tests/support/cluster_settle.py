"""Settle and compare on a Redis Cluster, read from the store itself (the API does not run on a cluster
yet): every position equal to the oracle and every partition's committed offset at its end, or a
deadline; then what differs, as `tests.support.settle.Settled`."""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import KafkaException
from redis.cluster import RedisCluster
from redis.exceptions import RedisError

from core.errors import StoreUnavailable
from omnistock.network_file import NetworkSource
from state.store import RedisStockStore
from tests.support.oracle import Key, Position
from tests.support.send import Ends
from tests.support.settle import Settled, committed, settle_with


def cluster_positions(url: str, prefix: str, network_file: str, skus: list[str]) -> dict[Key, Position]:
    """(on_hand, in_transit) of every location of `skus`, read through a fresh cluster client (it
    discovers the slot map as it is now, after a failover)."""
    client = RedisCluster.from_url(url, socket_timeout=5)
    try:
        store = RedisStockStore(client, prefix, NetworkSource(network_file).current)
        found = store.read_sync(skus)
    finally:
        client.close()
    return {
        (sku, location.location_id): (location.on_hand, location.in_transit)
        for sku, stock in found.items()
        for location in stock.locations
    }


def settle_on_cluster(
    urls: list[str],
    prefix: str,
    network_file: str,
    group: tuple[str, str],
    expected: Mapping[Key, Position],
    ends: Ends,
    timeout_s: float,
) -> Settled:
    """`group` is (bootstrap, group_id); `urls` the nodes to try (any one that answers will do)."""
    skus = sorted({sku for sku, _ in expected})
    return settle_with(
        lambda: _positions_from_any(urls, prefix, network_file, skus),
        lambda: committed(*group, ends),
        expected,
        ends,
        timeout_s,
        (RedisError, StoreUnavailable, KafkaException),  # a node or the broker away for a moment
    )


def _positions_from_any(
    urls: list[str], prefix: str, network_file: str, skus: list[str]
) -> dict[Key, Position]:
    for url in urls[:-1]:
        try:
            return cluster_positions(url, prefix, network_file, skus)
        except RedisError:
            continue
    return cluster_positions(urls[-1], prefix, network_file, skus)
