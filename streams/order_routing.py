"""Routing a batch of orders on live stock: plan, allocate atomically, plan again what lost a race.

Every order of the batch is routed (core.routing.route) on the ATP read once for the batch, less what
the orders before it in the batch took, and on the daily pick capacity left. Each chosen line then
takes its node's pick capacity and its stock (streams.routing_allocate: atomic steps, one round trip
each for the batch); a line whose allocation is refused gives its capacity back. Each round's
decision is rewritten to what was allocated (core.routing_outcome). A refused line (another worker
took the node's last capacity, or the units, between the read and the write) is routed again on a
fresh read, up to MAX_ROUNDS. A line the store says is allocated already
(DUPLICATE: an earlier attempt at the batch allocated it, in a worker that crashed or a save that
failed before the order was stored, perhaps at another node than this plan's) is released and routed
again under fresh event ids, so the stock held is always where the order says. Lines nothing can
serve are allocated at the backorder node (the nearest shipping warehouse) when their sku allows
backorder (the store's script decides), else they are unroutable; without `partial`, an order with an
unroutable line releases what it got and is wholly unroutable.
"""

from __future__ import annotations

from collections import ChainMap, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from core.allocation import OrderLine
from core.movements import Command, MovementResult
from core.network import Location, is_walk_in
from core.order_types import PlannedShipment, RoutingResult
from core.promise_nodes import PromiseNetwork, Timetable
from core.routing import route
from core.routing_outcome import lost_race, without_lines
from core.routing_rules import RoutingRules
from core.routing_types import RoutingDecision
from core.stock import SkuLocation
from streams.routing_allocate import allocate_round
from streams.routing_batch import (
    BatchViews,
    Routed,
    RouteRequest,
    RoutingStock,
    backorder_node,
    decision_id,
)
from streams.routing_capacity import BatchCapacity
from streams.unrouted import UnroutedLines

__all__ = [
    "MAX_ROUNDS",
    "BatchCapacity",
    "OrderRouter",
    "RouteRequest",
    "Routed",
    "RoutingStock",
    "backorder_node",
]

MAX_ROUNDS = 3


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
        self._unrouted = UnroutedLines(self._apply, sla_ms, partial)
        self._timetable: Timetable | None = None

    def route(
        self, requests: Sequence[RouteRequest], capacity: BatchCapacity, now_ms: int
    ) -> tuple[list[Routed], dict[str, int], list[MovementResult]]:
        """Each request routed and allocated, its lines' pick capacity taken from `capacity`; the order
        lines allocated per location; and every stock result (allocations, releases) for the
        availability changes to publish."""
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
        current = list(requests)  # a request whose lines an earlier attempt allocated gets fresh ids
        pending = {i: request.lines for i, request in enumerate(current) if request.lines}
        used: dict[str, int] = defaultdict(int)
        for round_number in range(MAX_ROUNDS):
            if not pending:
                break
            views = self._views(prepared, [current[i] for i in pending], capacity, timetable)
            decisions = {
                i: self._plan(prepared, current[i], lines, views, now, round_number)
                for i, lines in pending.items()
            }
            refused = allocate_round(
                self._apply, decisions, current, capacity, prepared.network, now_ms, round_number
            )
            last = round_number == MAX_ROUNDS - 1
            pending = {}
            for i, planned in decisions.items():
                lost = refused.get(i, {})
                why = {line_id: lost_race(line_id, loc, by, last) for line_id, (_, loc, by) in lost.items()}
                decision = without_lines(planned, why)  # what was allocated, and why the rest was not
                routed[i].rounds.append(
                    (decision, self._result(prepared, decision, set(lost), used, routed[i], last))
                )
                if lost and not last:
                    pending[i] = tuple(line for line, _, _ in lost.values())
        for entry, request in zip(routed, current, strict=True):
            entry.request = request  # its backorders take the same fresh ids as its last round
            self._unrouted.settle(prepared, entry, now_ms)
        return routed, dict(used), self._results

    def _apply(self, commands: Sequence[Command], now_ms: int) -> list[MovementResult]:
        results = self._stock.apply(commands, now_ms)
        self._results += results
        return results

    def _views(
        self,
        prepared: PromiseNetwork,
        requests: Sequence[RouteRequest],
        capacity: BatchCapacity,
        timetable: Timetable,
    ) -> BatchViews:
        skus = sorted({line.sku for request in requests for line in request.lines})
        online, walk_in = self._stock.atp_views(skus)
        carts = sorted({(r.cart_id, line.sku) for r in requests if r.cart_id for line in r.lines})
        held = self._stock.cart_holds(carts) if carts else {}
        return BatchViews(online, walk_in, capacity.left(prepared.network), timetable, held)

    def _plan(
        self,
        prepared: PromiseNetwork,
        request: RouteRequest,
        lines: tuple[OrderLine, ...],
        views: BatchViews,
        now: datetime,
        round_number: int,
    ) -> RoutingDecision:
        base = views.walk_in if is_walk_in(request.channel) else views.online
        atp: Mapping[SkuLocation, int] = base
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
            prepared,
            lines,
            request.delivery,
            now,
            atp,
            rule_set,
            capacity_left=views.capacity_left,
            excluded=excluded,
            decision_id=decision_id(request, round_number),
            timetable=views.timetable,
        )
        for shipment in decision.shipments:
            views.take(shipment.location_id, shipment.lines)
        return decision

    def _result(
        self,
        prepared: PromiseNetwork,
        decision: RoutingDecision,
        lost: set[str],
        used: dict[str, int],
        entry: Routed,
        last: bool,
    ) -> RoutingResult:
        """The result of a decision as it turned out (lost lines taken out): its shipments, and as
        unroutable what it could not place (the lost lines too once no round is left)."""
        shipments = []
        for shipment in decision.shipments:
            location = prepared.network.locations[shipment.location_id]
            shipments.append(PlannedShipment(shipment.location_id, shipment.lines, self._sla_ms(location)))
            used[shipment.location_id] += len(shipment.lines)
            entry.shipped_by[(decision.decision_id, shipment.location_id)] = shipment
        unroutable = tuple(u.line.line_id for u in decision.unrouted if last or u.line.line_id not in lost)
        return RoutingResult(decision.decision_id, tuple(shipments), unroutable=unroutable)

