"""Where a promise load stops holding its target: the rates stepped down to, and the highest that held.

`omnistock bench promise` runs the asked rate first; a cart size that misses p99 < target there is
run again at lower steps, from the top down, until one holds. The measured limit is the highest
rate of a cart size that held (no errors, every request answered, p99 under the target).
"""

from __future__ import annotations

from collections.abc import Iterable

from omnistock.bench.latency import PhaseSummary

STEPS = 4
LOWEST_STEP = 25.0  # requests/s: below it a limit says nothing a buyer compares


def step_rates(rate: float, steps: int = STEPS, lowest: float = LOWEST_STEP) -> list[float]:
    """The rates below `rate` to try, highest first: rate x (steps-1)/steps ... rate x 1/steps, then
    halving from there while at least `lowest` (a machine that holds none of the quarters still
    gets a limit)."""
    if rate <= 0 or steps < 1:
        raise ValueError("rate must be > 0 and steps >= 1")
    rates = [rate * k / steps for k in range(steps - 1, 0, -1)]
    while rates and rates[-1] / 2 >= lowest:
        rates.append(rates[-1] / 2)
    return rates


def holds(phase: PhaseSummary, target_p99_ms: float) -> bool:
    return phase.errors == 0 and phase.completed == phase.scheduled and phase.p99_ms < target_p99_ms


def measured_limit(phases: Iterable[PhaseSummary], target_p99_ms: float) -> float | None:
    """The highest asked rate among `phases` that held the target; None when none did."""
    held = [p.rate for p in phases if holds(p, target_p99_ms)]
    return max(held) if held else None
