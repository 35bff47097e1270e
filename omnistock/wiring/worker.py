"""`omnistock worker` from settings: the faust app, the stock and order pipelines, the periodic sweeps."""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable

import faust
from prometheus_client import REGISTRY

from core.carriers import CarrierServices
from core.errors import StoreUnavailable
from core.network import Location, Network
from core.promise_nodes import PromiseNetwork, prepare
from core.routing_rules import RoutingRules
from omnistock.kafka_admin import create_topics
from omnistock.logs import JsonFormatter, configure_logging
from omnistock.network_file import NetworkSource
from omnistock.postcodes import load_postcodes
from omnistock.settings import Settings
from omnistock.stream_options import kafka_options, worker_options
from omnistock.wiring.stores import network_source, replica_wait, stock_store
from omnistock.worker_http import serve_worker_http
from state.change_shards import ChangeShards
from state.change_stream import ChangeStream
from state.order_layout import adopt_former_layout
from state.order_store import RedisOrderStore
from state.shard_markers import store_marker
from state.store import RedisStockStore
from state.store_queue_backfill import fill_store_queues
from streams.app import build_faust_app, wire_worker
from streams.event_limits import EventLimits
from streams.hold_expiry import HoldExpiry
from streams.metrics import WorkerMetrics
from streams.order_flow import ORDER_TOPICS, OrderFlow
from streams.order_metrics import OrderMetrics
from streams.order_routing import OrderRouter
from streams.pulse import WorkerPulse
from streams.records import OutRecord
from streams.stock_agents import BatchPipeline
from streams.stock_pipeline import StockPipeline
from streams.store_guard import StoreGuard
from topics.catalog import HOLD_TOPICS, STOCK_TOPICS, all_topic_names
from topics.codec import AvroCodec
from topics.commands import CommandDecoder
from topics.order_outputs import OrderOutputs
from topics.output_codec import JsonOutputs, prepare_outputs
from topics.outputs import CartHoldEncoder, change_encoder
from topics.registry import make_registry

log = logging.getLogger("omnistock.worker")
NO_SERVICES = CarrierServices({})
# A batch makes tens of thousands of short-lived objects: collecting the young generation every 700
# allocations (CPython's default) walks them again and again; every 20,000 costs little memory.
GC_YOUNG_THRESHOLD = 20_000


def run_worker(settings: Settings) -> None:
    """`omnistock worker`: create missing topics, then run the faust worker until stopped."""
    configure_logging(settings.log_level)
    create_topics(settings.broker, all_topic_names(settings.topic_prefix), settings.topic_partitions)
    metrics = WorkerMetrics.create(REGISTRY, WorkerPulse(settings.worker_stall_s))
    if settings.worker_metrics_port:
        serve_worker_http(settings.worker_metrics_host, settings.worker_metrics_port, REGISTRY, metrics.pulse)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    app: faust.App = build_faust_app(kafka_options(settings), loghandlers=[handler])
    network = network_source(settings)
    store = stock_store(settings, network)
    adopt_former_order_layout(settings, store, network)
    fill_store_queues_once(settings, store)
    pipelines, sweep = worker_processing(settings, metrics, OrderMetrics.create(REGISTRY), store, network)
    guard = StoreGuard(store_marker(store.client, settings.redis_prefix), REGISTRY)  # per slot on a cluster
    wire_worker(app, worker_options(settings), pipelines, metrics, sweep, reconciling=store, guard=guard)
    # faust's own plain-text log goes nowhere: the JSON handler above carries every record to stdout.
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True, logfile=os.devnull)
    # What start-up built (faust, the network, schemas) lives as long as the process: out of the
    # collector's sight, full collections no longer walk it (fewer and shorter pauses mid-batch).
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
    worker.execute_from_commandline()


def adopt_former_order_layout(settings: Settings, store: RedisStockStore, network: NetworkSource) -> None:
    """The order indexes of the former layout moved into their buckets (state/order_layout); with Redis
    out of reach the worker starts anyway (the next start moves them)."""
    days = network.current().local_days(wall_clock_ms()).values()
    try:
        moved = adopt_former_layout(store.client, settings.redis_prefix, days)
    except StoreUnavailable as error:
        log.warning("order_layout_not_moved", extra={"error": str(error)})
        return
    if moved:
        log.info("order_layout_moved", extra={"entries": moved})


