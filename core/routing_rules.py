"""Routing rule sets: named, versioned filters and score weights, and the built-in strategies.

A plan is scored as the weighted sum of its components, lower is better. Units are chosen so that a
weight of 1 on each compares things a retailer trades against each other every day:
  cost      euros the retailer pays: carrier parcels plus picking (cents / 100)
  speed     days from `now` to the earliest delivery or pickup of the order's last parcel
  co2e      kilograms of CO2e of the parcels
  parcels   carrier parcels (0 for click & collect from the store's own stock): the split penalty
  distance  hundreds of kilometres shipped (node -> customer, relay point or pickup store)
  balance   per line, the share of the node's ATP it takes (1.0: it empties the node), summed
  priority  the nodes' ranks (see `RuleSet.rank`), summed
Priority also breaks ties: equal scores go to the plan with the smaller ranks, then the smaller ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

COMPONENTS = ("cost", "speed", "co2e", "parcels", "distance", "balance", "priority")


@dataclass(frozen=True, slots=True)
class Weights:
    """One weight per score component (see the module docstring for units); 0 ignores it."""

    cost: float = 0.0
    speed: float = 0.0
    co2e: float = 0.0
    parcels: float = 0.0
    distance: float = 0.0
    balance: float = 0.0
    priority: float = 0.0

    def __post_init__(self) -> None:
        # the exact search cuts branches on a lower bound that holds only for weights >= 0
        for name, weight in self.as_dict().items():
            if not 0 <= weight < math.inf:
                raise ValueError(f"weight {name} must be a finite number >= 0, got {weight!r}")

    def score(self, components: Mapping[str, float]) -> float:
        get = components.get
        return self.weigh(
            get("cost", 0.0), get("speed", 0.0), get("co2e", 0.0), get("parcels", 0.0),
            get("distance", 0.0), get("balance", 0.0), get("priority", 0.0),
        )  # fmt: skip

    def weigh(
        self,
        cost: float,
        speed: float,
        co2e: float,
        parcels: float,
        distance: float,
        balance: float,
        priority: float,
    ) -> float:
        """The score of these components, summed in COMPONENTS order (the same floats, to the bit, as
        `score` of a dict of them: the search compares plans by it)."""
        return (
            self.cost * cost + self.speed * speed + self.co2e * co2e + self.parcels * parcels
            + self.distance * distance + self.balance * balance + self.priority * priority
        )  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        return {item.name: float(getattr(self, item.name)) for item in fields(self)}


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Filters and weights. Filters: the capability the delivery method needs, ATP for the whole line,
    daily pick capacity left, `max_distance_km`, `excluded_locations` (and the order's own exclusions).
    `kind_ranks` / `location_ranks`: a node's rank, smaller preferred, 0 by default; a location's own
    rank wins over its kind's."""

    name: str
    version: str
    weights: Weights
    max_distance_km: float | None = None
    excluded_locations: frozenset[str] = frozenset()
    kind_ranks: Mapping[str, int] = field(default_factory=dict)  # LocationKind value -> rank
    location_ranks: Mapping[str, int] = field(default_factory=dict)  # location_id -> rank
    description: str = ""

    def rank(self, location_id: str, kind: str) -> int:
        return self.location_ranks.get(location_id, self.kind_ranks.get(kind, 0))


CHEAPEST = "cheapest"
FASTEST = "fastest"
GREENEST = "greenest"
FEWEST_SPLITS = "fewest-splits"
BALANCED = "balanced"
BUILT_IN_VERSION = "builtin-1"

# Each strategy puts its criterion first; small secondary weights make "which of equals" sensible
# (the cheaper of two equally fast plans) without ever outweighing the criterion on realistic figures.
BUILT_IN: Mapping[str, RuleSet] = {
    CHEAPEST: RuleSet(
        CHEAPEST, BUILT_IN_VERSION, Weights(cost=1.0, speed=0.01),
        description="lowest carrier + picking cost; then the earlier",
    ),
    FASTEST: RuleSet(
        FASTEST, BUILT_IN_VERSION, Weights(speed=100.0, cost=0.01),
        description="earliest delivery of the whole order (its last parcel); then the cheaper",
    ),
    GREENEST: RuleSet(
        GREENEST, BUILT_IN_VERSION, Weights(co2e=100.0, cost=0.01),
        description="least CO2e; then the cheaper",
    ),
    FEWEST_SPLITS: RuleSet(
        FEWEST_SPLITS, BUILT_IN_VERSION, Weights(parcels=1000.0, cost=1.0),
        description="fewest parcels (one node whenever one can serve it all); then the cheaper",
    ),
    BALANCED: RuleSet(
        BALANCED, BUILT_IN_VERSION,
        Weights(cost=1.0, speed=2.0, co2e=5.0, parcels=3.0, distance=0.5, balance=2.0, priority=0.5),
        description="1 EUR ~ half a day ~ 200 g CO2e ~ a third of a parcel ~ 200 km ~ half an emptied line",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """The rule sets by name and the one used when an order names none (or one not known)."""

    rule_sets: Mapping[str, RuleSet]
    default: str = BALANCED

    def for_strategy(self, strategy: str | None) -> RuleSet:
        """The named rule set, else the default: an order is never refused for its strategy name;
        the decision records which rule set actually routed it."""
        if strategy is not None and strategy in self.rule_sets:
            return self.rule_sets[strategy]
        return self.rule_sets[self.default]


DEFAULT_RULES = RoutingRules(rule_sets=BUILT_IN, default=BALANCED)
