"""The stock table's adapters built from settings: the network file, the Redis client, the store."""

from __future__ import annotations

import logging
from typing import cast

import redis
from redis.cluster import RedisCluster

from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from state.replica_wait import ReplicaWait
from state.store import RedisStockStore

log = logging.getLogger("omnistock.wiring")


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


def cluster_interim(client: redis.Redis | RedisCluster, needed_by: str) -> redis.Redis:
    """Interim seam (issue 15, branch `failover`) until the order store and the store marker are ported:
    their single-key commands (EXISTS/GET/SET, ZRANGEBYSCORE, HGETALL in a cluster pipeline) are routed
    by a cluster client as by one Redis; their multi-command lean pipelines are not (they would fail),
    which the stock topics never reach. Logged once per adapter so nobody mistakes it for the port."""
    if isinstance(client, RedisCluster):
        log.warning("cluster_interim_adapter", extra={"adapter": needed_by})
    return cast(redis.Redis, client)


def stock_store(
    settings: Settings, network: NetworkSource, client: redis.Redis | RedisCluster | None = None
) -> RedisStockStore:
    return RedisStockStore(
        client or redis_client(settings),
        settings.redis_prefix,
        network.current,
        dedupe_window_s=settings.dedupe_window_s,
        count_window_s=settings.count_window_s,
        wait=ReplicaWait(settings.redis_wait_replicas, settings.redis_wait_timeout_ms),
    )
