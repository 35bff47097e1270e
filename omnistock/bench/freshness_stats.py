"""The arithmetic of `omnistock bench freshness`: one probe's three instants, and a rate's percentiles.

A probe event is produced at `produced`, first read off the topic by the bench's own consumer at
`consumed` (the broker's share: Kafka's, not ours) and first seen in GET /v1/availability/{sku} at
`visible` (the end of the GET that showed it). What lies between `consumed` and `visible` is the
worker's fetch and batch, Redis and the API: ours. Instants are perf_counter seconds of one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from omnistock.bench.latency import percentile


@dataclass(frozen=True, slots=True)
class ProbeTimes:
    produced: float
    consumed: float | None  # None: the probe consumer never saw it (its share is then unknown)
    visible: float | None  # None: not visible within the probe's time limit


@dataclass(frozen=True, slots=True)
class Spread:
    """Percentiles of one part of the latency, in ms."""

    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def spread(seconds: Sequence[float]) -> Spread:
    ordered = sorted(seconds)
    p50, p90, p99 = (percentile(ordered, q) * 1000 for q in (50, 90, 99))
    return Spread(len(ordered), p50, p90, p99, (ordered[-1] * 1000) if ordered else 0.0)


@dataclass(frozen=True, slots=True)
class FreshnessSummary:
    """One load rate: produce -> visible in full, split into the broker's share and the rest."""

    rate: float
    probes: int
    unseen: int  # probes never visible within their time limit (left out of the percentiles)
    total: Spread
    broker: Spread
    rest: Spread


def summarize_probes(rate: float, probes: Sequence[ProbeTimes]) -> FreshnessSummary:
    """The figures of one rate. A probe's broker share and rest add up to its total; a probe the
    probe consumer missed counts in the total only."""
    seen = [p for p in probes if p.visible is not None]
    split = [p for p in seen if p.consumed is not None]
    return FreshnessSummary(
        rate=rate,
        probes=len(probes),
        unseen=len(probes) - len(seen),
        total=spread([p.visible - p.produced for p in seen if p.visible is not None]),
        broker=spread([p.consumed - p.produced for p in split if p.consumed is not None]),
        rest=spread(
            [p.visible - p.consumed for p in split if p.visible is not None and p.consumed is not None]
        ),
    )


@dataclass(frozen=True, slots=True)
class WorkerMeans:
    """What the worker's own histograms saw between two scrapes (means; 0 when nothing was observed)."""

    batch_records: float
    apply_ms: float  # one batch's store round trip
    oldest_age_ms: float  # a batch's oldest record, from its producer timestamp to the batch's outputs


def _mean(before: dict[str, float], after: dict[str, float], name: str) -> float:
    count = after.get(f"{name}_count", 0.0) - before.get(f"{name}_count", 0.0)
    return (after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)) / count if count > 0 else 0.0


def worker_means(before: dict[str, float], after: dict[str, float]) -> WorkerMeans:
    """From two scrapes of the worker's histogram sums and counts (worker_metrics.scrape_histogram_sums)."""
    return WorkerMeans(
        batch_records=_mean(before, after, "omnistock_batch_records"),
        apply_ms=_mean(before, after, "omnistock_apply_latency_seconds") * 1000,
        oldest_age_ms=_mean(before, after, "omnistock_event_age_seconds") * 1000,
    )
