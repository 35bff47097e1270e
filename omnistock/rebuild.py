"""`omnistock rebuild`: restore a lost stock table from the topics, up to the workers' committed offsets.

    omnistock rebuild [--force]        (same OMNISTOCK_* settings as the worker)

1. Refuse if the store marker is there (the table is not lost), unless --force.
2. Clear the prefix: whatever a worker wrote onto the empty store before it noticed goes. On a Redis
   Cluster every master is cleared and the whole table rebuilt, whichever masters were lost (the
   orders and holds of the intact masters go too, as with --force on one Redis).
3. Read the stock topics, orders.v1 and fulfillment.updates.v1 up to the group's committed offsets,
   and fulfillment.requests.v1 to its end, merged in broker time order; apply the stock events through
   the worker's own StockPipeline (no shortage re-route, nothing produced) and the order side as
   shipments and open allocations (streams.rebuild_orders). A record the workers dead-lettered (its
   source is on the DLQ topics) is skipped; the others are applied whatever their time: rebuild
   applies what the workers applied, not what its own clock would accept now.
4. Read the committed offsets again: a worker that committed meanwhile moved them; read that range
   too, until they stand still. Then write the marker (on a cluster, in every hash slot:
   state.shard_markers): held workers resume past the committed offsets.
Not restored (not in any topic): cart holds (they expire anyway), order documents and decisions,
`set-backorder` / `set-safety-stock` overrides, dedupe memory (not needed: see streams.store_guard).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis
from confluent_kafka import Consumer
from prometheus_client import CollectorRegistry
from redis.cluster import RedisCluster

from core.errors import InvalidEvent
from core.movements import Command, Outcome
from omnistock.logs import configure_logging
from omnistock.replay.log import LogRecord, event_of, read_messages, read_topics
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.stream_options import kafka_options
from omnistock.wiring.stores import network_source, stock_store
from state.epoch import REBUILD
from state.shard_markers import store_marker
from state.store import RedisStockStore
from streams.dlq import source_of
from streams.event_limits import EventLimits
from streams.group_offsets import Offsets, committed_offsets
from streams.kafka_config import consumer_config
from streams.metrics import WorkerMetrics
from streams.rebuild_orders import OrderReplay
from streams.stock_pipeline import StockPipeline
from topics.catalog import (
    FULFILLMENT_REQUESTS,
    FULFILLMENT_UPDATES,
    ORDERS,
    STOCK_TOPICS,
    dlq_name,
    full_name,
)
from topics.codec import AvroCodec
from topics.commands import CommandDecoder
from topics.outputs import availability_change_encoder, cart_hold_encoder
from topics.registry import make_registry

BATCH = 1000
GROUP_TOPICS = (*STOCK_TOPICS, ORDERS, FULFILLMENT_UPDATES)  # read up to the workers' committed offsets
TO_THE_END = 2**62
# The workers refused by time (from the future, too old) against their clock at the time; what they
# refused is on the DLQ and skipped here, so rebuild checks no time of its own.
APPLY_WHATEVER_THE_TIME = EventLimits(refuse_too_old=False, refuse_future=False)
Source = tuple[str, int, int]  # full topic name, partition, offset


@dataclass(slots=True)
class RebuildReport:
    records: int = 0
    refused: int = 0  # records the pipeline dead-lettered, or the store refused
    skipped: int = 0  # records the workers dead-lettered (on the DLQ topics): not applied
    unmatched_updates: int = 0
    allocations_refused: int = 0  # open allocations the rebuilt stock could not hold (a backorder flag lost)
    passes: int = 0
    seconds: float = 0.0


class _Applier:
    """Feeds records in order: consecutive records of one stock topic are one pipeline batch; the order
    side's commands are applied as they come, at their place between the stock batches."""

    def __init__(
        self, settings: Settings, store: RedisStockStore, codec: AvroCodec, dead: set[Source]
    ) -> None:
        registry, prefix = settings.schema_registry_url, settings.topic_prefix
        self.now_ms = 0
        self._dead, self._prefix = dead, prefix
        self._wall_ms = time.time_ns() // 1_000_000
        self._store, self._codec, self.orders = store, codec, OrderReplay()
        self._pipeline = StockPipeline(
            store, CommandDecoder(codec, settings.hold_ttl_s * 1000),
            availability_change_encoder(registry, prefix), cart_hold_encoder(registry, prefix),
            WorkerMetrics.create(CollectorRegistry()), clock_ms=lambda: self.now_ms,
            limits=APPLY_WHATEVER_THE_TIME,
        )  # fmt: skip
        self.report = RebuildReport()

    def feed(self, records: Sequence[LogRecord]) -> None:
        batch: list[LogRecord] = []
        for record in records:
            if batch and (record.topic() != batch[0].topic() or len(batch) >= BATCH):
                self._flush(batch)
                batch = []
            # The log's clock, for the scripts' windows: when each record was produced (never past
            # the wall clock, whatever a producer's clock said), not when its event says it occurred.
            self.now_ms = max(self.now_ms, min(record.stamp_ms or 0, self._wall_ms))
            if self._source(record) in self._dead:
                self.report.skipped += 1
            elif record.topic() in STOCK_TOPICS:
                batch.append(record)
            else:
                self._order_side(record)
        if batch:
            self._flush(batch)
        self.report.records += len(records)
        self.report.unmatched_updates = self.orders.unmatched

    def _source(self, record: LogRecord) -> Source:
        return full_name(self._prefix, record.topic()), record.partition(), record.offset()

    def _flush(self, batch: list[LogRecord]) -> None:
        topic = batch[0].topic()
        try:
            outcome = self._pipeline.run(topic, batch)
        except InvalidEvent:  # one event the store refuses: apply the others one by one
            for record in batch:
                self._one(topic, record)
            return
        self.report.refused += outcome.dead_letters

    def _one(self, topic: str, record: LogRecord) -> None:
        try:
            self.report.refused += self._pipeline.run(topic, [record]).dead_letters
        except InvalidEvent:
            self.report.refused += 1

    def _order_side(self, record: LogRecord) -> None:
        event = event_of(self._codec, record.value())
        commands: list[Command] = []
        try:
            commands += self.orders.commands(record.topic(), event or {}, record.at_ms or self.now_ms)
            results = self._store.apply(commands, self.now_ms) if commands else []
            self.report.allocations_refused += sum(r.outcome is Outcome.REFUSED for r in results)
        except (KeyError, TypeError, ValueError, InvalidEvent):
            self.report.refused += 1


