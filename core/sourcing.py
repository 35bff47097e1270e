"""Which nodes ship which cart lines: a set cover over the nodes' stock, exact when small, greedy beyond.

A line is never split across nodes: a node serves a line only with the ATP for its whole quantity.
PARCELS: the fewest nodes (so one node whenever one can serve it all), then the lowest cost, then the
earliest date. Exact: every combination of up to EXACT_MAX_NODES nodes, while a size has at most
EXACT_BUDGET combinations. Beyond: greedy, taking each time the node that serves the most lines still
unserved (ties: cheaper, then earlier, then id), which may use more parcels than the optimum.
SPEED: the earliest date first, exact at any size (the smallest date threshold whose nodes cover the
cart), then PARCELS among the nodes that meet it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from math import comb

EXACT_MAX_NODES = 3
EXACT_BUDGET = 5000


@dataclass(frozen=True, slots=True)
class Quote:
    """One node's offer towards one receiver: which lines it can serve, at what cost and when."""

    location_id: str
    mask: int  # bit i set: the node has the ATP for the whole of line i
    parcel_cents: int  # what the carrier charges for its parcel
    pick_cents: int  # cost of picking one line there
    earliest: datetime
    latest: datetime
    co2e_grams: int


@dataclass(frozen=True, slots=True)
class Plan:
    quotes: tuple[Quote, ...]  # one parcel each, by location_id
    lines: tuple[tuple[int, ...], ...]  # line indexes shipped by each quote
    cost_cents: int
    earliest: datetime
    latest: datetime

    def key(self) -> tuple[int, int, datetime, datetime, tuple[str, ...]]:
        return (len(self.quotes), self.cost_cents, self.earliest, self.latest, self.ids())

    def ids(self) -> tuple[str, ...]:
        return tuple(quote.location_id for quote in self.quotes)


def choose_plan(quotes: Sequence[Quote], line_count: int, speed_first: bool = False) -> Plan | None:
    """The best plan to serve lines 0..line_count-1 from `quotes`, None when together they cannot."""
    full = (1 << line_count) - 1
    useful = sorted((q for q in quotes if q.mask), key=lambda q: q.location_id)
    if not _covers(useful, full):
        return None
    if not speed_first:
        return _fewest_parcels(useful, full)
    for threshold in sorted({q.earliest for q in useful}):
        eligible = [q for q in useful if q.earliest <= threshold]
        if _covers(eligible, full):
            return _fewest_parcels(eligible, full)
    return None  # unreachable: all of `useful` covers


def _covers(quotes: Sequence[Quote], full: int) -> bool:
    seen = 0
    for quote in quotes:
        seen |= quote.mask
    return seen & full == full


def _fewest_parcels(quotes: Sequence[Quote], full: int) -> Plan:
    for size in range(1, EXACT_MAX_NODES + 1):
        if comb(len(quotes), size) > EXACT_BUDGET:
            break
        plans = [_plan(combo, full) for combo in combinations(quotes, size) if _covers(combo, full)]
        if plans:
            return min(plans, key=Plan.key)
    return _greedy(quotes, full)


def _greedy(quotes: Sequence[Quote], full: int) -> Plan:
    chosen: list[Quote] = []
    left = full
    while left:
        best = min(
            quotes,
            key=lambda q: (
                -(q.mask & left).bit_count(),
                q.parcel_cents + q.pick_cents,
                q.earliest,
                q.location_id,
            ),
        )
        chosen.append(best)
        left &= ~best.mask
    return _plan(sorted(chosen, key=lambda q: q.location_id), full)


def _plan(combo: Sequence[Quote], full: int) -> Plan:
    """Each line from the node of the combination that picks it cheapest; nodes left idle are dropped."""
    shipped: dict[int, list[int]] = {}
    for line in range(full.bit_length()):
        serving = [i for i, quote in enumerate(combo) if quote.mask >> line & 1]
        shipped.setdefault(min(serving, key=lambda i: (combo[i].pick_cents, i)), []).append(line)
    used = [i for i in range(len(combo)) if i in shipped]
    cost = sum(combo[i].parcel_cents + combo[i].pick_cents * len(shipped[i]) for i in used)
    return Plan(
        quotes=tuple(combo[i] for i in used),
        lines=tuple(tuple(shipped[i]) for i in used),
        cost_cents=cost,
        earliest=max(combo[i].earliest for i in used),
        latest=max(combo[i].latest for i in used),
    )
