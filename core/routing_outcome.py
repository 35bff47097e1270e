"""A routing decision as it turned out: what the allocation refused, and what was done with the rest.

The router decides on a stock read, then allocates; a decision published as planned would contradict
the outcome whenever a line lost a race (another order or worker took the units or the node's last
pick capacity meanwhile). These pure functions rewrite the decision so that its shipments are exactly
what was allocated, each line taken out says why (which line, refused by whom, what happens next), and
the candidates' `chosen` flags follow the shipments left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from core.routing_types import Candidate, RoutingDecision, UnroutedLine


def without_lines(decision: RoutingDecision, why: Mapping[str, str]) -> RoutingDecision:
    """The decision less the lines of `why` (line_id -> reason), each listed as unrouted with its
    reason; unchanged when `why` is empty."""
    if not why:
        return decision
    shipments = []
    taken_out: list[UnroutedLine] = []
    for shipment in decision.shipments:
        kept = tuple(line for line in shipment.lines if line.line_id not in why)
        taken_out += [UnroutedLine(line, why[line.line_id]) for line in shipment.lines if line.line_id in why]
        if kept:
            shipments.append(replace(shipment, lines=kept))
    listed = {item.line.line_id for item in taken_out}
    unrouted = tuple(
        UnroutedLine(item.line, why[item.line.line_id]) if item.line.line_id in why else item
        for item in decision.unrouted
        if item.line.line_id not in listed
    )
    shipping = {shipment.location_id for shipment in shipments}
    candidates = tuple(_candidate(c, c.location_id in shipping, why) for c in decision.candidates)
    return replace(
        decision, shipments=tuple(shipments), unrouted=unrouted + tuple(taken_out), candidates=candidates
    )


def _candidate(candidate: Candidate, chosen: bool, why: Mapping[str, str]) -> Candidate:
    if not candidate.chosen:
        return candidate
    lost = [line_id for line_id in candidate.lines if line_id in why]
    reason = candidate.reason + (f"; then lost {', '.join(lost)}" if lost else "")
    return replace(candidate, chosen=chosen, reason=reason)


def lost_race(line_id: str, location_id: str, refused_by: str, last: bool) -> str:
    """Why a line planned at `location_id` is not there: `refused_by` says who refused it."""
    then = "no round left: unroutable" if last else "routed again on a fresh read"
    return f"lost a race for {line_id} at {location_id}: refused by {refused_by}; {then}"


def with_unrouted(decision: RoutingDecision, items: Sequence[UnroutedLine]) -> RoutingDecision:
    """The decision listing these lines as unrouted with these reasons (an entry of theirs replaced):
    so that the order's last decision says why each line ended as it did."""
    if not items:
        return decision
    given = {item.line.line_id: item for item in items}
    kept = tuple(item for item in decision.unrouted if item.line.line_id not in given)
    return replace(decision, unrouted=kept + tuple(given.values()))
