"""One routing round's atomic steps: each chosen line takes its node's pick capacity, then its stock.

Capacity first (one round trip: streams.routing_capacity), then the lines granted are allocated (one
round trip: one Lua call per line, atomic for its sku, refusing what would oversell), then the lines
whose allocation was refused give their capacity back (a third round trip, only then). A line the
store says is allocated already (DUPLICATE: an earlier attempt at the batch allocated it) is
released (one more round trip) and its request takes fresh event ids for the next round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from core.allocation import OrderLine
from core.movements import Command, MovementResult, Outcome, ReleaseAllocation
from core.network import Network
from core.routing_types import RoutingDecision
from streams.routing_batch import RouteRequest, allocation
from streams.routing_capacity import BY_CAPACITY, BY_EARLIER_ATTEMPT, BY_STOCK, BatchCapacity, Refused

Apply = Callable[[Sequence[Command], int], list[MovementResult]]
Planned = tuple[int, OrderLine, str]  # (request index, line, location_id)


def allocate_round(
    apply: Apply,
    decisions: Mapping[int, RoutingDecision],
    requests: list[RouteRequest],
    capacity: BatchCapacity,
    network: Network,
    now_ms: int,
    round_number: int,
) -> dict[int, dict[str, Refused]]:
    """The lines refused, per request index: line_id -> (line, location, who refused it). `requests`
    is updated in place: a request whose lines were stale gets fresh event ids."""
    planned = [
        (i, line, shipment.location_id)
        for i, decision in decisions.items()
        for shipment in decision.shipments
        for line in shipment.lines
    ]
    refused: dict[int, dict[str, Refused]] = defaultdict(dict)
    kept = _take_capacity(planned, requests, capacity, network, refused)
    commands: list[Command] = [allocation(requests[i], line, loc, round_number) for i, line, loc in kept]
    results = apply(commands, now_ms) if commands else []
    stale: list[tuple[int, OrderLine]] = []
    returned: list[tuple[str, str, str]] = []
    for (i, line, location_id), result in zip(kept, results, strict=True):
        if result.outcome is Outcome.DUPLICATE:
            stale.append((i, line))
        if result.outcome is not Outcome.APPLIED:
            by = BY_EARLIER_ATTEMPT if result.outcome is Outcome.DUPLICATE else BY_STOCK
            refused[i][line.line_id] = (line, location_id, by)
            returned.append((location_id, requests[i].order.order_id, line.line_id))
    capacity.give_back(returned, network)
    if stale:
        _release_stale(apply, stale, requests, now_ms)
    return refused


def _take_capacity(
    planned: Sequence[Planned],
    requests: Sequence[RouteRequest],
    capacity: BatchCapacity,
    network: Network,
    refused: dict[int, dict[str, Refused]],
) -> list[Planned]:
    """The planned lines granted their node's capacity; the others are added to `refused`."""
    taken = capacity.take(
        [(loc, requests[i].order.order_id, line.line_id) for i, line, loc in planned], network
    )
    kept = []
    for (i, line, location_id), granted in zip(planned, taken, strict=True):
        if granted:
            kept.append((i, line, location_id))
        else:
            refused[i][line.line_id] = (line, location_id, BY_CAPACITY)
    return kept


def _release_stale(
    apply: Apply, stale: Sequence[tuple[int, OrderLine]], requests: list[RouteRequest], now_ms: int
) -> None:
    releases: list[Command] = [
        ReleaseAllocation(
            event_id=f"{requests[i].cause_event_id}:stale@{now_ms}:{line.line_id}",
            order_id=requests[i].order.order_id,
            line_id=line.line_id,
            sku=line.sku,
        )
        for i, line in stale
    ]
    apply(releases, now_ms)
    for i in dict.fromkeys(i for i, _ in stale):
        requests[i] = replace(requests[i], cause_event_id=f"{requests[i].cause_event_id}@{now_ms}")
