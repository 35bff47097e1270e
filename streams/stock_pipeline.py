"""Applies one batch of stock events: decode, one store round trip, availability changes and DLQ records.

Kafka-free on purpose: the worker feeds it consumed records and produces what it returns, so the whole
path from bytes to stock figures is testable without a broker.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.errors import InvalidEvent
from core.movements import Command, LocationFigures, MovementResult, Outcome, SetHold
from core.ports import StockWriter
from streams.dlq import TOO_LATE, UNPROCESSABLE, dead_letter, reason_of
from streams.event_limits import EventLimits, replayed
from streams.isolation import Isolation
from streams.metrics import WorkerMetrics
from streams.records import ConsumedRecord, OutRecord
from topics.catalog import AVAILABILITY_CHANGES, CART_HOLDS, dlq_name

log = logging.getLogger("omnistock.pipeline")
DEFAULT_LIMITS = EventLimits()
CHANGED = frozenset({Outcome.APPLIED, Outcome.TRIMMED, Outcome.EXPIRED})

Decoder = Callable[[str, bytes], list[Command]]


class ChangeEncoder(Protocol):
    def encode(
        self, sku: str, figures: LocationFigures, network_atp: int, cause_event_id: str, now_ms: int
    ) -> bytes: ...


ChangeItem = tuple[str, LocationFigures, int]  # sku, figures, network ATP


class ChangeLog(Protocol):
    """Where the API's live stream (SSE) reads changes from: one append per batch."""

    def append(self, items: Sequence[ChangeItem]) -> None: ...


