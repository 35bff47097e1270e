"""The stock table's adapters built from settings: the network file, the Redis client, the store."""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster

from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from state.replica_wait import ReplicaWait
from state.store import RedisStockStore


def network_source(settings: Settings) -> NetworkSource:
    return NetworkSource(settings.network_file or str(default_network_path()))


def redis_client(settings: Settings) -> redis.Redis | RedisCluster:
    """One Redis, or (OMNISTOCK_REDIS_CLUSTER) a cluster client that discovers the nodes from the URL's."""
    if settings.redis_cluster:
        return RedisCluster.from_url(settings.redis_url, socket_timeout=10, health_check_interval=30)
    return redis.Redis.from_url(settings.redis_url, socket_timeout=10, health_check_interval=30)


def replica_wait(settings: Settings) -> ReplicaWait:
    """OMNISTOCK_REDIS_WAIT_REPLICAS: the worker's writes (stock, orders, capacity) held by that many
    replicas before a batch's offsets are committed."""
    return ReplicaWait(settings.redis_wait_replicas, settings.redis_wait_timeout_ms)


def stock_store(
    settings: Settings, network: NetworkSource, client: redis.Redis | RedisCluster | None = None
) -> RedisStockStore:
    return RedisStockStore(
        client or redis_client(settings),
        settings.redis_prefix,
        network.current,
        dedupe_window_s=settings.dedupe_window_s,
        count_window_s=settings.count_window_s,
        wait=replica_wait(settings),
    )