def fill_store_queues_once(settings: Settings, store: RedisStockStore) -> None:
    """The orders open before the store queue index existed put in it (state/store_queue_backfill);
    with Redis out of reach the worker starts anyway (the next start fills it)."""
    try:
        added = fill_store_queues(store.client, settings.redis_prefix)
    except StoreUnavailable as error:
        log.warning("store_queues_not_filled", extra={"error": str(error)})
        return
    if added is not None:
        log.info("store_queues_filled", extra={"entries": added})


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class PreparedNetwork:
    """The current network prepared for routing, once per network version (the file reloads)."""

    def __init__(self, network: Callable[[], Network]) -> None:
        self._network = network
        self._prepared: PromiseNetwork | None = None

    def __call__(self) -> PromiseNetwork:
        network = self._network()
        if self._prepared is None or self._prepared.network is not network:
            self._prepared = prepare(network, network.services or NO_SERVICES)
        return self._prepared


def order_flow(
    settings: Settings,
    store: RedisStockStore,
    network: NetworkSource,
    codec: AvroCodec,
    metrics: WorkerMetrics,
    order_metrics: OrderMetrics,
    change_log: ChangeStream,
    rules: Callable[[], RoutingRules] | None = None,
    clock_ms: Callable[[], int] = wall_clock_ms,
) -> OrderFlow:
    """`rules` and `clock_ms` default to the network's rules and the wall clock; `omnistock replay`
    passes a draft rule set and the log's clock."""
    default_sla_ms = round(settings.routing_sla_minutes * 60_000)

    def sla_ms(location: Location) -> int:
        minutes = location.accept_sla_minutes
        return default_sla_ms if minutes is None else round(minutes * 60_000)

    router = OrderRouter(
        store,
        PreparedNetwork(network.current),
        rules or (lambda: network.current().routing),
        sla_ms,
        settings.routing_partial,
    )
    outputs = output_codec_of(settings, codec)
    retention_s = round(settings.order_retention_days * 86400)
    return OrderFlow(
        stock=store,
        orders=RedisOrderStore(store.client, settings.redis_prefix, retention_s, replica_wait(settings)),
        router=router,
        outputs=OrderOutputs(outputs),
        codec=codec,
        network=network.current,
        postcodes=load_postcodes(settings.postcode_file),
        changes=change_encoder(outputs),
        metrics=metrics,
        order_metrics=order_metrics,
        clock_ms=clock_ms,
        change_log=change_log,
        reroute_shortages=settings.shortage_policy == "reroute",
        max_clock_skew_s=settings.max_clock_skew_s,
    )


def output_codec_of(settings: Settings, codec: AvroCodec) -> AvroCodec | JsonOutputs:
    """What writes the output topics: the input codec itself for Avro (one registry client), or JSON."""
    return JsonOutputs() if settings.output_format == "json" else codec


def worker_processing(
    settings: Settings,
    metrics: WorkerMetrics,
    order_metrics: OrderMetrics,
    store: RedisStockStore,
    network: NetworkSource,
    rules: Callable[[], RoutingRules] | None = None,
    clock_ms: Callable[[], int] = wall_clock_ms,
) -> tuple[dict[str, BatchPipeline], Callable[[], list[OutRecord]]]:
    """The pipeline of each applied topic, and the periodic sweep (expired holds, late shipments)."""
    codec = AvroCodec(make_registry(settings.schema_registry_url, settings.topic_prefix))
    outputs = output_codec_of(settings, codec)
    prepare_outputs(outputs)  # with a registry: every output schema registered before the first batch
    changes, holds = change_encoder(outputs), CartHoldEncoder(outputs)
    shards = ChangeShards.of(settings.redis_prefix, settings.change_stream_count)
    change_log = ChangeStream(store.client, shards, settings.change_stream_maxlen)
    orders = order_flow(settings, store, network, codec, metrics, order_metrics, change_log, rules, clock_ms)
    decode = CommandDecoder(codec, settings.hold_ttl_s * 1000)
    limits = EventLimits(
        settings.max_clock_skew_s,
        settings.dedupe_window_s,
        settings.dlq_max_value_bytes,
        count_window_s=settings.count_window_s,
    )
    stock = StockPipeline(
        store, decode, changes, holds, metrics, clock_ms, change_log, orders.shortage, limits
    )
    pipelines: dict[str, BatchPipeline] = dict.fromkeys(STOCK_TOPICS + HOLD_TOPICS, stock)
    pipelines |= dict.fromkeys(ORDER_TOPICS, orders)
    hold_expiry = HoldExpiry(store, changes, holds, metrics, clock_ms, change_log=change_log)

    def sweep() -> list[OutRecord]:
        outputs = hold_expiry.sweep()
        try:
            outputs += orders.sweep()
        except StoreUnavailable as error:  # nothing changed: the next sweep finds the same shipments
            log.warning("order_sweep_store_unavailable", extra={"error": str(error)})
        return outputs

    return pipelines, sweep
