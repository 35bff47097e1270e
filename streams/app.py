"""The worker process: the faust app, its stock agents, and the task that feeds them from Kafka."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

import faust
from confluent_kafka import Consumer, Producer
from faust.app.base import BootStrategy

from streams.feed import BatchFeed
from streams.kafka_config import consumer_config, producer_config
from streams.metrics import WorkerMetrics
from streams.offset_watch import OffsetWatch
from streams.options import KafkaOptions, WorkerOptions
from streams.reconciliation import ReconcilingStore, reconcile_once
from streams.records import OutRecord
from streams.stock_agents import BatchPipeline, register_agents
from streams.stopping import FeedStopper
from streams.store_guard import StoreGuard
from streams.worker import BatchWorker
from topics.catalog import full_name

log = logging.getLogger("omnistock.worker")


class AgentsOnlyBoot(BootStrategy):
    """faust runs the agents, timers and sensors; Kafka I/O is the batch feed's (confluent-kafka)."""

    enable_kafka = False
    enable_web = False


class OmnistockApp(faust.App):
    BootStrategy = AgentsOnlyBoot


def build_faust_app(options: KafkaOptions, loghandlers: list[logging.Handler] | None = None) -> faust.App:
    brokers = ";".join("kafka://" + host for host in options.broker.split(","))
    return OmnistockApp(
        options.group_id + "-agents",
        broker=brokers,
        autodiscover=False,
        web_enabled=False,
        topic_disable_leader=True,
        broker_session_timeout=options.group_session_timeout_s,
        broker_heartbeat_interval=options.group_heartbeat_interval_s,
        broker_rebalance_timeout=options.group_rebalance_timeout_s,
        consumer_auto_offset_reset="earliest",
        loghandlers=loghandlers or [],
    )


def wire_worker(
    app: faust.App,
    options: WorkerOptions,
    pipelines: Mapping[str, BatchPipeline],
    metrics: WorkerMetrics,
    periodic: Callable[[], list[OutRecord]] | None = None,
    reconciling: ReconcilingStore | None = None,
    guard: StoreGuard | None = None,
) -> None:
    """Register the agents and the feeding task on `app`; Kafka clients are created when the task starts."""
    agents = register_agents(app, pipelines, metrics)
    topics = list(pipelines)
    stopper = FeedStopper(options.shutdown_timeout_s)
    stopper.connect(app)

    if reconciling is not None and options.reconcile_interval_s > 0:

        @app.timer(interval=options.reconcile_interval_s)  # type: ignore[untyped-decorator]
        async def reconcile_stock() -> None:
            await reconcile_once(reconciling, metrics)

    @app.task  # type: ignore[untyped-decorator]
    async def feed_agents() -> None:
        # faust holds stream flow until its own consumer is assigned partitions; it has none here.
        app.flow_control.resume()
        consumer = Consumer(consumer_config(options.kafka))
        names = [full_name(options.topic_prefix, topic) for topic in topics]
        if guard is not None:  # a new deployment gets its store marker; a lost store is reported
            await asyncio.get_running_loop().run_in_executor(None, guard.initialise, consumer, names)
        feed = BatchFeed(
            consumer,
            Producer(producer_config(options.kafka)),
            options.topic_prefix,
            metrics.dlq_produce_failures,
            offsets=OffsetWatch(metrics.offsets_reset, options.topic_prefix),
        )
        feed.subscribe(names)
        metrics.assigned.set_function(lambda: feed.assigned)
        metrics.lag.watch(feed.lag)
        metrics.pulse.partitions = lambda: feed.assigned
        if guard is not None:
            metrics.pulse.store_lost = guard.seen_lost
        metrics.start_at_zero(topics)
        worker = BatchWorker(
            feed,
            agents,
            options.topic_prefix,
            options.batch_max_events,
            options.commit_interval_s,
            batch_max_bytes=options.batch_max_bytes,
            periodic=periodic,
            periodic_interval_s=options.hold_expiry_interval_s,
            metrics=metrics,
            guard=guard,
        )
        stopper.worker = worker
        metrics.pulse.start()
        log.info("stock_feed_started", extra={"topics": list(topics)})
        task = asyncio.ensure_future(worker.run())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # Normally the stopper has stopped the feed already; cancelled otherwise, the agents are
            # gone: drop the batch in hand (uncommitted), commit what is done, close, then go on.
            worker.abandon()
            await task
            raise
