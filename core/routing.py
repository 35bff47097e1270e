"""Route an order: which nodes ship which lines under a rule set, and why every other node was not used.

Pure and deterministic: the caller passes `now`, the prepared network, a live ATP view, the daily pick
capacity left and the nodes each line must avoid; the same input always gives the same decision. Every
location but relay points (they keep no stock) is a candidate and gets a verdict: the first filter it
fails (core.routing_types.Filter), or its score. Lines are never split across nodes; an order's lines
may go to several nodes (one shipment each). Capacity is counted in order lines, as
`Location.daily_pick_capacity` is; nothing is consumed here (the caller allocates the decision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from core.allocation import OrderLine
from core.promise_nodes import AtpView, PromiseNetwork, Timetable
from core.routing_ids import decision_id_of
from core.routing_nodes import NodeJudge, Verdict
from core.routing_offers import Offer, Plan, offer_components
from core.routing_rules import RuleSet
from core.routing_search import best_plan
from core.routing_target import METHOD_SERVICES, Target, resolve_target
from core.routing_types import (
    IN_STORE,
    Candidate,
    Delivery,
    DeliveryMethod,
    RoutedShipment,
    RoutingDecision,
    UnroutedLine,
    excluded_candidate,
)

__all__ = ["route", "decision_id_of"]


def route(
    prepared: PromiseNetwork,
    lines: Sequence[OrderLine],
    delivery: Delivery,
    now: datetime,
    atp: AtpView,
    rule_set: RuleSet,
    capacity_left: Mapping[str, int | None] | None = None,
    excluded: Mapping[str, frozenset[str]] | None = None,
    *,
    decision_id: str | None = None,
    method_services: Mapping[DeliveryMethod, str] = METHOD_SERVICES,
    timetable: Timetable | None = None,
) -> RoutingDecision:
    """The decision for `lines`. `capacity_left`: order lines each location may still pick today (None:
    unlimited; a location not named has its whole `daily_pick_capacity`). `excluded`: line_id -> the
    locations that must not serve it. `decision_id`: derived from the inputs when not given.
    `timetable`: nodes' ready and delivery dates shared by the orders of a batch decided at one `now`.
    ValueError for a naive `now`, a quantity below 1 or a repeated line_id (caller bugs, not outcomes)."""
    _check(lines, now)
    capacity_left, excluded = capacity_left or {}, excluded or {}
    ident = decision_id or decision_id_of(
        prepared, lines, delivery, now, atp, rule_set, capacity_left, excluded, timetable
    )
    target = resolve_target(prepared, delivery, method_services)
    if isinstance(target, str):
        unrouted = tuple(UnroutedLine(line, target) for line in lines)
        return _decision(ident, rule_set, delivery, now, None, (), (), unrouted, True)
    judge = NodeJudge(prepared, lines, now, atp, capacity_left, excluded, rule_set, target, timetable)
    verdicts = judge.judge_all()
    offers = [verdict for verdict in verdicts.values() if isinstance(verdict, Offer)]
    routable = 0
    for offer in offers:
        routable |= offer.mask
    plan, exact = best_plan(offers, routable, rule_set.weights, now) if routable else (None, True)
    shipments = _shipments(plan, lines, target)
    candidates = _candidates(verdicts, plan, lines, rule_set, now, judge)
    unrouted = _unrouted(lines, plan, verdicts, judge)
    return _decision(ident, rule_set, delivery, now, plan, shipments, candidates, unrouted, exact)


def _check(lines: Sequence[OrderLine], now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    seen: set[str] = set()
    for line in lines:
        if line.quantity < 1:
            raise ValueError(f"quantity of line {line.line_id!r} must be at least 1, got {line.quantity}")
        if line.line_id in seen:
            raise ValueError(f"line_id {line.line_id!r} appears twice")
        seen.add(line.line_id)


def _shipments(plan: Plan | None, lines: Sequence[OrderLine], target: Target) -> tuple[RoutedShipment, ...]:
    if plan is None:
        return ()
    service = target.service.service_id if target.service else IN_STORE
    return tuple(
        RoutedShipment(
            location_id=offer.location_id,
            lines=tuple(lines[index] for index in indexes),
            carrier_service=IN_STORE if offer.parcels == 0 else service,
            earliest=offer.earliest,
            latest=offer.latest,
            cost_cents=offer.parcel_cents + offer.pick_cents * len(indexes),
            co2e_grams=offer.co2e_grams,
            km=offer.km,
        )
        for offer, indexes in plan.assignments
    )


def _candidates(
    verdicts: Mapping[str, Offer | Verdict],
    plan: Plan | None,
    lines: Sequence[OrderLine],
    rule_set: RuleSet,
    now: datetime,
    judge: NodeJudge,
) -> tuple[Candidate, ...]:
    shipped = {offer.location_id: indexes for offer, indexes in plan.assignments} if plan else {}
    fixed, ranks = judge.frame.fixed, judge.frame.ranks
    candidates = []
    for node_id, verdict in verdicts.items():
        known = fixed.get(node_id)
        if known is not None:  # the same whatever the order: made once per batch
            candidates.append(known)
            continue
        rank = ranks[node_id]
        if not isinstance(verdict, Offer):
            candidates.append(excluded_candidate(node_id, verdict, rank))
            continue
        serves = [index for index in range(len(lines)) if verdict.mask >> index & 1]
        figures = offer_components(verdict, serves, now)
        ids = ", ".join(lines[index].line_id for index in shipped.get(node_id, serves))
        reason = f"chosen: ships {ids}" if node_id in shipped else f"eligible for {ids}; not in the best plan"
        barred = judge.line_exclusions(node_id) if judge.barred else ()
        reason += f"; excluded by the order for {', '.join(barred)}" if barred else ""
        candidates.append(
            Candidate(
                location_id=node_id,
                chosen=node_id in shipped,
                excluded_by=None,
                reason=reason,
                lines=tuple(lines[i].line_id for i in serves),
                score=rule_set.weights.weigh(*figures.values()),
                components=figures,
                rank=rank,
            )
        )
    return tuple(candidates)


def _unrouted(
    lines: Sequence[OrderLine], plan: Plan | None, verdicts: Mapping[str, Offer | Verdict], judge: NodeJudge
) -> tuple[UnroutedLine, ...]:
    placed = {index for _, indexes in (plan.assignments if plan else ()) for index in indexes}
    unrouted = []
    for index, line in enumerate(lines):
        if index in placed:
            continue
        stocked = [node_id for node_id in verdicts if judge.context.mask(node_id) >> index & 1]
        blocked = [
            f"{node_id} ({_why(verdict)})"
            for node_id in stocked
            if not isinstance(verdict := verdicts[node_id], Offer) or not verdict.mask >> index & 1
        ]
        shared = [
            node_id
            for node_id in stocked
            if isinstance(verdict := verdicts[node_id], Offer)
            and any(index in quantities for _, quantities in verdict.bundles)
        ]
        if not stocked:
            reason = "no node has the ATP for the whole line"
        elif blocked and len(blocked) == len(stocked):
            reason = "every node with the ATP is filtered out: " + "; ".join(blocked)
        elif shared:
            reason = "the ATP for it is taken by the order's other lines of the same sku at " + ", ".join(
                shared
            )
        elif blocked:
            reason = "every node with the ATP is filtered out: " + "; ".join(blocked)
        else:
            reason = "the nodes that could serve it have no pick capacity left for it"
        unrouted.append(UnroutedLine(line, reason))
    return tuple(unrouted)


def _why(verdict: Offer | Verdict) -> str:
    return "excluded: by the order" if isinstance(verdict, Offer) else f"{verdict[0].value}: {verdict[1]}"


def _decision(
    ident: str,
    rule_set: RuleSet,
    delivery: Delivery,
    now: datetime,
    plan: Plan | None,
    shipments: tuple[RoutedShipment, ...],
    candidates: tuple[Candidate, ...],
    unrouted: tuple[UnroutedLine, ...],
    exact: bool,
) -> RoutingDecision:
    return RoutingDecision(
        decision_id=ident,
        rule_set=rule_set.name,
        rule_set_version=rule_set.version,
        method=delivery.method,
        decided_at=now,
        shipments=shipments,
        unrouted=unrouted,
        candidates=candidates,
        score=None if plan is None else plan.score,
        components={} if plan is None else dict(plan.components),
        search="exact" if exact else "greedy",
    )
