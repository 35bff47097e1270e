"""Which eligible nodes ship which lines: the lowest score, exact within a bound, greedy beyond it.

A line is never split across nodes. Exact: every combination of up to EXACT_MAX_NODES nodes, depth
first with branch cuts that cannot lose a better plan, while at most EXACT_BUDGET combinations are
evaluated (past it, the greedy plan competes with the best found so far, and the decision says
"greedy"). Within a combination each line goes to the node that adds least to the score for it
(picking cost and stock balance; the parcel-level figures are the same whichever node of the
combination takes it), the most constrained lines first so daily capacities are respected, and never
more lines of one sku at a node than its ATP covers together (a bundle); a combination that cannot
place every line that way is passed over.
Greedy: repeatedly the node with the lowest score per line it newly serves (ties: more lines, then
rank, then id), each taking as many of the lines left as its capacity allows; it may route fewer
lines than the optimum when capacities bind, and use more parcels than the exact search would.
Plans compare by lines routed (more first), score, summed ranks, then location ids: deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.routing_offers import Offer, Plan, components, fits
from core.routing_rules import Weights

EXACT_MAX_NODES = 3
EXACT_BUDGET = 5000


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
    nodes = sorted((_Node(o, target, weights, now) for o in offers), key=lambda n: (n.own, n.id))
    search = _Search(nodes, target, weights)
    search.extend(0, [], 0.0, 0.0)
    if search.best is None:
        return None, search.evaluated <= EXACT_BUDGET
    plan = _plan([(node.offer, lines) for node, lines in search.best], weights, now)
    return plan, search.evaluated <= EXACT_BUDGET


class _Node:
    """An offer as the search reads it: what it adds to any plan (`own`, `own_speed`, as components()
    and Weights.score would work them out, to the bit) and each line's key, worked out once."""

    __slots__ = ("offer", "id", "mask", "capacity", "rank", "days", "own", "own_speed", "keys")

    def __init__(self, offer: Offer, target: int, weights: Weights, now: datetime) -> None:
        self.offer, self.id, self.mask, self.capacity = offer, offer.location_id, offer.mask, offer.capacity
        self.rank = offer.rank
        self.days = (offer.earliest - now).total_seconds() / 86400
        self.own = weights.weigh(
            (offer.parcel_cents + offer.pick_cents * 0) / 100, 0.0, offer.co2e_grams / 1000,
            float(offer.parcels), sum([offer.km]) / 100, 0, float(offer.rank),
        )  # fmt: skip
        self.own_speed = weights.speed * self.days
        bits = offer.mask & target
        self.keys = {
            line: _line_key(offer, line, weights) for line in range(bits.bit_length()) if bits >> line & 1
        }


Assignment = list[tuple[_Node, list[int]]]


class _Search:
    def __init__(self, nodes: Sequence[_Node], target: int, weights: Weights) -> None:
        self.nodes, self.target, self.weights = nodes, target, weights
        self.lines = [line for line in range(target.bit_length()) if target >> line & 1]
        self.best: Assignment | None = None
        self.best_key: tuple[float, int, tuple[str, ...]] = (0.0, 0, ())
        self.best_score = 0.0
        self.evaluated = 0

    def extend(self, start: int, chosen: list[_Node], summed: float, speed: float) -> None:
        for index in range(start, len(self.nodes)):
            node = self.nodes[index]
            if self.best is not None and summed + node.own + speed > self.best_score + 1e-9:
                break  # later nodes add at least as much
            if self.evaluated >= EXACT_BUDGET:
                self.evaluated += 1  # over budget: the search is incomplete
                return
            combo = [*chosen, node]
            self.evaluated += 1
            placed = _assign(combo, self.target, self.lines)
            if placed is not None:
                self._consider(placed)
            if len(combo) < EXACT_MAX_NODES:
                self.extend(index + 1, combo, summed + node.own, max(speed, node.own_speed))

    def _consider(self, placed: Assignment) -> None:
        """Keeps `placed` if it beats the best so far by Plan.key (every exact plan routes every line)."""
        score = _score(placed, self.weights)
        key = (round(score, 9), sum(node.rank for node, _ in placed), tuple(node.id for node, _ in placed))
        if self.best is None or key < self.best_key:
            self.best, self.best_key, self.best_score = placed, key, score


def _score(placed: Assignment, weights: Weights) -> float:
    """Weights.score(components(...)) of the assignment (by location_id), without building the dict."""
    return weights.weigh(
        sum(n.offer.parcel_cents + n.offer.pick_cents * len(lines) for n, lines in placed) / 100,
        max(n.days for n, _ in placed),
        sum(n.offer.co2e_grams for n, _ in placed) / 1000,
        float(sum(n.offer.parcels for n, _ in placed)),
        sum([n.offer.km for n, _ in placed]) / 100,
        sum([n.offer.balance[line] for n, lines in placed for line in lines]),
        float(sum(n.rank for n, _ in placed)),
    )


def _assign(combo: Sequence[_Node], target: int, lines: list[int]) -> Assignment | None:
    """_place's assignment of the lines (ascending) to the nodes of `combo`, by location_id; None when
    it cannot place them all."""
    union = 0
    for node in combo:
        union |= node.mask
    if union & target != target:
        return None
    if len(combo) == 1:
        node = combo[0]
        capacity = node.capacity
        if capacity is not None and 0 <= capacity < len(lines) or not fits(node.offer, lines):
            return None
        return [(node, lines)]
    left = [node.capacity for node in combo]
    shipped: dict[int, list[int]] = {}
    for line in sorted(lines, key=lambda line: (sum(n.mask >> line & 1 for n in combo), line)):
        chosen, best = -1, None
        for index, node in enumerate(combo):
            if node.mask >> line & 1 and left[index] != 0:
                if node.offer.bundles and not fits(node.offer, [*shipped.get(index, ()), line]):
                    continue
                key = node.keys[line]
                if best is None or key < best:
                    chosen, best = index, key
        if chosen < 0:
            return None
        capacity = left[chosen]
        left[chosen] = None if capacity is None else capacity - 1
        shipped.setdefault(chosen, []).append(line)
    return sorted(((combo[i], sorted(placed)) for i, placed in shipped.items()), key=lambda pair: pair[0].id)


def _line_key(offer: Offer, line: int, weights: Weights) -> tuple[float, int, str]:
    added = weights.cost * offer.pick_cents / 100 + weights.balance * offer.balance[line]
    return (added, offer.rank, offer.location_id)


def _place(combo: Sequence[Offer], target: int, weights: Weights, now: datetime) -> Plan | None:
    """The plan of one combination (what the exact search evaluates), or None when it cannot place
    every line of `target`: each line to the node that adds least for it, most constrained lines first."""
    nodes = [_Node(offer, target, weights, now) for offer in combo]
    placed = _assign(nodes, target, [line for line in range(target.bit_length()) if target >> line & 1])
    return None if placed is None else _plan([(node.offer, lines) for node, lines in placed], weights, now)


def _plan(assignments: Sequence[tuple[Offer, Sequence[int]]], weights: Weights, now: datetime) -> Plan:
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
    if offer.bundles:  # lines of one sku: as many as the node's ATP covers together
        kept: list[int] = []
        for line in lines:
            if fits(offer, [*kept, line]):
                kept.append(line)
        lines = kept
    return sorted(lines if offer.capacity is None else lines[: offer.capacity])


def _greedy_key(
    offer: Offer, lines: list[int], weights: Weights, now: datetime
) -> tuple[float, int, int, str]:
    alone = weights.score(components([(offer, lines)], now))
    return (round(alone / len(lines), 9), -len(lines), offer.rank, offer.location_id)
