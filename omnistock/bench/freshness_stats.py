"""The arithmetic of `omnistock bench freshness`: one probe's three instants, and a rate's percentiles.

A probe event is produced at `produced`, first read off the topic by the bench's own consumer at
`consumed` (the broker's share: Kafka's, not ours) and first seen in GET /v1/availability/{sku} at
`visible` (the end of the GET that showed it). What lies between `consumed` and `visible` is the
worker's fetch and batch, Redis and the API: ours. Instants are perf_counter seconds of one process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from omnistock.bench.latency import percentile, percentiles_by_slice


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
    slowest_broker_ms: float  # the slowest tenth of the probes: their mean broker share ...
    slowest_rest_ms: float  # ... and their mean rest: where the tail comes from
    p99_by_slice: list[tuple[float, float, int]]  # (s from the first probe, p99 ms, probes) per SLICE_S


SLICE_S = 5.0
SLOWEST_SHARE = 0.1


def summarize_probes(rate: float, probes: Sequence[ProbeTimes]) -> FreshnessSummary:
    """The figures of one rate. A probe's broker share and rest add up to its total; a probe the
    probe consumer missed counts in the total only."""
    seen = [p for p in probes if p.visible is not None]
    split = [p for p in seen if p.consumed is not None]
    slowest = sorted(split, key=_total, reverse=True)[: max(1, round(len(split) * SLOWEST_SHARE))]
    first = probes[0].produced if probes else 0.0
    return FreshnessSummary(
        rate=rate,
        probes=len(probes),
        unseen=len(probes) - len(seen),
        total=spread([_total(p) for p in seen]),
        broker=spread([_broker(p) for p in split]),
        rest=spread([_rest(p) for p in split]),
        slowest_broker_ms=_mean_ms([_broker(p) for p in slowest] if split else []),
        slowest_rest_ms=_mean_ms([_rest(p) for p in slowest] if split else []),
        p99_by_slice=[
            (start, p99 * 1000, count)
            for start, p99, count in percentiles_by_slice(
                [(p.produced - first, _total(p)) for p in seen], SLICE_S
            )
        ],
    )


def _total(p: ProbeTimes) -> float:
    return (p.visible or p.produced) - p.produced


def _broker(p: ProbeTimes) -> float:
    return (p.consumed or p.produced) - p.produced


def _rest(p: ProbeTimes) -> float:
    return (p.visible or p.produced) - (p.consumed or p.produced)


def _mean_ms(seconds: Sequence[float]) -> float:
    return sum(seconds) / len(seconds) * 1000 if seconds else 0.0


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
