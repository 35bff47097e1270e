"""The values of an order's fulfillment lifecycle: the order, its shipments, what happens to them, effects.

Times are int epoch milliseconds, as the events and stock movements carry them. A line is never
split across nodes (the stock store keeps one allocation per order line), so a shipment holds whole
lines and a rejection rejects whole lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from core.allocation import OrderLine, OrderStatus
from core.movements import AdjustOnHand, OnHandDelta, ReleaseAllocation, ShipAllocation


class ShipmentStatus(StrEnum):
    REQUESTED = "REQUESTED"  # sent to the node, not yet accepted
    ACCEPTED = "ACCEPTED"
    PICKED = "PICKED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"  # click & collect: picked and waiting at the counter
    SHIPPED = "SHIPPED"
    COLLECTED = "COLLECTED"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"  # every line rejected (by the node, or its SLA expired)
    CANCELLED = "CANCELLED"  # by the node, or the order was cancelled before it shipped


# Forward progress; an update whose rank is not above the shipment's is a duplicate or a regression.
RANK = {
    ShipmentStatus.REQUESTED: 0,
    ShipmentStatus.ACCEPTED: 1,
    ShipmentStatus.PICKED: 2,
    ShipmentStatus.READY_FOR_PICKUP: 3,
    ShipmentStatus.SHIPPED: 4,
    ShipmentStatus.COLLECTED: 5,
    ShipmentStatus.DELIVERED: 5,
}
SHIPPED_RANK = 4  # from here the units have left the node's stock
CLOSED = frozenset({ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED})
DONE = frozenset({ShipmentStatus.COLLECTED, ShipmentStatus.DELIVERED})


class Unplaced(StrEnum):
    """Why a line is in no live shipment."""

    REROUTE = "REROUTE"  # released after a rejection, SLA expiry or shortage: waits for the router
    BACKORDERED = "BACKORDERED"  # the router put it on backorder
    UNFULFILLABLE = "UNFULFILLABLE"  # nothing could serve it: given up


@dataclass(frozen=True, slots=True)
class Shipment:
    """What one node fulfils. `lines` are those it still serves; `dropped` those it rejected or cancelled."""

    shipment_id: str
    location_id: str
    lines: tuple[OrderLine, ...]
    status: ShipmentStatus
    requested_at_ms: int
    accept_by_ms: int  # requested_at_ms + the node's SLA: not accepted by then, it is re-routed
    decision_id: str
    dropped: tuple[OrderLine, ...] = ()
    tracking_number: str | None = None  # the carrier's, from the SHIPPED update that carried one

    @property
    def shipped(self) -> bool:
        return self.status in RANK and RANK[self.status] >= SHIPPED_RANK

    @property
    def live(self) -> bool:
        return bool(self.lines) and self.status not in CLOSED


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What the order asked beyond its lines, kept so that a re-route serves it the same way."""

    lat: float | None = None  # the customer's place (home delivery, and to find relay points)
    lon: float | None = None
    timezone: str | None = None
    pickup_location_id: str | None = None  # click & collect store or chosen relay point
    strategy: str | None = None
    cart_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order and where its lines stand. Mappings are never mutated: transitions build new ones.

    `status` is None until the first routing result. `rejected_by` lists, per line, the nodes that
    rejected it (never routed back there); `unplaced` holds every line that is in no live shipment;
    `decisions` the ids of its routing decisions, those that placed nothing too (why it ended so)."""

    order_id: str
    lines: tuple[OrderLine, ...]
    method: str  # the delivery method (HOME_STANDARD, HOME_EXPRESS, CLICK_COLLECT, RELAY)
    status: OrderStatus | None = None
    shipments: tuple[Shipment, ...] = ()
    rejected_by: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unplaced: Mapping[str, Unplaced] = field(default_factory=dict)
    context: OrderContext = OrderContext()
    decisions: tuple[str, ...] = ()  # every routing decision applied to it, oldest first

    def shipment(self, shipment_id: str) -> Shipment | None:
        return next((s for s in self.shipments if s.shipment_id == shipment_id), None)

    def line(self, line_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """A line an update narrows itself to; without line_id it names every shipment line of the sku."""

    sku: str
    quantity: int
    line_id: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentChange:
    """A fulfillment.updates.v1 event as the core reads it (the topics layer maps one to this)."""

    event_id: str
    shipment_id: str
    location_id: str
    status: ShipmentStatus
    occurred_at_ms: int
    lines: tuple[ChangeLine, ...] | None = None  # only REJECTED and CANCELLED may name part of a shipment
    reason: str | None = None
    tracking_number: str | None = None  # the carrier's parcel number, with SHIPPED


@dataclass(frozen=True, slots=True)
class PlannedShipment:
    """One shipment the router chose and allocated; `sla_ms` is how long the node has to accept it."""

    location_id: str
    lines: tuple[OrderLine, ...]
    sla_ms: int


@dataclass(frozen=True, slots=True)
class RoutingResult:
    """What the router did with some of an order's lines: allocated shipments, the rest put aside."""

    decision_id: str
    shipments: tuple[PlannedShipment, ...]
    backordered: tuple[str, ...] = ()  # line ids
    unroutable: tuple[str, ...] = ()  # line ids nothing could serve


# Effects: values the caller executes, in the order given (a release comes before its stock correction).
@dataclass(frozen=True, slots=True)
class RerouteLine:
    line: OrderLine
    excluded: frozenset[str]  # nodes that must not serve it


@dataclass(frozen=True, slots=True)
class Reroute:
    """Route these lines again (their allocation has been released), never to their excluded nodes."""

    event_id: str
    order_id: str
    lines: tuple[RerouteLine, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class CorrectStock:
    """A node did not find units it counted: bring its on hand down by the quantity it reported missing."""

    event_id: str
    location_id: str
    sku: str
    quantity: int
    occurred_at_ms: int

    def command(self) -> AdjustOnHand:
        delta = OnHandDelta(self.location_id, -self.quantity)
        return AdjustOnHand(self.event_id, self.sku, self.occurred_at_ms, (delta,))


@dataclass(frozen=True, slots=True)
class PublishStatus:
    """orders.status.v1 for the new order (its shipments are read from the order the step returns)."""

    event_id: str
    order_id: str
    status: OrderStatus
    reason: str | None = None


Effect = ReleaseAllocation | ShipAllocation | Reroute | CorrectStock | PublishStatus


class StepOutcome(StrEnum):
    APPLIED = "APPLIED"
    DUPLICATE = "DUPLICATE"  # already in that state: nothing changed
    UNKNOWN_SHIPMENT = "UNKNOWN_SHIPMENT"  # no such shipment at that location
    REGRESSION = "REGRESSION"  # an older status after a newer one (ACCEPTED after SHIPPED): ignored
    CLOSED = "CLOSED"  # the shipment was rejected or cancelled already: a late update is ignored
    ORDER_CANCELLED = "ORDER_CANCELLED"  # the order is cancelled: ignored (a late routing is released)
    ALREADY_SHIPPED = "ALREADY_SHIPPED"  # a cancellation with nothing left unshipped


@dataclass(frozen=True, slots=True)
class Step:
    order: Order
    outcome: StepOutcome
    effects: tuple[Effect, ...] = ()
