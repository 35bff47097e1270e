"""Routing a batch of orders on live stock: plan, allocate atomically, plan again what lost a race.

Every order of the batch is routed (core.routing.route) on the ATP read once for the batch, less what
the orders before it in the batch took, and on the daily pick capacity left. All chosen lines are
then allocated in one store round trip: one Lua call per line, atomic for its sku, refusing what
would oversell. A refused line (another worker or a sale took the units between the read and the
write) is routed again on a fresh read, up to MAX_ROUNDS. Lines nothing can serve are allocated at
the backorder node (the nearest shipping warehouse) when their sku allows backorder (the store's
script decides), else they are unroutable; without `partial`, an order with an unroutable line
releases what it got and is wholly unroutable.
"""

from __future__ import annotations

import hashlib
from collections import ChainMap, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from core.allocation import OrderLine
from core.geo import distance_km
from core.movements import Allocate, Command, MovementResult, Outcome, ReleaseAllocation
from core.network import Location, LocationKind, is_walk_in
from core.order_types import Order, PlannedShipment, RoutingResult
from core.promise_nodes import PromiseNetwork, Timetable, place_of
from core.routing import route
from core.routing_rules import RoutingRules
from core.routing_types import Delivery, Filter, RoutedShipment, RoutingDecision

MAX_ROUNDS = 3
GRANTED = (Outcome.APPLIED, Outcome.DUPLICATE)
Place = tuple[str, str]  # (sku, location_id)


class RoutingStock(Protocol):
    def atp_views(self, skus: Sequence[str]) -> tuple[dict[Place, int], dict[Place, int]]:
        """(online ATP, walk-in ATP) per (sku, location) of the skus."""
        ...

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]: ...
    def cart_holds(self, carts: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]: ...


@dataclass(frozen=True, slots=True)
class RouteRequest:
    order: Order  # as it stands before this routing
    lines: tuple[OrderLine, ...]  # the lines to place now
    delivery: Delivery
    strategy: str | None
    cart_id: str | None
    channel: str | None
    cause_event_id: str


@dataclass(slots=True)
class Routed:
    """What routing did for one request: a decision and the result the lifecycle applies, per round."""

    request: RouteRequest
    rounds: list[tuple[RoutingDecision, RoutingResult]] = field(default_factory=list)
    shipped_by: dict[tuple[str, str], RoutedShipment] = field(default_factory=dict)  # (decision, loc)


@dataclass(slots=True)
class _Views:
    """The batch's stock and capacity, less what its earlier orders took."""

    online: dict[Place, int]
    walk_in: dict[Place, int]
    capacity_left: dict[str, int | None]
    timetable: Timetable
    held: dict[tuple[str, str], tuple[str, int]]  # (cart, sku) -> (location, quantity): the orders' holds

    def take(self, location_id: str, lines: Sequence[OrderLine]) -> None:
        for line in lines:
            for view in (self.online, self.walk_in):
                view[(line.sku, location_id)] = view.get((line.sku, location_id), 0) - line.quantity
        left = self.capacity_left.get(location_id)
        if left is not None:
            self.capacity_left[location_id] = left - len(lines)


