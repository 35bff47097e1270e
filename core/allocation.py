"""Direct allocation of orders (before routing exists): where an order can go, what it asks, its status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.movements import Allocate, Outcome
from core.network import Capability, LocationKind, Network


class OrderStatus(StrEnum):
    ROUTED = "ROUTED"
    PARTIALLY_ROUTED = "PARTIALLY_ROUTED"
    BACKORDERED = "BACKORDERED"
    UNFULFILLABLE = "UNFULFILLABLE"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AllocatedLine:
    """A line of an order as allocated: the order book keeps these for shipments and cancellations."""

    line_id: str
    sku: str
    location_id: str
    quantity: int


def direct_location(pickup_location_id: str | None, network: Network) -> str | None:
    """The pickup store of a click & collect order, else the network's only shipping warehouse;
    None when the order needs routing (several candidates)."""
    if pickup_location_id is not None:
        return pickup_location_id
    warehouses = [
        loc.location_id
        for loc in network.locations.values()
        if loc.kind is LocationKind.WAREHOUSE and Capability.SHIP in loc.capabilities
    ]
    return warehouses[0] if len(warehouses) == 1 else None


def allocations(
    event_id: str,
    order_id: str,
    cart_id: str | None,
    location_id: str,
    lines: Sequence[OrderLine],
    channel: str | None = None,
) -> list[Allocate]:
    """One Allocate per line at `location_id`; with the cart, its holds become the order's. A walk-in
    channel may use the units a store protects from online orders."""
    return [
        Allocate(event_id, order_id, line.line_id, line.sku, location_id, line.quantity, cart_id, channel)
        for line in lines
    ]


def placed_status(outcomes: Sequence[Outcome]) -> OrderStatus:
    """ROUTED when every line was allocated (or already was), UNFULFILLABLE when none, else partial."""
    allocated = sum(1 for outcome in outcomes if outcome in (Outcome.APPLIED, Outcome.DUPLICATE))
    if allocated == len(outcomes):
        return OrderStatus.ROUTED
    return OrderStatus.UNFULFILLABLE if allocated == 0 else OrderStatus.PARTIALLY_ROUTED
