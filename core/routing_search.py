"""Which eligible nodes ship which lines: the lowest score, exact within a bound, greedy beyond it.

A line is never split across nodes. Exact: every combination of up to EXACT_MAX_NODES nodes, depth
first with branch cuts that cannot lose a better plan, while at most EXACT_BUDGET combinations are
evaluated (past it, the greedy plan competes with the best found so far, and the decision says
"greedy"). Within a combination each line goes to the node that adds least to the score for it
(picking cost and stock balance; the parcel-level figures are the same whichever node of the
combination takes it), the most constrained lines first so daily capacities are respected; a
combination that cannot place every line that way is passed over.
Greedy: repeatedly the node with the lowest score per line it newly serves (ties: more lines, then
rank, then id), each taking as many of the lines left as its capacity allows; it may route fewer
lines than the optimum when capacities bind, and use more parcels than the exact search would.
Plans compare by lines routed (more first), score, summed ranks, then location ids: deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.routing_rules import Weights

EXACT_MAX_NODES = 3
EXACT_BUDGET = 5000


@dataclass(frozen=True, slots=True)
class Offer:
    """An eligible node's terms for the lines in `mask` (bit i: line i, all filters passed)."""

    location_id: str
    rank: int
    mask: int
    capacity: int | None  # lines it may still pick today; None: not limited
    parcels: int  # 1 for a carrier parcel, 0 for a pickup store handing over its own stock
    parcel_cents: int
    pick_cents: int
    co2e_grams: int
    km: float
    earliest: datetime
    latest: datetime
    balance: Mapping[int, float]  # line index -> share of the node's ATP the line takes


@dataclass(frozen=True, slots=True)
class Plan:
    assignments: tuple[tuple[Offer, tuple[int, ...]], ...]  # by location_id
    components: Mapping[str, float]
    score: float
    routed: int  # lines routed

    def key(self) -> tuple[int, float, int, tuple[str, ...]]:
        ranks = sum(offer.rank for offer, _ in self.assignments)
        return (-self.routed, round(self.score, 9), ranks, tuple(o.location_id for o, _ in self.assignments))


def components(assignments: Sequence[tuple[Offer, Sequence[int]]], now: datetime) -> dict[str, float]:
    """The unweighted score components of shipping these lines from these nodes (module units of
    core.routing_rules): sums, except speed, which is when the last parcel arrives."""
    return {
        "cost": sum(o.parcel_cents + o.pick_cents * len(lines) for o, lines in assignments) / 100,
        "speed": max(((o.earliest - now).total_seconds() / 86400 for o, _ in assignments), default=0.0),
        "co2e": sum(o.co2e_grams for o, _ in assignments) / 1000,
        "parcels": float(sum(o.parcels for o, _ in assignments)),
        "distance": sum(o.km for o, _ in assignments) / 100,
        "balance": sum(o.balance[line] for o, lines in assignments for line in lines),
        "priority": float(sum(o.rank for o, _ in assignments)),
    }


def best_plan(
    offers: Sequence[Offer], target: int, weights: Weights, now: datetime
) -> tuple[Plan | None, bool]:
    """The best plan for the lines of `target` and whether it came from a complete exact search."""
    useful = sorted((o for o in offers if o.mask & target), key=lambda o: o.location_id)
    best, complete = _exact(useful, target, weights, now)
    if best is not None and best.routed == target.bit_count() and complete:
        return best, True
    greedy = _greedy(useful, target, weights, now)
    contenders = [plan for plan in (best, greedy) if plan is not None]
    return (min(contenders, key=Plan.key) if contenders else None), False


def _exact(offers: Sequence[Offer], target: int, weights: Weights, now: datetime) -> tuple[Plan | None, bool]:
    """Depth-first over combinations, nodes by their fixed score (ascending); a branch is cut when its
    lower bound (the parcel-level score of its nodes, every node used) already exceeds the best plan, so
    cutting never loses a better plan: a plan with an idle node is the same as its smaller combination."""
    fixed = {o.location_id: _fixed(o, weights, now) for o in offers}
    ordered = sorted(offers, key=lambda o: (fixed[o.location_id][0], o.location_id))
    search = _Search(ordered, fixed, target, weights, now)
    search.extend(0, [], 0.0, 0.0)
    return search.best, search.evaluated <= EXACT_BUDGET