def rebuild(settings: Settings, client: redis.Redis | RedisCluster, store: RedisStockStore) -> RebuildReport:
    """Clear the prefix (on a cluster: on every master, whichever were lost), replay the topics up to
    the committed offsets, write the marker (on a cluster: in every slot)."""
    started = time.monotonic()
    delete_prefix(client, settings.redis_prefix, strict=True)
    codec = AvroCodec(make_registry(settings.schema_registry_url, settings.topic_prefix))
    dead: set[Source] = set()
    applier = _Applier(settings, store, codec, dead)
    # never subscribes: only reads the group's offsets
    group = Consumer(consumer_config(kafka_options(settings)))
    try:
        names = [full_name(settings.topic_prefix, topic) for topic in GROUP_TOPICS]
        read: Offsets = {}
        while True:
            stops = committed_offsets(group, names)
            if applier.report.passes and all(stops.get(tp, 0) <= read.get(tp, 0) for tp in stops):
                break
            # Read after the offsets: a worker flushes a batch's dead letters before committing it.
            dead |= dead_lettered(settings)
            applier.feed(_records(settings, codec, group, start=read, until=stops, first=not read))
            read, applier.report.passes = stops, applier.report.passes + 1
    finally:
        group.close()
    store_marker(client, settings.redis_prefix).write(time.time_ns() // 1_000_000, REBUILD)
    applier.report.seconds = time.monotonic() - started
    return applier.report


def dead_lettered(settings: Settings) -> set[Source]:
    """Where every record on the group topics' DLQs came from."""
    config = consumer_config(kafka_options(settings), group_id="omnistock-rebuild")
    names = [full_name(settings.topic_prefix, dlq_name(topic)) for topic in GROUP_TOPICS]
    sources = (source_of(message.headers()) for message in read_messages(config, names))
    return {source for source in sources if source is not None}


def _records(
    settings: Settings, codec: AvroCodec, group: Consumer, start: Offsets, until: Offsets, first: bool
) -> list[LogRecord]:
    """The group topics' records between `start` and `until`; on the first pass the requests too, to
    their end (a later pass only adds the workers' last moments, whose requests the first read)."""
    config = consumer_config(kafka_options(settings), group_id="omnistock-rebuild")
    topics: list[str] = list(GROUP_TOPICS)
    stops = dict(until)
    if first:
        requests = full_name(settings.topic_prefix, FULFILLMENT_REQUESTS)
        metadata = group.list_topics(timeout=10).topics
        if requests in metadata:
            topics.append(FULFILLMENT_REQUESTS)
            stops |= {(requests, p): TO_THE_END for p in metadata[requests].partitions}
    return read_topics(config, settings.topic_prefix, codec, topics, until=stops, start=start)


def run_rebuild(
    settings: Settings,
    force: bool,
    store_of: Callable[[Settings], RedisStockStore],
    out: Callable[[str], None],
) -> int:
    """The command: 0 rebuilt, 2 refused (the marker is there and no --force)."""
    store = store_of(settings)
    client = store.client
    marker = store_marker(client, settings.redis_prefix)
    if marker.present() and not force:
        print(
            f"the store under {settings.redis_prefix!r} has its marker ({marker.read()}): not lost, "
            "nothing rebuilt (--force deletes every key of the prefix, orders and holds too, and rebuilds)",
            file=sys.stderr,
        )
        return 2
    report = rebuild(settings, client, store)
    out(
        f"rebuilt {settings.redis_prefix!r} from {report.records} records in {report.seconds:.1f} s "
        f"({report.passes} passes up to the committed offsets of group {settings.group_id!r}); "
        f"skipped {report.skipped} the workers dead-lettered, refused {report.refused}, "
        f"fulfillment updates without their request {report.unmatched_updates}, "
        f"open allocations refused {report.allocations_refused}; "
        "store marker written"
    )
    return 0


def run_rebuild_command(settings: Settings, force: bool) -> int:
    """`omnistock rebuild [--force]` on the store the worker would use."""
    configure_logging(settings.log_level)
    return run_rebuild(settings, force, lambda s: stock_store(s, network_source(s)), print)
