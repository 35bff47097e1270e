"""One replay run: a recorded log fed through the worker's own pipelines on a scratch Redis prefix.

The pipelines are `worker_processing`'s (stock topics -> StockPipeline, orders and fulfillment ->
OrderFlow), given the rule set under test and a clock that follows the log: each record moves the
clock to its `occurred_at` (never back), and the worker's sweep (expired holds, shipments not
accepted in time) runs whenever the clock has moved a second or more, as the worker's does.

Recorded fulfillment updates name the shipments of the run that was recorded; a draft may place an
order elsewhere. So an update is matched to this run's shipment of the same order at the same node
(its shipment_id rewritten), and dropped when this run sent the order to no shipment there. A node
the log never speaks for about an order cannot say what it would have done: it is taken to accept
at once (a synthetic ACCEPTED), otherwise every draft-only shipment would miss its SLA and re-route.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import orjson
import redis
from prometheus_client import CollectorRegistry
from redis.cluster import RedisCluster

from core.order_types import Order
from core.routing_rules import RoutingRules
from omnistock.network_file import NetworkSource
from omnistock.replay.log import LogRecord, event_of
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.wiring.worker import worker_processing
from state.order_store import RedisOrderStore
from state.store import RedisStockStore
from streams.metrics import WorkerMetrics
from streams.order_metrics import OrderMetrics
from streams.records import OutRecord
from streams.stock_agents import BatchPipeline
from topics.catalog import FULFILLMENT_REQUESTS, FULFILLMENT_UPDATES, ORDERS, ROUTING_DECISIONS
from topics.codec import AvroCodec

SWEEP_EVERY_MS = 1000  # the worker's default hold_expiry_interval_s


@dataclass(slots=True)
class RunOutputs:
    """What one run left: the final orders, every fulfillment request (by shipment), each order's
    first promise (the latest promised date of its first routing decision), and tallies."""

    orders: dict[str, Order] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_promise: dict[str, int] = field(default_factory=dict)
    dead_letters: list[str] = field(default_factory=list)  # why each record was refused
    unmatched_updates: int = 0
    auto_accepted: int = 0


class ReplayClock:
    """The replay's now: the latest occurred_at fed so far."""

    def __init__(self, start_ms: int) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms


class _Feeder:
    def __init__(
        self,
        pipelines: dict[str, BatchPipeline],
        sweep: Callable[[], list[OutRecord]],
        clock: ReplayClock,
        codec: AvroCodec,
        answered: frozenset[tuple[str, str]],
    ) -> None:
        self._pipelines, self._sweep, self._clock, self._codec = pipelines, sweep, clock, codec
        self._answered = answered
        self._swept_at = clock.now_ms
        self._current: dict[tuple[str, str], str] = {}  # (order, node) -> this run's shipment there
        self.out = RunOutputs()

    def feed(self, record: LogRecord) -> None:
        if record.at_ms is not None and record.at_ms > self._clock.now_ms:
            self._clock.now_ms = record.at_ms
        if self._clock.now_ms - self._swept_at >= SWEEP_EVERY_MS:
            self._swept_at = self._clock.now_ms
            self._collect(self._sweep())
        topic = record.topic()
        if topic not in self._pipelines:
            return
        if topic == FULFILLMENT_UPDATES:
            matched = self._matched(record)
            if matched is None:
                self.out.unmatched_updates += 1
                return
            record = matched
        self._collect(self._pipelines[topic].run(topic, [record]).outputs)

    def _matched(self, record: LogRecord) -> LogRecord | None:
        event = event_of(self._codec, record.value())
        if event is None:
            return record  # undecodable: the pipeline dead-letters it
        shipment = self._current.get((str(event.get("order_id")), str(event.get("location_id"))))
        if shipment is None:
            return None
        if shipment == event.get("shipment_id"):
            return record
        return record.with_value(orjson.dumps({**event, "shipment_id": shipment}))

    def _collect(self, outputs: Sequence[OutRecord]) -> None:
        for out in outputs:
            if out.topic.endswith(".dlq"):
                why = dict(out.headers or []).get("omnistock.error") or b""
                self.out.dead_letters.append(why.decode() if isinstance(why, bytes) else why)
            elif out.topic == FULFILLMENT_REQUESTS:
                self._requested(self._codec.decode(out.value))
            elif out.topic == ROUTING_DECISIONS:
                decision = self._codec.decode(out.value)
                latest = [s["promised_latest"] for s in decision["shipments"]]
                if latest:
                    self.out.first_promise.setdefault(decision["order_id"], max(latest))

    def _requested(self, request: dict[str, Any]) -> None:
        order_id, location_id = request["order_id"], request["location_id"]
        shipment_id = request["shipment_id"]
        self.out.requests[shipment_id] = request
        self._current[(order_id, location_id)] = shipment_id
        if (order_id, location_id) in self._answered:
            return
        self.out.auto_accepted += 1
        accepted = {
            "event_id": f"replay-accept:{shipment_id}", "occurred_at": self._clock.now_ms,
            "order_id": order_id, "shipment_id": shipment_id, "location_id": location_id,
            "status": "ACCEPTED",
        }  # fmt: skip
        record = LogRecord(
            FULFILLMENT_UPDATES, order_id.encode(), orjson.dumps(accepted), self._clock.now_ms, 0
        )
        self._collect(self._pipelines[FULFILLMENT_UPDATES].run(FULFILLMENT_UPDATES, [record]).outputs)


