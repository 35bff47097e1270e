"""One batch of order work: lifecycle steps, their effects, routing, and what to save and publish.

The events of a batch are taken in order. Each changes its order through a pure lifecycle step
(core.order_lifecycle) whose effects are collected: stock commands (releases, shipments, stock
corrections), lines to route, statuses to publish. Before routing, the stock commands collected so
far are applied (a released line is available again to the re-route); a later event for an order
that waits for routing first routes what waits. At the end every order touched is saved with the
decisions in one round trip (pick capacity is taken as lines are routed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from core.allocation import line_ids
from core.geo import Place
from core.movements import Command, MovementResult, ReleaseAllocation, ShipAllocation
from core.order_lifecycle import apply_routing
from core.order_types import CorrectStock, Order, PublishStatus, Reroute, RoutingResult, Step
from core.routing_types import Delivery, DeliveryMethod, decision_dict
from state.order_store import OrderWrite
from state.pick_capacity import CapacityClaim, CapacityReply
from streams.order_metrics import OrderMetrics
from streams.order_routing import BatchCapacity, OrderRouter, Routed, RouteRequest, RoutingStock
from streams.records import OutRecord
from topics.order_outputs import OrderOutputs

MAX_PASSES = 4  # apply / route rounds per batch: a routed-then-cancelled order needs a second one


class OrderStore(Protocol):
    def load(self, order_ids: Sequence[str]) -> dict[str, Order]: ...
    def save(self, writes: Sequence[OrderWrite], decisions: Sequence[Mapping[str, Any]] = ()) -> None: ...
    def capacity_used(self, days: Mapping[str, str]) -> dict[str, int]: ...
    def load_with_capacity(
        self, order_ids: Sequence[str], days: Mapping[str, str]
    ) -> tuple[dict[str, Order], dict[str, int]]: ...
    def take_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]: ...
    def give_back_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]: ...


class OrderWork:
    def __init__(
        self,
        *,
        stock: RoutingStock,
        orders: OrderStore,
        router: OrderRouter,
        outputs: OrderOutputs,
        metrics: OrderMetrics,
        days: Mapping[str, str],
        now_ms: int,
    ) -> None:
        self._stock, self._store, self._router, self._outputs = stock, orders, router, outputs
        # location_id -> its local date now: the day its pick capacity is counted in
        self._metrics, self.days, self.now_ms = metrics, days, now_ms
        self.orders: dict[str, Order] = {}
        self.before: dict[str, Order | None] = {}
        self.outputs: list[OutRecord] = []
        self.results: list[MovementResult] = []  # every stock result of the batch, for availability changes
        self._commands: list[Command] = []
        self._requests: list[RouteRequest] = []
        self._waiting: set[str] = set()  # orders with lines waiting for routing
        self._decisions: list[Mapping[str, Any]] = []
        self._capacity: BatchCapacity | None = None  # lines picked today: read with the orders, then taken

    def load(self, order_ids: Sequence[str]) -> None:
        """The batch's orders, and the day's capacity used (read now: one round trip for both)."""
        found, used = self._store.load_with_capacity(order_ids, self.days)
        self._capacity = BatchCapacity(self._store, self.days, used)
        self.orders.update(found)

    def order(self, order_id: str) -> Order | None:
        if order_id in self._waiting:
            self.flush()
        return self.orders.get(order_id)

    def add_order(self, order: Order, request: RouteRequest | None) -> None:
        """A new order; routed at the next flush (or put aside at once when it cannot be routed)."""
        self.before.setdefault(order.order_id, None)
        self.orders[order.order_id] = order
        if request is not None:
            self._requests.append(request)
            self._waiting.add(order.order_id)

    def step(self, step: Step) -> None:
        """Records a lifecycle step: the new order, and each of its effects queued in order."""
        order = step.order
        self.before.setdefault(order.order_id, self.orders.get(order.order_id))
        self.orders[order.order_id] = order
        for effect in step.effects:
            if isinstance(effect, ReleaseAllocation | ShipAllocation):
                self._commands.append(effect)
            elif isinstance(effect, CorrectStock):
                self._commands.append(effect.command())
            elif isinstance(effect, Reroute):
                self._reroute(order, effect)
            elif isinstance(effect, PublishStatus):
                self._publish(order, effect)

    def _reroute(self, order: Order, effect: Reroute) -> None:
        self._metrics.rerouted_lines.labels(effect.reason).inc(len(effect.lines))
        lines = tuple(line.line for line in effect.lines)
        delivery = delivery_of(order)
        if delivery is None:  # nowhere to send it: the lines are unroutable
            result = RoutingResult(f"{effect.event_id}:unroutable", (), unroutable=line_ids(lines))
            self.step(apply_routing(order, result, self.now_ms))
            return
        context = order.context
        self._requests.append(
            RouteRequest(order, lines, delivery, context.strategy, None, context.channel, effect.event_id)
        )
        self._waiting.add(order.order_id)

    def _publish(self, order: Order, effect: PublishStatus) -> None:
        cause = effect.event_id.removesuffix(":status")
        self._metrics.statuses.labels(effect.status.value).inc()
        record = self._outputs.order_status(order, effect.status, cause, self.now_ms, effect.reason)
        self.outputs.append(record)

    def flush(self) -> None:
        """Applies the stock commands, then routes what waits, until nothing is left (bounded)."""
        for _ in range(MAX_PASSES):
            if not self._commands and not self._requests:
                return
            commands, self._commands = self._commands, []
            if commands:
                self.results += self._stock.apply(commands, self.now_ms)
            requests, self._requests = self._requests, []
            self._waiting.clear()
            if requests:
                self._route(requests)

    def _route(self, requests: list[RouteRequest]) -> None:
        # A batch retried after a crash or a failed save may find lines an earlier attempt allocated
        # and never saved: the router releases and re-plans them (its DUPLICATE rule).
        current = [replace(request, order=self.orders[request.order.order_id]) for request in requests]
        if self._capacity is None:
            self._capacity = BatchCapacity(self._store, self.days, self._store.capacity_used(self.days))
        with self._metrics.routing_seconds.time():
            routed, _, results = self._router.route(current, self._capacity, self.now_ms)
        self.results += results
        for entry in routed:
            self._settle(entry)

    def _settle(self, entry: Routed) -> None:
        order_id = entry.request.order.order_id
        for decision, result in entry.rounds:
            before = self.orders[order_id]
            self.step(apply_routing(before, result, self.now_ms))
            after = self.orders[order_id]
            known = {s.shipment_id for s in before.shipments}
            for shipment in after.shipments:
                if shipment.shipment_id not in known:
                    routed = entry.shipped_by.get((decision.decision_id, shipment.location_id))
                    record = self._outputs.fulfillment_request(
                        after, shipment, routed, after.method, self.now_ms
                    )
                    self.outputs.append(record)
            strategy = entry.request.strategy
            as_dict = decision_dict(decision, strategy)
            self.outputs.append(
                self._outputs.routing_decision(order_id, decision, strategy, self.now_ms, as_dict)
            )
            self._decisions.append({**as_dict, "order_id": order_id})

    def finish(self) -> None:
        """Everything applied and routed, then every order touched saved in one round trip."""
        self.flush()
        writes = [OrderWrite(before, self.orders[order_id]) for order_id, before in self.before.items()]
        if writes or self._decisions:
            self._store.save(writes, self._decisions)


def delivery_of(order: Order) -> Delivery | None:
    """Where a re-route sends the order's lines: what it asked when placed."""
    context = order.context
    if context.lat is None or context.lon is None:
        return None
    place = Place(context.lat, context.lon, context.timezone or "UTC")
    return Delivery(DeliveryMethod(order.method), place, context.pickup_location_id)