def _fixed(offer: Offer, weights: Weights, now: datetime) -> tuple[float, float]:
    """What a node adds to any plan it is in, whatever lines it takes: (summed part, speed part)."""
    figures = components([(offer, [])], now)
    speed = weights.speed * figures.pop("speed")
    return weights.score(figures), speed


class _Search:
    def __init__(
        self,
        offers: Sequence[Offer],
        fixed: Mapping[str, tuple[float, float]],
        target: int,
        weights: Weights,
        now: datetime,
    ) -> None:
        self.offers, self.fixed, self.target, self.weights, self.now = offers, fixed, target, weights, now
        self.best: Plan | None = None
        self.evaluated = 0

    def extend(self, start: int, chosen: list[Offer], summed: float, speed: float) -> None:
        for index in range(start, len(self.offers)):
            offer = self.offers[index]
            own, own_speed = self.fixed[offer.location_id]
            if self.best is not None and summed + own + speed > self.best.score + 1e-9:
                break  # later nodes add at least as much
            if self.evaluated >= EXACT_BUDGET:
                self.evaluated += 1  # over budget: the search is incomplete
                return
            combo = [*chosen, offer]
            self.evaluated += 1
            plan = _place(combo, self.target, self.weights, self.now)
            if plan is not None and (self.best is None or plan.key() < self.best.key()):
                self.best = plan
            if len(combo) < EXACT_MAX_NODES:
                self.extend(index + 1, combo, summed + own, max(speed, own_speed))


def _line_key(offer: Offer, line: int, weights: Weights) -> tuple[float, int, str]:
    added = weights.cost * offer.pick_cents / 100 + weights.balance * offer.balance[line]
    return (added, offer.rank, offer.location_id)


def _place(combo: Sequence[Offer], target: int, weights: Weights, now: datetime) -> Plan | None:
    union = 0
    for offer in combo:
        union |= offer.mask
    if union & target != target:
        return None
    left = {o.location_id: o.capacity for o in combo}
    shipped: dict[str, list[int]] = {}
    lines = [line for line in range(target.bit_length()) if target >> line & 1]
    lines.sort(key=lambda line: (sum(o.mask >> line & 1 for o in combo), line))
    for line in lines:
        able = [o for o in combo if o.mask >> line & 1 and left[o.location_id] != 0]
        if not able:
            return None
        node = min(able, key=lambda o: _line_key(o, line, weights))
        capacity = left[node.location_id]
        left[node.location_id] = None if capacity is None else capacity - 1
        shipped.setdefault(node.location_id, []).append(line)
    return _plan(
        [(o, sorted(shipped[o.location_id])) for o in combo if o.location_id in shipped], weights, now
    )


def _plan(assignments: Sequence[tuple[Offer, list[int]]], weights: Weights, now: datetime) -> Plan:
    ordered = sorted(assignments, key=lambda pair: pair[0].location_id)
    figures = components(ordered, now)
    return Plan(
        assignments=tuple((offer, tuple(lines)) for offer, lines in ordered),
        components=figures,
        score=weights.score(figures),
        routed=sum(len(lines) for _, lines in ordered),
    )


def _greedy(offers: Sequence[Offer], target: int, weights: Weights, now: datetime) -> Plan | None:
    chosen: list[tuple[Offer, list[int]]] = []
    left = target
    pool = list(offers)
    while left and pool:
        picks = [(offer, _takes(offer, left, weights)) for offer in pool]
        picks = [(offer, lines) for offer, lines in picks if lines]
        if not picks:
            break
        offer, lines = min(picks, key=lambda pick: _greedy_key(pick[0], pick[1], weights, now))
        chosen.append((offer, lines))
        pool.remove(offer)
        for line in lines:
            left &= ~(1 << line)
    return _plan(chosen, weights, now) if chosen else None


def _takes(offer: Offer, left: int, weights: Weights) -> list[int]:
    lines = [line for line in range(left.bit_length()) if (offer.mask & left) >> line & 1]
    lines.sort(key=lambda line: (_line_key(offer, line, weights), line))
    return sorted(lines if offer.capacity is None else lines[: offer.capacity])


def _greedy_key(
    offer: Offer, lines: list[int], weights: Weights, now: datetime
) -> tuple[float, int, int, str]:
    alone = weights.score(components([(offer, lines)], now))
    return (round(alone / len(lines), 9), -len(lines), offer.rank, offer.location_id)
