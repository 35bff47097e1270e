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
from omnistock.postcodes import load_postcodes
from omnistock.settings import Settings
from state.change_stream import AsyncChangeStream, ChangeStream, changes_key
from state.order_book import RedisOrderBook
from state.order_reader import AsyncRedisOrderReader
from state.store import AsyncRedisStockReader, RedisStockStore
from streams.app import build_faust_app, wire_stock_worker
from streams.hold_expiry import HoldExpiry
from streams.metrics import WorkerMetrics
from streams.order_pipeline import ORDER_TOPICS, OrderPipeline
from streams.stock_agents import BatchPipeline
from streams.stock_pipeline import StockPipeline
from topics.catalog import HOLD_TOPICS, STOCK_TOPICS, all_topic_names
from topics.codec import AvroCodec
from topics.commands import CommandDecoder
from topics.outputs import availability_change_encoder, cart_hold_encoder
from topics.registry import make_registry

log = logging.getLogger("omnistock")


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


def stock_reader(settings: Settings, network: NetworkSource) -> AsyncRedisStockReader:
    client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=5)
    return AsyncRedisStockReader(client, settings.redis_prefix, network.current)


def worker_processing(
    settings: Settings, metrics: WorkerMetrics
) -> tuple[dict[str, BatchPipeline], HoldExpiry, RedisStockStore]:
    """The pipeline of each applied topic, the hold-expiry sweep, and the store they share."""
    network = network_source(settings)
    client = redis_client(settings)  # one pool for the store, the change log and the order book
    store = stock_store(settings, network, client)
    registry, prefix = settings.schema_registry_url, settings.topic_prefix
    codec = AvroCodec(make_registry(registry, prefix))
    changes, holds = availability_change_encoder(registry, prefix), cart_hold_encoder(registry, prefix)
    log = ChangeStream(client, changes_key(settings.redis_prefix), settings.change_stream_maxlen)
    decode = CommandDecoder(codec, settings.hold_ttl_s * 1000)
    stock = StockPipeline(store, decode, changes, holds, metrics, change_log=log)
    book = RedisOrderBook(client, settings.redis_prefix)
    orders = OrderPipeline(store, book, codec, network.current, changes, metrics, change_log=log)
    pipelines: dict[str, BatchPipeline] = dict.fromkeys(STOCK_TOPICS + HOLD_TOPICS, stock)
    pipelines |= dict.fromkeys(ORDER_TOPICS, orders)
    return pipelines, HoldExpiry(store, changes, holds, metrics, change_log=log), store


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
    pipelines, hold_expiry, store = worker_processing(settings, metrics)
    wire_stock_worker(app, settings, pipelines, metrics, hold_expiry, reconciling=store)
    # faust's own plain-text log goes nowhere: the JSON handler above carries every record to stdout.
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True, logfile=os.devnull)
    worker.execute_from_commandline()


def run_api(settings: Settings, host: str, port: int) -> None:
    """`omnistock api`: serve the HTTP API with uvicorn."""
    import uvicorn

    from api.app import create_app
    from api.auth import parse_api_keys
    from api.promise_desk import PromiseDesk

    configure_logging(settings.log_level)
    keys = settings.api_keys.get_secret_value().strip() if settings.api_keys else ""
    network = network_source(settings)
    reader = stock_reader(settings, network)
    app = create_app(
        reader,
        batch_max_skus=settings.api_batch_max_skus,
        registry=REGISTRY,
        api_keys=parse_api_keys(keys) if keys else None,  # a bad value stops start-up with its reason
        rate_limit_per_s=settings.api_rate_limit_per_s,
        rate_burst=settings.api_rate_burst,
        cache_max_age_s=settings.api_cache_max_age_s,
        # Its own client: each open stream holds a connection while it waits on XREAD (1 s blocks).
        change_stream=AsyncChangeStream(
            aioredis.Redis.from_url(settings.redis_url, socket_timeout=5), changes_key(settings.redis_prefix)
        ),
        promises=PromiseDesk(network.current, load_postcodes(settings.postcode_file), reader),
        orders=AsyncRedisOrderReader(
            aioredis.Redis.from_url(settings.redis_url, socket_timeout=5), settings.redis_prefix
        ),
    )
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)


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
