"""The stock table's adapters built from settings: the network file, the Redis client, the store."""

from __future__ import annotations

import redis

from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from state.store import RedisStockStore


def network_source(settings: Settings) -> NetworkSource:
    return NetworkSource(settings.network_file or str(default_network_path()))


def redis_client(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_timeout=10, health_check_interval=30)


def stock_store(
    settings: Settings, network: NetworkSource, client: redis.Redis | None = None
) -> RedisStockStore:
    return RedisStockStore(
        client or redis_client(settings),
        settings.redis_prefix,
        network.current,
        dedupe_window_s=settings.dedupe_window_s,
        count_window_s=settings.count_window_s,
    )
