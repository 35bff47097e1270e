"""Builds the HTTP API from settings: its Redis clients, the app, and the uvicorn server that serves it."""

from __future__ import annotations

from dataclasses import replace

import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from api.app import create_app
from api.auth import parse_api_keys
from api.promise_desk import PromiseDesk
from api.routes.stream import DEFAULT_LIMITS as STREAM_LIMITS
from core.store_queue import StoreQueueReader
from omnistock.http_protocol import header_deadline_protocol
from omnistock.logs import configure_logging
from omnistock.postcodes import load_postcodes
from omnistock.settings import Settings
from omnistock.stream_options import kafka_options
from omnistock.wiring.stores import network_source
from state.change_shards import ChangeShards
from state.change_stream import AsyncChangeStream
from state.order_reader import AsyncRedisOrderReader
from state.shard_markers import async_store_marker
from state.store import AsyncRedisStockReader
from state.store_desk import StoreDesk
from state.store_queue import AsyncRedisStoreQueue
from streams.event_publisher import KafkaEventPublisher
from streams.kafka_config import producer_config
from topics.codec import AvroCodec
from topics.registry import make_registry

PUBLISH_TIMEOUT_S = 5.0  # a store action not confirmed by the broker by then answers 503 publish_failed


def api_redis(
    settings: Settings, read_timeout_s: float, max_connections: int | None = None
) -> aioredis.Redis | AsyncRedisCluster:
    """A client whose pool WAITS for a free connection when all are busy (redis-py's default pool raises
    at once past its cap: 1,000 concurrent GETs gave 900 x 503). The wait is bounded by the deadline,
    and each read by `read_timeout_s`: a pool sized by a setting, 503 only when Redis does not answer.
    On a Redis Cluster (OMNISTOCK_REDIS_CLUSTER) a cluster client, its pool of that size per node:
    redis-py's cluster pool does not wait, a read past it is refused (503)."""
    size = max_connections or settings.api_redis_max_connections
    if settings.redis_cluster:
        return AsyncRedisCluster.from_url(
            settings.redis_url,
            max_connections=size,
            socket_connect_timeout=settings.api_redis_deadline_s,
            socket_timeout=read_timeout_s,
        )
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=size,
        timeout=settings.api_redis_deadline_s,
        socket_connect_timeout=settings.api_redis_deadline_s,
        socket_timeout=read_timeout_s,
    )
    return aioredis.Redis.from_pool(pool)


def store_queue(client: aioredis.Redis | AsyncRedisCluster, settings: Settings) -> StoreQueueReader:
    """The worker's index of the shipments open at each store, read with the API's deadline."""
    return AsyncRedisStoreQueue(client, settings.redis_prefix, settings.api_redis_deadline_s)


def event_publisher(settings: Settings) -> KafkaEventPublisher:
    """The store actions' producer: the worker's settings (acks all), no linger (one event a tap),
    Avro with the schema ids the worker reads. Nothing connects until the first action."""
    config = {**producer_config(kafka_options(settings)), "linger.ms": 0}
    codec = AvroCodec(make_registry(settings.schema_registry_url, settings.topic_prefix))
    return KafkaEventPublisher(config, codec, settings.topic_prefix, PUBLISH_TIMEOUT_S)


def api_app(
    settings: Settings, registry: CollectorRegistry = REGISTRY, publisher: KafkaEventPublisher | None = None
) -> FastAPI:
    """The app `omnistock api` serves, with its own Redis clients (nothing connects until a request) and
    the store actions' `publisher` (a new one when None)."""
    keys = settings.api_keys.get_secret_value().strip() if settings.api_keys else ""
    network = network_source(settings)
    deadline_s = settings.api_redis_deadline_s
    reads = api_redis(settings, deadline_s)
    shards = ChangeShards.of(settings.redis_prefix, settings.change_stream_count)
    tail_s = deadline_s + STREAM_LIMITS.block_ms / 1000
    reader = AsyncRedisStockReader(reads, settings.redis_prefix, network.current, deadline_s)
    return create_app(
        reader,
        batch_max_skus=settings.api_batch_max_skus,
        registry=registry,
        api_keys=parse_api_keys(keys) if keys else None,  # a bad value stops start-up with its reason
        rate_limit_per_s=settings.api_rate_limit_per_s,
        rate_burst=settings.api_rate_burst,
        auth_failures_per_min=settings.api_auth_failures_per_min,
        body_timeout_s=settings.api_body_timeout_s,
        cache_max_age_s=settings.api_cache_max_age_s,
        # The one reader of the log per process (api.change_hub) waits on XREAD 1 s at a time, on a
        # connection of its own per stream of the log; resumed streams catch up through the same pool
        # as the other reads.
        change_stream=AsyncChangeStream(
            reads,
            shards,
            deadline_s,
            tail_client=api_redis(settings, tail_s, max_connections=len(shards) + 1),
        ),
        stream_limits=replace(STREAM_LIMITS, buffer_max=settings.api_stream_buffer_max),
        promises=PromiseDesk(network.current, load_postcodes(settings.postcode_file), reader),
        orders=AsyncRedisOrderReader(reads, settings.redis_prefix, deadline_s),
        store_marker=async_store_marker(reads, settings.redis_prefix),  # one per slot on a cluster
        store_queue=store_queue(reads, settings),
        desk=StoreDesk(reads, settings.redis_prefix, int(settings.order_retention_days * 86400), deadline_s),
        publisher=publisher if publisher is not None else event_publisher(settings),
        network=network.current,
        max_body_bytes=settings.api_max_body_bytes or None,
        access_log=settings.api_access_log,
    )


def uvicorn_config(settings: Settings, app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """How uvicorn serves the app. uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise:
    a local client could then name any address and dodge the per-client throttles; here no proxy is
    trusted unless OMNISTOCK_API_FORWARDED_ALLOW_IPS names it. Slow clients are let go: idle kept-alive
    connections, headers (omnistock.http_protocol) and bodies (api.body_timeout) each have a deadline."""
    proxies = settings.api_forwarded_allow_ips
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies or "",
        timeout_keep_alive=settings.api_timeout_keep_alive_s,  # type: ignore[arg-type]
        http=header_deadline_protocol(settings.api_header_timeout_s),
    )


def serve_api(settings: Settings, host: str, port: int) -> None:
    """`omnistock api`: serve the HTTP API with uvicorn until stopped."""
    configure_logging(settings.log_level)
    publisher = event_publisher(settings)
    try:
        uvicorn.Server(uvicorn_config(settings, api_app(settings, publisher=publisher), host, port)).run()
    finally:
        publisher.close()
