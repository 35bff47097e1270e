"""The stock table's adapters built from settings: the network file, the Redis client, the store."""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster

from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from state.store import RedisStockStore


def network_source(settings: Settings) -> NetworkSource:
    return NetworkSource(settings.network_file or str(default_network_path()))


def redis_client(settings: Settings) -> redis.Redis | RedisCluster:
    """One Redis, or (OMNISTOCK_REDIS_CLUSTER) a cluster client that discovers the nodes from the URL's."""
    if settings.redis_cluster:
        return RedisCluster.from_url(settings.redis_url, socket_timeout=10, health_check_interval=30)
    return redis.Redis.from_url(settings.redis_url, socket_timeout=10, health_check_interval=30)


def single_redis(client: redis.Redis | RedisCluster, needed_by: str) -> redis.Redis:
    """The client, for the adapters that do not run on a Redis Cluster yet (issue 15); refuses a cluster."""
    if isinstance(client, RedisCluster):
        raise RuntimeError(f"{needed_by} does not run on a Redis Cluster yet: unset OMNISTOCK_REDIS_CLUSTER")
    return client


def stock_store(
    settings: Settings, network: NetworkSource, client: redis.Redis | RedisCluster | None = None
) -> RedisStockStore:
    return RedisStockStore(
        client or redis_client(settings),
        settings.redis_prefix,
        network.current,
        dedupe_window_s=settings.dedupe_window_s,
        count_window_s=settings.count_window_s,
    )