class OrderRouter:
    def __init__(
        self,
        stock: RoutingStock,
        prepared: Callable[[], PromiseNetwork],
        rules: Callable[[], RoutingRules],
        sla_ms: Callable[[Location], int],
        partial: bool = True,
    ) -> None:
        self._stock, self._prepared, self._rules, self._sla_ms = stock, prepared, rules, sla_ms
        self._partial = partial
        self._timetable: Timetable | None = None

    def route(
        self, requests: Sequence[RouteRequest], capacity_used: Mapping[str, int], now_ms: int
    ) -> tuple[list[Routed], dict[str, int], list[MovementResult]]:
        """Each request routed and allocated; the order lines allocated per location (capacity); and
        every stock result (allocations, releases) for the availability changes to publish."""
        self._results: list[MovementResult] = []
        # Decided at the start of the minute: every batch of that minute shares one Timetable (each
        # node's ready time and delivery dates), which would otherwise be recomputed per batch, the
        # main cost of the small batches of a quiet feed. A cut-off is thus seen up to 59 s late.
        prepared = self._prepared()
        now = datetime.fromtimestamp(now_ms // 60_000 * 60, UTC)
        if self._timetable is None or not self._timetable.fits(prepared, now):
            self._timetable = Timetable(prepared, now)
        timetable = self._timetable
        routed = [Routed(request) for request in requests]
        pending = {i: request.lines for i, request in enumerate(requests) if request.lines}
        used: dict[str, int] = defaultdict(int)
        for round_number in range(MAX_ROUNDS):
            if not pending:
                break
            views = self._views(prepared, [requests[i] for i in pending], capacity_used, used, timetable)
            decisions = {
                i: self._plan(prepared, requests[i], lines, views, now, round_number)
                for i, lines in pending.items()
            }
            refused = self._allocate(decisions, requests, now_ms, round_number)
            last = round_number == MAX_ROUNDS - 1
            pending = {}
            for i, decision in decisions.items():
                lost = refused.get(i, [])
                result = self._result(prepared, decision, lost, used, routed[i], last)
                if lost and not last:
                    pending[i] = tuple(lost)
                routed[i].rounds.append((decision, result))
        for entry in routed:
            self._settle_unrouted(prepared, entry, now_ms)
        return routed, dict(used), self._results

    def _apply(self, commands: Sequence[Command], now_ms: int) -> list[MovementResult]:
        results = self._stock.apply(commands, now_ms)
        self._results += results
        return results

    def _views(
        self,
        prepared: PromiseNetwork,
        requests: Sequence[RouteRequest],
        capacity_used: Mapping[str, int],
        used: Mapping[str, int],
        timetable: Timetable,
    ) -> _Views:
        skus = sorted({line.sku for request in requests for line in request.lines})
        online, walk_in = self._stock.atp_views(skus)
        capacity: dict[str, int | None] = {}
        for node in prepared.network.locations.values():
            limit = node.daily_pick_capacity
            taken = capacity_used.get(node.location_id, 0) + used.get(node.location_id, 0)
            capacity[node.location_id] = None if limit is None else max(0, limit - taken)
        carts = sorted({(r.cart_id, line.sku) for r in requests if r.cart_id for line in r.lines})
        held = self._stock.cart_holds(carts) if carts else {}
        return _Views(online, walk_in, capacity, timetable, held)

    def _plan(
        self,
        prepared: PromiseNetwork,
        request: RouteRequest,
        lines: tuple[OrderLine, ...],
        views: _Views,
        now: datetime,
        round_number: int,
    ) -> RoutingDecision:
        base = views.walk_in if is_walk_in(request.channel) else views.online
        atp: Mapping[Place, int] = base
        if request.cart_id:  # the cart's own holds are the order's: count them as available
            extra = {
                (sku, location): base.get((sku, location), 0) + quantity
                for (cart, sku), (location, quantity) in views.held.items()
                if cart == request.cart_id and location
            }
            atp = ChainMap(extra, base)
        excluded = {line.line_id: request.order.rejected_by.get(line.line_id, frozenset()) for line in lines}
        rule_set = self._rules().for_strategy(request.strategy)
        decision = route(
            prepared, lines, request.delivery, now, atp, rule_set, views.capacity_left, excluded,
            decision_id=decision_id(request, round_number), timetable=views.timetable,
        )  # fmt: skip
        for shipment in decision.shipments:
            views.take(shipment.location_id, shipment.lines)
        return decision

    def _allocate(
        self,
        decisions: Mapping[int, RoutingDecision],
        requests: Sequence[RouteRequest],
        now_ms: int,
        round_number: int,
    ) -> dict[int, list[OrderLine]]:
        """Allocates every chosen line in one round trip; the lines refused, per request."""
        commands: list[Command] = []
        owners: list[tuple[int, OrderLine]] = []
        for i, decision in decisions.items():
            request = requests[i]
            for shipment in decision.shipments:
                for line in shipment.lines:
                    commands.append(_allocate(request, line, shipment.location_id, round_number))
                    owners.append((i, line))
        refused: dict[int, list[OrderLine]] = defaultdict(list)
        results = self._apply(commands, now_ms) if commands else []
        for (i, line), result in zip(owners, results, strict=True):
            if result.outcome not in GRANTED:
                refused[i].append(line)
        return refused

    def _result(
        self,
        prepared: PromiseNetwork,
        decision: RoutingDecision,
        lost: Sequence[OrderLine],
        used: dict[str, int],
        entry: Routed,
        last: bool,
    ) -> RoutingResult:
        lost_ids = {line.line_id for line in lost}
        shipments = []
        for shipment in decision.shipments:
            kept = tuple(line for line in shipment.lines if line.line_id not in lost_ids)
            if kept:
                location = prepared.network.locations[shipment.location_id]
                shipments.append(PlannedShipment(shipment.location_id, kept, self._sla_ms(location)))
                used[shipment.location_id] += len(kept)
                entry.shipped_by[(decision.decision_id, shipment.location_id)] = shipment
        unroutable = tuple(u.line.line_id for u in decision.unrouted)
        if last:
            unroutable += tuple(sorted(lost_ids))
        return RoutingResult(decision.decision_id, tuple(shipments), unroutable=unroutable)

    def _settle_unrouted(self, prepared: PromiseNetwork, entry: Routed, now_ms: int) -> None:
        """Backorder what is unroutable where the sku allows it; all or nothing without `partial`."""
        if not entry.rounds:
            return
        decision, result = entry.rounds[-1]
        unroutable = {line_id for _, r in entry.rounds for line_id in r.unroutable}
        if not unroutable:
            return
        request = entry.request
        backordered = self._backorder(
            [line for line in request.lines if line.line_id in unroutable], entry, now_ms
        )
        left = tuple(sorted(unroutable - {line.line_id for _, line in backordered}))
        if left and not self._partial:
            self._release_all(entry, [line for _, line in backordered], now_ms)
            entry.rounds = [
                (decision, RoutingResult(decision.decision_id, (), unroutable=_ids(request.lines)))
            ]
            return
        planned = result.shipments
        by_node: dict[str, list[OrderLine]] = defaultdict(list)
        for node, line in backordered:
            by_node[node.location_id].append(line)
        for location_id, lines in sorted(by_node.items()):
            node = prepared.network.locations[location_id]
            planned += (PlannedShipment(location_id, tuple(lines), self._sla_ms(node)),)
        ids = tuple(line.line_id for _, line in backordered)
        entry.rounds[-1] = (decision, RoutingResult(decision.decision_id, planned, ids, left))
        for n, (earlier_decision, earlier) in enumerate(entry.rounds[:-1]):
            entry.rounds[n] = (earlier_decision, RoutingResult(earlier.decision_id, earlier.shipments))

    def _backorder(
        self, lines: Sequence[OrderLine], entry: Routed, now_ms: int
    ) -> list[tuple[Location, OrderLine]]:
        """Allocates each line at its backorder node; the lines the store took (their sku allows it).

        Only a node that the last decision turned down for want of stock (or found eligible) may hold a
        backorder: a line no service can take to the customer is unroutable, not waiting for stock."""
        prepared, request = self._prepared(), entry.request
        verdicts = {c.location_id: c.excluded_by for c in entry.rounds[-1][0].candidates}
        placed = [
            (node, line)
            for line in lines
            if (
                node := backorder_node(
                    prepared, request.delivery, request.order.rejected_by.get(line.line_id)
                )
            )
            and verdicts.get(node.location_id) in (None, Filter.ATP)
        ]
        if not placed:
            return []
        commands: list[Command] = [
            _allocate(request, line, node.location_id, MAX_ROUNDS) for node, line in placed
        ]
        results = self._apply(commands, now_ms)
        return [pair for pair, r in zip(placed, results, strict=True) if r.outcome in GRANTED]

    def _release_all(self, entry: Routed, backordered: Sequence[OrderLine], now_ms: int) -> None:
        order_id, cause = entry.request.order.order_id, entry.request.cause_event_id
        lines = [line for _, r in entry.rounds for s in r.shipments for line in s.lines] + list(backordered)
        releases: list[Command] = [
            ReleaseAllocation(f"{cause}:all-or-nothing:{line.line_id}", order_id, line.line_id, line.sku)
            for line in lines
        ]
        if releases:
            self._apply(releases, now_ms)


def backorder_node(
    prepared: PromiseNetwork, delivery: Delivery, excluded: frozenset[str] | None = None
) -> Location | None:
    """Where a backordered line waits for stock: the shipping warehouse nearest the destination that
    has not rejected the line."""
    warehouses = [
        loc
        for loc in prepared.shippers
        if loc.kind is LocationKind.WAREHOUSE and loc.location_id not in (excluded or frozenset())
    ]
    if not warehouses:
        return None
    return min(
        warehouses, key=lambda loc: (distance_km(place_of(loc), delivery.destination), loc.location_id)
    )


def _allocate(request: RouteRequest, line: OrderLine, location_id: str, round_number: int) -> Allocate:
    # One event id per line and round: lines of the same sku must not dedupe each other.
    event_id = f"{request.cause_event_id}:alloc:{round_number}:{line.line_id}"
    return Allocate(
        event_id, request.order.order_id, line.line_id, line.sku, location_id, line.quantity,
        request.cart_id, request.channel,
    )  # fmt: skip


def decision_id(request: RouteRequest, round_number: int) -> str:
    """One id per order, cause and round: the same event replayed decides under the same id, and two
    orders never share one (an id derived from the inputs alone would, for equal carts in one minute)."""
    key = f"{request.order.order_id}|{request.cause_event_id}|{round_number}".encode()
    return "dec-" + hashlib.blake2b(key, digest_size=10).hexdigest()


def _ids(lines: Sequence[OrderLine]) -> tuple[str, ...]:
    return tuple(line.line_id for line in lines)
