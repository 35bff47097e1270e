"""What `omnistock rebuild` takes from the order topics: shipped units, open allocations; never a route.

Each fulfillment request (`fulfillment.requests.v1`, the worker's own output) allocated its lines at
a node; SHIPPED / COLLECTED took them out of stock; REJECTED, a node's CANCELLED, a later request for
the same line (a re-route) or the order's CANCELLED released them. Replayed in the order the broker
recorded them, these give back the stock shipped and every allocation still open, so ATP does not
oversell units promised to open orders. Nothing is routed and nothing is produced. Requests of orders
whose PLACED event is past the group's committed offset are skipped: the workers route those again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.movements import Allocate, HoldCommand, ReleaseAllocation, ShipAllocation
from topics.catalog import FULFILLMENT_REQUESTS, ORDERS

SHIPPING = frozenset({"SHIPPED", "COLLECTED"})
RELEASING = frozenset({"REJECTED", "CANCELLED"})
Line = tuple[str, str, int]  # line_id, sku, quantity


@dataclass(slots=True)
class OrderReplay:
    """The allocation commands of each order-side event, in the order they are fed."""

    placed: set[str] = field(default_factory=set)
    shipments: dict[str, tuple[str, str, list[Line]]] = field(
        default_factory=dict
    )  # id -> order, node, lines
    open: dict[str, dict[str, str]] = field(default_factory=dict)  # order -> line -> sku
    unmatched: int = 0  # updates naming a shipment no request of the read range made

    def commands(self, topic: str, event: Mapping[str, Any], at_ms: int) -> list[HoldCommand]:
        if topic == ORDERS:
            return self._order(event)
        if topic == FULFILLMENT_REQUESTS:
            return self._request(event)
        return self._update(event, at_ms)

    def _order(self, event: Mapping[str, Any]) -> list[HoldCommand]:
        order_id = str(event.get("order_id"))
        if event.get("type") == "PLACED":
            self.placed.add(order_id)
            return []
        if event.get("type") != "CANCELLED":
            return []
        lines = self.open.pop(order_id, {})
        eid = f"rebuild:{event.get('event_id')}"
        return [ReleaseAllocation(f"{eid}:{line}", order_id, line, sku) for line, sku in lines.items()]

    def _request(self, event: Mapping[str, Any]) -> list[HoldCommand]:
        order_id, shipment_id, node = (
            str(event["order_id"]),
            str(event["shipment_id"]),
            str(event["location_id"]),
        )
        lines = [(str(x["line_id"]), str(x["sku"]), int(x["quantity"])) for x in event["lines"]]
        self.shipments[shipment_id] = (order_id, node, lines)
        if order_id not in self.placed:
            return []
        opened, eid = self.open.setdefault(order_id, {}), f"rebuild:{event['event_id']}"
        commands: list[HoldCommand] = []
        for line_id, sku, quantity in lines:
            if line_id in opened:  # re-routed: the earlier allocation of the line was released
                commands.append(ReleaseAllocation(f"{eid}:release:{line_id}", order_id, line_id, sku))
            opened[line_id] = sku
            commands.append(Allocate(f"{eid}:{line_id}", order_id, line_id, sku, node, quantity))
        return commands

    def _update(self, event: Mapping[str, Any], at_ms: int) -> list[HoldCommand]:
        status, shipment_id = event.get("status"), str(event.get("shipment_id"))
        if status not in SHIPPING and status not in RELEASING:
            return []
        if shipment_id not in self.shipments:
            self.unmatched += 1
            return []
        order_id, node, lines = self.shipments[shipment_id]
        named = {str(x.get("line_id")): int(x["quantity"]) for x in event.get("lines") or []}
        lines = [(line, sku, named.get(line, q)) for line, sku, q in lines if not named or line in named]
        opened = self.open.get(order_id, {})
        commands: list[HoldCommand] = []
        for line_id, sku, quantity in lines:
            opened.pop(line_id, None)
            if status in SHIPPING:  # the worker's own event id: the same shipment is never counted twice
                eid = f"{shipment_id}:ship:{line_id}"
                commands.append(ShipAllocation(eid, order_id, line_id, sku, node, quantity, at_ms))
            else:
                eid = f"rebuild:{event.get('event_id')}:{line_id}"
                commands.append(ReleaseAllocation(eid, order_id, line_id, sku))
        return commands
