"""What the routing search works on: an eligible node's terms (Offer), a plan over offers (Plan), and
the unweighted score components of either (core.routing_rules weighs them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
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
    # Lines of one sku share the node's ATP for it: per such sku, (that ATP, line index -> quantity).
    # Empty unless the order repeats a sku (a bundle): each line fits alone, not all of them together.
    bundles: tuple[tuple[int, Mapping[int, int]], ...] = ()


def fits(offer: Offer, lines: Iterable[int]) -> bool:
    """Whether the node has the ATP for these of its lines together (lines of one sku share it)."""
    if not offer.bundles:
        return True
    chosen = set(lines)
    return all(
        sum(quantity for line, quantity in quantities.items() if line in chosen) <= atp
        for atp, quantities in offer.bundles
    )


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


def offer_components(offer: Offer, lines: Sequence[int], now: datetime) -> dict[str, float]:
    """components([(offer, lines)], now), worked out directly: the same floats, to the bit."""
    return {
        "cost": (offer.parcel_cents + offer.pick_cents * len(lines)) / 100,
        "speed": (offer.earliest - now).total_seconds() / 86400,
        "co2e": offer.co2e_grams / 1000,
        "parcels": float(offer.parcels),
        "distance": sum([offer.km]) / 100,
        "balance": sum([offer.balance[line] for line in lines]),
        "priority": float(offer.rank),
    }
