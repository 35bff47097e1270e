"""A store's queue, as the store associate's screen reads it: the shipments open at one location.

Open at the store: routed there, still serving lines, not yet shipped or collected (REQUESTED,
ACCEPTED, PICKED, READY_FOR_PICKUP), of an order that is not cancelled. The worker keeps an index of
them per location (state/order_keys); the API reads it through `StoreQueueReader`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.allocation import OrderStatus
from core.order_types import Order, Shipment, ShipmentStatus

OPEN_AT_STORE = frozenset(
    {
        ShipmentStatus.REQUESTED,
        ShipmentStatus.ACCEPTED,
        ShipmentStatus.PICKED,
        ShipmentStatus.READY_FOR_PICKUP,
    }
)


def open_at_store(order: Order, shipment: Shipment) -> bool:
    """True while the store still has something to do with this shipment."""
    return order.status is not OrderStatus.CANCELLED and shipment.live and shipment.status in OPEN_AT_STORE


@dataclass(frozen=True, slots=True)
class OpenShipment:
    """A shipment with its order, and the customer's promised dates from the routing decision that
    placed it (None when the decision is unknown or has expired)."""

    order: Order
    shipment: Shipment
    promised_earliest_ms: int | None = None
    promised_latest_ms: int | None = None


class StoreQueueReader(Protocol):
    """What the store endpoints read (state/store_queue.py on Redis and on a Redis Cluster)."""

    async def open_shipments(self, location_id: str, limit: int = 500) -> list[OpenShipment]:
        """The shipments open at the location (see `open_at_store`), at most `limit`, in no set order."""
        ...

    async def shipment(self, order_id: str, shipment_id: str) -> OpenShipment | None:
        """That shipment of that order, whatever its state; None for an unknown order or shipment."""
        ...

    async def capacity_used(self, location_id: str, day: str) -> int:
        """Lines picked at the location on `day` ("YYYY-MM-DD", its local date): 0 when none."""
        ...

    async def ping(self) -> bool:
        """True when the store answers."""
        ...
