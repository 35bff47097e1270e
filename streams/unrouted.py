"""What routing could not place: backordered where the sku allows it, else unroutable (or, without
partial routing, the whole order released and unroutable)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from core.allocation import OrderLine, line_ids
from core.movements import Command, MovementResult, ReleaseAllocation
from core.network import Location
from core.order_types import PlannedShipment, RoutingResult
from core.promise_nodes import PromiseNetwork
from core.routing_outcome import with_unrouted, without_lines
from core.routing_types import Filter, UnroutedLine
from streams.routing_batch import GRANTED, Routed, allocation, backorder_node

BACKORDER_ROUND = 3  # allocation event ids of backorders use the round after the last routing round


class UnroutedLines:
    def __init__(
        self,
        apply: Callable[[Sequence[Command], int], list[MovementResult]],
        sla_ms: Callable[[Location], int],
        partial: bool,
    ) -> None:
        self._apply, self._sla_ms, self._partial = apply, sla_ms, partial

    def settle(self, prepared: PromiseNetwork, entry: Routed, now_ms: int) -> None:
        """Backorder what is unroutable where the sku allows it; all or nothing without `partial`. The
        last decision is rewritten to say why each line ended as it did."""
        if not entry.rounds:
            return
        unroutable = {line_id for _, r in entry.rounds for line_id in r.unroutable}
        if not unroutable:
            return
        reasons = {
            u.line.line_id: u for d, _ in entry.rounds for u in d.unrouted if u.line.line_id in unroutable
        }
        lines = [line for line in entry.request.lines if line.line_id in unroutable]
        backordered = self._backorder(prepared, lines, entry, now_ms)
        left = tuple(sorted(unroutable - {line.line_id for _, line in backordered}))
        if left and not self._partial:
            self._none(entry, backordered, [reasons[i] for i in left], now_ms)
            return
        decision, result = entry.rounds[-1]
        planned = result.shipments
        by_node: dict[str, list[OrderLine]] = defaultdict(list)
        for node, line in backordered:
            by_node[node.location_id].append(line)
        for location_id, waiting in sorted(by_node.items()):
            node = prepared.network.locations[location_id]
            planned += (PlannedShipment(location_id, tuple(waiting), self._sla_ms(node)),)
        explained = [
            UnroutedLine(line, f"{reasons[line.line_id].reason}; backordered at {node.location_id}")
            for node, line in backordered
        ]
        decision = with_unrouted(decision, [*explained, *(reasons[i] for i in left)])
        ids = tuple(line.line_id for _, line in backordered)
        entry.rounds[-1] = (decision, RoutingResult(decision.decision_id, planned, ids, left))
        for n, (earlier_decision, earlier) in enumerate(entry.rounds[:-1]):
            entry.rounds[n] = (earlier_decision, RoutingResult(earlier.decision_id, earlier.shipments))

    def _none(
        self,
        entry: Routed,
        backordered: Sequence[tuple[Location, OrderLine]],
        left: Sequence[UnroutedLine],
        now_ms: int,
    ) -> None:
        """All or nothing: every line placed is released; the last decision alone says why."""
        self._release_all(entry, [line for _, line in backordered], now_ms)
        missing = ", ".join(u.line.line_id for u in left)
        why = f"released: partial routing is off and {missing} could not be routed"
        placed = [line for _, r in entry.rounds for s in r.shipments for line in s.lines]
        placed += [line for _, line in backordered]
        decision = without_lines(entry.rounds[-1][0], {line.line_id: why for line in placed})
        decision = with_unrouted(decision, [*(UnroutedLine(line, why) for line in placed), *left])
        result = RoutingResult(decision.decision_id, (), unroutable=line_ids(entry.request.lines))
        entry.rounds = [(decision, result)]

    def _backorder(
        self, prepared: PromiseNetwork, lines: Sequence[OrderLine], entry: Routed, now_ms: int
    ) -> list[tuple[Location, OrderLine]]:
        """Allocates each line at its backorder node; the lines the store took (their sku allows it).

        Only a node that the last decision turned down for want of stock (or found eligible) may hold a
        backorder: a line no service can take to the customer is unroutable, not waiting for stock."""
        request = entry.request
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
            allocation(request, line, node.location_id, BACKORDER_ROUND, backorder=True)
            for node, line in placed
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

