"""Builds the real adapters from settings: the one place where clients are created."""

from __future__ import annotations

import logging
import os

import faust
import redis
import redis.asyncio as aioredis
from prometheus_client import REGISTRY, start_http_server

from omnistock.kafka_admin import create_topics
from omnistock.logs import JsonFormatter, configure_logging
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from state.store import AsyncRedisStockReader, RedisStockStore
from streams.app import build_faust_app, wire_stock_worker
from streams.metrics import WorkerMetrics
from streams.stock_pipeline import StockPipeline
from topics.catalog import all_topic_names
from topics.commands import command_decoder
from topics.outputs import availability_change_encoder, cart_hold_encoder

log = logging.getLogger("omnistock")


def network_source(settings: Settings) -> NetworkSource:
    return NetworkSource(settings.network_file or str(default_network_path()))


def stock_store(settings: Settings, network: NetworkSource) -> RedisStockStore:
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=10, health_check_interval=30)
    return RedisStockStore(
        client,
        settings.redis_prefix,
        network.current,
        dedupe_window_s=settings.dedupe_window_s,
        count_window_s=settings.count_window_s,
    )


def stock_reader(settings: Settings, network: NetworkSource) -> AsyncRedisStockReader:
    client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=5)
    return AsyncRedisStockReader(client, settings.redis_prefix, network.current)


def stock_pipeline(settings: Settings, metrics: WorkerMetrics) -> StockPipeline:
    store = stock_store(settings, network_source(settings))
    registry, prefix = settings.schema_registry_url, settings.topic_prefix
    decode = command_decoder(registry, settings.hold_ttl_s * 1000, prefix)
    changes = availability_change_encoder(registry, prefix)
    return StockPipeline(store, decode, changes, cart_hold_encoder(registry, prefix), metrics)


def run_worker(settings: Settings) -> None:
    """`omnistock worker`: create missing topics, then run the faust worker until stopped."""
    configure_logging(settings.log_level)
    create_topics(settings.broker, all_topic_names(settings.topic_prefix), settings.topic_partitions)
    metrics = WorkerMetrics.create(REGISTRY)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    app: faust.App = build_faust_app(settings, loghandlers=[handler])
    wire_stock_worker(app, settings, stock_pipeline(settings, metrics), metrics)
    # faust's own plain-text log goes nowhere: the JSON handler above carries every record to stdout.
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True, logfile=os.devnull)
    worker.execute_from_commandline()


def run_api(settings: Settings, host: str, port: int) -> None:
    """`omnistock api`: serve the HTTP API with uvicorn."""
    import uvicorn

    from api.app import create_app

    configure_logging(settings.log_level)
    reader = stock_reader(settings, network_source(settings))
    app = create_app(reader, batch_max_skus=settings.api_batch_max_skus, registry=REGISTRY)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