def answered_pairs(records: Sequence[LogRecord], codec: AvroCodec) -> frozenset[tuple[str, str]]:
    """The (order, node) pairs the log has fulfillment updates for."""
    pairs = set()
    for record in records:
        if record.topic() == FULFILLMENT_UPDATES and (event := event_of(codec, record.value())) is not None:
            pairs.add((str(event.get("order_id")), str(event.get("location_id"))))
    return frozenset(pairs)


def placed_orders(records: Sequence[LogRecord], codec: AvroCodec) -> list[str]:
    """The order ids placed in the log, first appearance first."""
    found: dict[str, None] = {}
    for record in records:
        event = event_of(codec, record.value()) if record.topic() == ORDERS else None
        if event is not None and event.get("type") == "PLACED" and event.get("order_id"):
            found.setdefault(str(event["order_id"]), None)
    return list(found)


def replay_once(
    settings: Settings,
    client: redis.Redis | RedisCluster,
    network: NetworkSource,
    rules: RoutingRules,
    records: Sequence[LogRecord],
    codec: AvroCodec,
) -> RunOutputs:
    """Feeds `records` through fresh pipelines routed by `rules`, on a scratch prefix deleted after."""
    prefix = f"{settings.redis_prefix.rstrip(':')}-replay-{uuid4().hex}:"  # beside the live keys, not under
    # The run reads its own outputs back as Avro (epoch-ms times), whatever the live topics are written in.
    scratch = settings.model_copy(update={"redis_prefix": prefix, "output_format": "avro"})
    start = min((r.at_ms for r in records if r.at_ms is not None), default=0)
    clock = ReplayClock(start)
    store = RedisStockStore(
        client, prefix, network.current, settings.dedupe_window_s, settings.count_window_s
    )
    try:
        pipelines, sweep = worker_processing(
            scratch, WorkerMetrics.create(CollectorRegistry()), OrderMetrics.create(CollectorRegistry()),
            store, network, lambda: rules, clock,
        )  # fmt: skip
        feeder = _Feeder(pipelines, sweep, clock, codec, answered_pairs(records, codec))
        for record in records:
            feeder.feed(record)
        orders = RedisOrderStore(client, prefix)
        feeder.out.orders = orders.load(placed_orders(records, codec))
        return feeder.out
    finally:
        delete_prefix(client, prefix)
