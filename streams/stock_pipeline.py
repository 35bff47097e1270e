"""Applies one batch of stock events: decode, one store round trip, availability changes and DLQ records.

Kafka-free on purpose: the worker feeds it consumed records and produces what it returns, so the whole
path from bytes to stock figures is testable without a broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from core.errors import InvalidEvent
from core.movements import Command, MovementResult, Outcome, SetHold
from core.ports import StockWriter
from streams.batch import (
    CHANGED,
    BatchOutcome,
    ChangeEncoder,
    ChangeLog,
    change_records,
    count_batch,
    logged_changes,
)
from streams.dlq import TOO_LATE, UNPROCESSABLE, dead_letter
from streams.event_limits import EventLimits, replayed
from streams.isolation import Isolation
from streams.metrics import WorkerMetrics
from streams.records import ConsumedRecord, Headers, OutRecord
from topics.catalog import CART_HOLDS

log = logging.getLogger("omnistock.pipeline")
DEFAULT_LIMITS = EventLimits()

Decoder = Callable[[str, bytes], list[Command]]


class HoldEncoder(Protocol):
    @property
    def headers(self) -> Headers: ...

    def encode(self, hold: SetHold, result: MovementResult, now_ms: int) -> bytes: ...


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
                outputs.append(OutRecord(CART_HOLDS, command.cart_id.encode(), value, self._holds.headers))
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
