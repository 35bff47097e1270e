"""The values of routing one batch: the requests, what was routed, the batch's stock view, ids."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.allocation import OrderLine
from core.geo import distance_km
from core.movements import Allocate, Command, MovementResult, Outcome
from core.network import Location, LocationKind
from core.order_types import Order, RoutingResult
from core.promise_nodes import PromiseNetwork, Timetable, place_of
from core.routing_types import Delivery, RoutedShipment, RoutingDecision
from core.stock import SkuLocation

GRANTED = (Outcome.APPLIED, Outcome.DUPLICATE)


class RoutingStock(Protocol):
    def atp_views(self, skus: Sequence[str]) -> tuple[dict[SkuLocation, int], dict[SkuLocation, int]]:
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
class BatchViews:
    """The batch's stock and capacity, less what its earlier orders took."""

    online: dict[SkuLocation, int]
    walk_in: dict[SkuLocation, int]
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


def allocation(
    request: RouteRequest, line: OrderLine, location_id: str, round_number: int, backorder: bool = False
) -> Allocate:
    # One event id per line and round: lines of the same sku must not dedupe each other.
    event_id = f"{request.cause_event_id}:alloc:{round_number}:{line.line_id}"
    return Allocate(
        event_id=event_id,
        order_id=request.order.order_id,
        line_id=line.line_id,
        sku=line.sku,
        location_id=location_id,
        quantity=line.quantity,
        cart_id=request.cart_id,
        channel=request.channel,
        backorder=backorder,
    )


def decision_id(request: RouteRequest, round_number: int) -> str:
    """One id per order, cause and round: the same event replayed decides under the same id, and two
    orders never share one (an id derived from the inputs alone would, for equal carts in one minute)."""
    key = f"{request.order.order_id}|{request.cause_event_id}|{round_number}".encode()
    return "dec-" + hashlib.blake2b(key, digest_size=10).hexdigest()
