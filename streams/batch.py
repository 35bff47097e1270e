"""What the stock and order flows share per batch: its outcome, availability-change records, metrics."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.movements import LocationFigures, MovementResult, Outcome
from streams.dlq import reason_of
from streams.metrics import WorkerMetrics
from streams.records import Headers, OutRecord
from topics.catalog import AVAILABILITY_CHANGES, dlq_name

CHANGED = frozenset({Outcome.APPLIED, Outcome.TRIMMED, Outcome.EXPIRED})


class ChangeEncoder(Protocol):
    @property
    def headers(self) -> Headers:
        """The headers of every change record (schema name, content type), shared by all of them."""
        ...

    def encode(
        self, sku: str, figures: LocationFigures, network_atp: int, cause_event_id: str, now_ms: int
    ) -> bytes: ...


ChangeItem = tuple[str, LocationFigures, int]  # sku, figures, network ATP


class ChangeLog(Protocol):
    """Where the API's live stream (SSE) reads changes from: one append per batch."""

    def append(self, items: Sequence[ChangeItem]) -> None: ...


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did: records to produce, and tallies for metrics and the dev screen."""

    outputs: list[OutRecord] = field(default_factory=list)
    outcomes: Tally[Outcome] = field(default_factory=Tally)
    dead_letters: int = 0


def change_records(
    sku: str,
    locations: Sequence[LocationFigures],
    network_atp: int,
    cause_event_id: str,
    changes: ChangeEncoder,
    now_ms: int,
) -> list[OutRecord]:
    """One availability change per location touched, keyed by sku."""
    key, headers, encode = sku.encode(), changes.headers, changes.encode
    return [
        OutRecord(AVAILABILITY_CHANGES, key, encode(sku, f, network_atp, cause_event_id, now_ms), headers)
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