class HoldEncoder(Protocol):
    def encode(self, hold: SetHold, result: MovementResult, now_ms: int) -> bytes: ...


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did: records to produce, and tallies for metrics and the dev screen."""

    outputs: list[OutRecord] = field(default_factory=list)
    outcomes: Tally[Outcome] = field(default_factory=Tally)
    dead_letters: int = 0


class StockPipeline:
    """Turns consumed records of one stock topic into store writes and output records."""

    def __init__(
        self,
        writer: StockWriter,
        decode: Decoder,
        changes: ChangeEncoder,
        holds: HoldEncoder,
        metrics: WorkerMetrics,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        change_log: ChangeLog | None = None,
        after_apply: Callable[[Sequence[MovementResult]], list[OutRecord]] | None = None,
        limits: EventLimits = DEFAULT_LIMITS,
    ) -> None:
        self._change_log = change_log
        self._after_apply = after_apply  # the order flow's shortage check: it re-routes at once
        self._writer = writer
        self._decode = decode
        self._changes = changes
        self._holds = holds
        self._metrics = metrics
        self._clock_ms = clock_ms
        self._limits = limits

    def run(self, topic: str, records: Sequence[ConsumedRecord]) -> BatchOutcome:
        """Apply `records` of the base topic `topic`; raises StoreUnavailable (retry the whole batch).
        A record that cannot be applied (malformed, from the future, too old to dedupe, refused by
        the store) goes to the DLQ and the batch goes on."""
        result = BatchOutcome()
        now_ms = self._clock_ms()
        movements, sources = self._commands(topic, records, now_ms, result)
        started = time.perf_counter()
        isolation = Isolation(self._writer, topic, result.outputs, self._limits.dlq_max_bytes)
        applied = isolation.apply(movements, sources, now_ms)
        results = applied.results
        self._metrics.apply_seconds.labels(topic).observe(time.perf_counter() - started)
        self._publish(topic, results, applied.commands, applied.sources, now_ms, result)
        if self._change_log is not None:
            self._change_log.append(logged_changes(results))
        if self._after_apply is not None and results:
            result.outputs += self._after_apply(results)
        count_batch(self._metrics, topic, len(records), result)
        return result

    def _commands(
        self, topic: str, records: Sequence[ConsumedRecord], now_ms: int, batch: BatchOutcome
    ) -> tuple[list[Command], list[ConsumedRecord]]:
        """The commands of the records, each with its record; the others to the DLQ with the reason."""
        movements: list[Command] = []
        sources: list[ConsumedRecord] = []
        oldest, latest = self._limits.accepted(topic, now_ms)
        for record in records:
            try:
                decoded = self._decode(topic, record.value() or b"")
            except InvalidEvent as error:
                reason, detail = error.code, error.message
            except Exception as error:  # a decoder bug must not stop the partition either
                log.exception("record_undecodable", extra={"topic": topic, "offset": record.offset()})
                reason, detail = UNPROCESSABLE, repr(error)
            else:
                at = getattr(decoded[0], "occurred_at_ms", None) if decoded else None
                if at is None or oldest <= at <= latest or (at < oldest and replayed(record)):
                    movements.extend(decoded)
                    sources.extend([record] * len(decoded))
                    continue
                reason, detail = self._limits.out_of_range(at, now_ms)
            batch.outputs.append(dead_letter(topic, record, reason, detail, self._limits.dlq_max_bytes))
        return movements, sources

    def _publish(
        self,
        topic: str,
        results: list[MovementResult],
        commands: list[Command],
        sources: list[ConsumedRecord],
        now_ms: int,
        batch: BatchOutcome,
    ) -> None:
        outputs, encode = batch.outputs, self._changes
        too_late: dict[int, list[str]] = {}
        for result, command, source in zip(results, commands, sources, strict=True):
            batch.outcomes[result.outcome] += 1
            if isinstance(command, SetHold):
                value = self._holds.encode(command, result, now_ms)
                outputs.append(OutRecord(CART_HOLDS, command.cart_id.encode(), value))
            if result.outcome in CHANGED:
                outputs += change_records(
                    result.sku, result.locations, result.network_atp, result.event_id, encode, now_ms
                )
            elif result.outcome is Outcome.TOO_LATE:
                too_late.setdefault(id(source), []).append(result.sku)
        for source in {id(s): s for s in sources if id(s) in too_late}.values():
            skus = ", ".join(too_late[id(source)])
            detail = f"older than the window of deltas kept for counts (skus {skus})"
            batch.outputs.append(dead_letter(topic, source, TOO_LATE, detail, self._limits.dlq_max_bytes))


def change_records(
    sku: str,
    locations: Sequence[LocationFigures],
    network_atp: int,
    cause_event_id: str,
    changes: ChangeEncoder,
    now_ms: int,
) -> list[OutRecord]:
    """One availability change per location touched, keyed by sku."""
    key = sku.encode()
    return [
        OutRecord(AVAILABILITY_CHANGES, key, changes.encode(sku, f, network_atp, cause_event_id, now_ms))
        for f in locations
    ]


def logged_changes(results: Sequence[MovementResult]) -> list[ChangeItem]:
    """The figures each changing result published, for the change log."""
    return [(r.sku, f, r.network_atp) for r in results if r.outcome in CHANGED for f in r.locations]


def count_batch(metrics: WorkerMetrics, topic: str, consumed: int, batch: BatchOutcome) -> None:
    """Metrics of one applied batch, per topic and outcome (incremented once per batch, not per event)."""
    outcomes = batch.outcomes
    dlq = dlq_name(topic)
    reasons = Tally(reason_of(out) for out in batch.outputs if out.topic == dlq)
    batch.dead_letters = reasons.total()
    for reason, count in reasons.items():
        metrics.dead_letters.labels(reason).inc(count)
    metrics.consumed.labels(topic).inc(consumed)
    metrics.batch_size.labels(topic).observe(consumed)
    metrics.applied.labels(topic).inc(outcomes[Outcome.APPLIED] + outcomes[Outcome.TRIMMED])
    metrics.duplicates.labels(topic).inc(outcomes[Outcome.DUPLICATE])
    for reason in (
        Outcome.INSIDE_COUNT,
        Outcome.STALE_COUNT,
        Outcome.TOO_LATE,
        Outcome.REFUSED,
        Outcome.NOT_FOUND,
    ):
        if outcomes[reason]:
            metrics.ignored.labels(topic, reason.value.lower()).inc(outcomes[reason])
    if batch.dead_letters:
        metrics.dlq.labels(topic).inc(batch.dead_letters)
    metrics.changes.inc(sum(1 for out in batch.outputs if out.topic == AVAILABILITY_CHANGES))
