"""Open-loop load arithmetic: the send schedule, nearest-rank percentiles, one phase's summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def schedule(count: int, rate: float) -> list[float]:
    """Send offsets in seconds from the start: request i is due at i / rate, whatever came before."""
    if count < 0 or rate <= 0:
        raise ValueError("count must be >= 0 and rate > 0")
    return [i / rate for i in range(count)]


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 < q <= 100) of an ascending sequence; 0.0 when it is empty."""
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class PhaseSummary:
    """One phase of load: latencies in ms from each request's scheduled send time."""

    name: str
    scheduled: int
    completed: int
    errors: int
    achieved_rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float  # how late the client itself sent (part of the latency above, not the server's)
    server_cpu: float  # CPU seconds / wall second of the server process over the phase (-1: unknown)
    cpu: dict[str, float] = field(default_factory=dict)  # process name -> % of one core over the phase
    rate: float = 0.0  # the rate asked of the phase (requests/s), 0 when not said

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhaseSummary:
        return cls(**data)


def summarize(
    name: str,
    scheduled: int,
    latencies_s: Sequence[float],
    lags_s: Sequence[float],
    errors: int,
    elapsed_s: float,
    server_cpu: float = -1.0,
    cpu: dict[str, float] | None = None,
    rate: float = 0.0,
) -> PhaseSummary:
    """The summary of a phase: successful latencies only in the percentiles, errors counted apart."""
    ordered = sorted(latencies_s)
    ms = [percentile(ordered, q) * 1000 for q in (50, 90, 99)]
    return PhaseSummary(
        name=name,
        scheduled=scheduled,
        completed=len(ordered),
        errors=errors,
        achieved_rate=len(ordered) / elapsed_s if elapsed_s > 0 else 0.0,
        p50_ms=ms[0],
        p90_ms=ms[1],
        p99_ms=ms[2],
        max_ms=(ordered[-1] * 1000) if ordered else 0.0,
        lag_p99_ms=percentile(sorted(lags_s), 99) * 1000,
        server_cpu=server_cpu,
        cpu=cpu or {},
        rate=rate,
    )


def percentiles_by_slice(
    sent_and_took: Sequence[tuple[float, float]], slice_s: float, q: float = 99
) -> list[tuple[float, float, int]]:
    """(slice start s, percentile q of the latencies in s, count) per `slice_s` of send offsets, in order:
    whether a phase's tail belongs to all of it or grows as it goes."""
    if slice_s <= 0:
        raise ValueError("slice_s must be > 0")
    slices: dict[int, list[float]] = {}
    for sent, took in sent_and_took:
        slices.setdefault(int(sent // slice_s), []).append(took)
    return [(k * slice_s, percentile(sorted(v), q), len(v)) for k, v in sorted(slices.items())]
