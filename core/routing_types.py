"""The values routing takes and gives: the delivery asked, candidates, shipments, the decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from core.allocation import OrderLine
from core.geo import Place

IN_STORE = "in_store"  # the carrier_service of click & collect from the pickup store's own stock


class DeliveryMethod(StrEnum):
    HOME_STANDARD = "HOME_STANDARD"
    HOME_EXPRESS = "HOME_EXPRESS"
    CLICK_COLLECT = "CLICK_COLLECT"
    RELAY = "RELAY"


class Filter(StrEnum):
    """What can exclude a node, in the order the filters are tried (the first that fails is named)."""

    EXCLUDED = "excluded"  # the rule set's excluded locations, or the order's (e.g. it rejected the lines)
    CAPABILITY = "capability"  # cannot ship (or hand over) for this delivery method
    DISTANCE = "distance"  # beyond the rule set's max_distance_km
    CAPACITY = "capacity"  # no daily pick capacity left
    ATP = "atp"  # not the ATP for the whole of any line
    SERVICE = "service"  # the carrier service does not go that far, or has no collection date


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where the order goes. `destination`: the customer (home, and to find a relay point near them);
    `pickup_location_id`: the chosen store (click & collect) or relay point (relay, optional)."""

    method: DeliveryMethod
    destination: Place
    pickup_location_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One node as routing saw it: what excluded it, or its score for the lines it could take."""

    location_id: str
    chosen: bool
    excluded_by: Filter | None
    reason: str
    lines: tuple[str, ...]  # line ids it could serve (all filters passed for them)
    score: float | None  # its own shipment of `lines`, weighted; None when excluded
    components: Mapping[str, float]  # unweighted, in core.routing_rules units
    rank: int


def excluded_candidate(location_id: str, excluded: tuple[Filter, str], rank: int) -> Candidate:
    """A node a filter excluded: (the filter, why)."""
    filter_, reason = excluded
    return Candidate(
        location_id=location_id,
        chosen=False,
        excluded_by=filter_,
        reason=reason,
        lines=(),
        score=None,
        components={},
        rank=rank,
    )


@dataclass(frozen=True, slots=True)
class RoutedShipment:
    location_id: str
    lines: tuple[OrderLine, ...]
    carrier_service: str  # a service id, or IN_STORE
    earliest: datetime  # delivery, or ready for pickup
    latest: datetime
    cost_cents: int
    co2e_grams: int
    km: float


@dataclass(frozen=True, slots=True)
class UnroutedLine:
    line: OrderLine
    reason: str


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    decision_id: str
    rule_set: str
    rule_set_version: str
    method: DeliveryMethod
    decided_at: datetime
    shipments: tuple[RoutedShipment, ...]  # by location_id
    unrouted: tuple[UnroutedLine, ...]
    candidates: tuple[Candidate, ...]  # every node considered, by location_id
    score: float | None  # the plan's, None when nothing is routed
    components: Mapping[str, float]  # the plan's, unweighted
    search: str  # "exact" (every combination within the bound) or "greedy"


_FILTER_VALUES: Mapping[Filter | None, str | None] = {None: None, **{f: f.value for f in Filter}}


def decision_dict(decision: RoutingDecision, strategy: str | None = None) -> dict[str, object]:
    """The decision as plain JSON-ready data, named as routing.decisions.v1 names its fields
    (candidates[].excluded_by / score / chosen, rule_set, rule_set_version) plus the why.

    Nodes that cannot serve the delivery method at all (the capability filter: a store without SHIP
    for a home delivery) are listed once per reason under `ineligible`, not one candidate record each:
    they are most of the network for most orders, and the same for every order of that method."""
    ineligible: dict[str, list[str]] = {}
    for c in decision.candidates:
        if c.excluded_by is Filter.CAPABILITY:
            ineligible.setdefault(c.reason, []).append(c.location_id)
    return {
        "decision_id": decision.decision_id,
        "rule_set": decision.rule_set,
        "rule_set_version": decision.rule_set_version,
        "strategy": strategy,
        "method": decision.method.value,
        "decided_at": _iso(decision.decided_at),
        "search": decision.search,
        "score": _round(decision.score),
        "scores": {name: round(value, 6) for name, value in decision.components.items()},
        "shipments": [_shipment(shipment) for shipment in decision.shipments],
        "unrouted": [_line(item.line) | {"reason": item.reason} for item in decision.unrouted],
        "candidates": [
            {
                "location_id": c.location_id,
                "chosen": c.chosen,
                "excluded_by": _FILTER_VALUES[c.excluded_by],
                "reason": c.reason,
                "lines": list(c.lines),
                "score": None if c.score is None else round(c.score, 6),
                "scores": {name: round(value, 6) for name, value in c.components.items()}
                if c.components
                else {},
                "rank": c.rank,
            }
            for c in decision.candidates
            if c.excluded_by is not Filter.CAPABILITY
        ],  # inline, not one call per candidate: the worker calls this once per order
        "ineligible": [{"reason": reason, "location_ids": ids} for reason, ids in ineligible.items()],
    }


def _shipment(shipment: RoutedShipment) -> dict[str, object]:
    return {
        "location_id": shipment.location_id,
        "carrier_service": shipment.carrier_service,
        "lines": [_line(line) for line in shipment.lines],
        "promised_earliest": _iso(shipment.earliest),
        "promised_latest": _iso(shipment.latest),
        "cost_cents": shipment.cost_cents,
        "co2e_grams": shipment.co2e_grams,
        "km": round(shipment.km, 1),
    }


def _round(score: float | None) -> float | None:
    return None if score is None else round(score, 6)


def _line(line: OrderLine) -> dict[str, object]:
    return {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
