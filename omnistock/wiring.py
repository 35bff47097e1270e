"""Builds the real adapters from settings: the one place where clients are created."""

from __future__ import annotations

import gc
import logging
import os

import faust
import redis
from prometheus_client import REGISTRY, start_http_server

from omnistock.kafka_admin import create_topics
from omnistock.logs import JsonFormatter, configure_logging
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from omnistock.worker_wiring import worker_processing
from state.epoch import StoreMarker
from state.store import RedisStockStore
from streams.app import build_faust_app, wire_stock_worker
from streams.metrics import WorkerMetrics
from streams.order_metrics import OrderMetrics
from streams.store_guard import StoreGuard
from topics.catalog import all_topic_names

log = logging.getLogger("omnistock")
# A batch makes tens of thousands of short-lived objects: collecting the young generation every 700
# allocations (CPython's default) walks them again and again; every 20,000 costs little memory.
GC_YOUNG_THRESHOLD = 20_000


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
    network = network_source(settings)
    store = stock_store(settings, network)
    pipelines, sweep = worker_processing(settings, metrics, OrderMetrics.create(REGISTRY), store, network)
    guard = StoreGuard(StoreMarker(store.client, settings.redis_prefix), REGISTRY)
    wire_stock_worker(app, settings, pipelines, metrics, sweep, reconciling=store, guard=guard)
    # faust's own plain-text log goes nowhere: the JSON handler above carries every record to stdout.
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True, logfile=os.devnull)
    # What start-up built (faust, the network, schemas) lives as long as the process: out of the
    # collector's sight, full collections no longer walk it (fewer and shorter pauses mid-batch).
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
    worker.execute_from_commandline()


def run_api(settings: Settings, host: str, port: int) -> None:
    """`omnistock api`: serve the HTTP API with uvicorn (built in omnistock.api_wiring)."""
    from omnistock.api_wiring import serve_api

    serve_api(settings, host, port)


def run_reconcile(settings: Settings, skus: list[str]) -> int:
    """`omnistock reconcile [SKU ...]`: recompute reserved and allocated from their records, repair,
    print what drifted; exit 0 (drift found and repaired is not a failure)."""
    store = stock_store(settings, network_source(settings))
    drifts = store.reconcile(skus or None)
    for drift in drifts:
        where = drift.location_id or "(network)"
        print(f"{drift.sku}\t{where}\t{drift.figure}\tstored {drift.stored}\tactual {drift.actual}")
    print(
        f"{len(drifts)} figures drifted and were repaired ({'all skus' if not skus else f'{len(skus)} skus'})"
    )
    return 0


def run_rebuild_command(settings: Settings, force: bool) -> int:
    """`omnistock rebuild [--force]`: see omnistock.rebuild."""
    from omnistock.rebuild import run_rebuild

    configure_logging(settings.log_level)
    return run_rebuild(settings, force, lambda s: stock_store(s, network_source(s)), print)
