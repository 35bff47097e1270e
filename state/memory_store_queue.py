"""The in-memory store queue reader (core.store_queue.StoreQueueReader) over the in-memory order
store: the fake of state/store_queue.AsyncRedisStoreQueue for the API's tests."""

from __future__ import annotations

from core.store_queue import OpenShipment
from state.memory_order_store import InMemoryOrderStore
from state.store_queue_entries import open_entry, with_promise


class InMemoryStoreQueue:
    def __init__(self, orders: InMemoryOrderStore) -> None:
        self._orders = orders

    async def open_shipments(self, location_id: str, limit: int = 500) -> list[OpenShipment]:
        entries = self._orders.store_queue(location_id, limit)
        found = self._orders.load([order_id for order_id, _ in entries])
        open_now = [
            (found[order_id], shipment)
            for order_id, shipment_id in entries
            if (shipment := open_entry(found[order_id], shipment_id, location_id))
        ]
        decisions = self._orders.decisions([s.decision_id for _, s in open_now])
        return [with_promise(order, s, decisions.get(s.decision_id)) for order, s in open_now]

    async def shipment(self, order_id: str, shipment_id: str) -> OpenShipment | None:
        found = self._orders.load([order_id]).get(order_id)
        shipment = found.shipment(shipment_id) if found is not None else None
        if found is None or shipment is None:
            return None
        decisions = self._orders.decisions([shipment.decision_id])
        return with_promise(found, shipment, decisions.get(shipment.decision_id))

    async def capacity_used(self, location_id: str, day: str) -> int:
        return self._orders.capacity_used({location_id: day})[location_id]

    async def ping(self) -> bool:
        return True
