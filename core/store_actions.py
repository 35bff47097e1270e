"""What a store associate may do with a shipment, and what the store's screen shows of it.

Two flows: a click & collect shipment at its own pickup store is handed over at the counter (PICKUP:
accept, picked, ready, collected); every other shipment leaves by carrier (SHIP: accept, picked,
shipped). Reject is open until the shipment has left. The API publishes each action as a
fulfillment.updates.v1 event before the worker has applied it, so the screen shows the effective
status: the worker's, or the one last published when the worker has not caught up yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from core.allocation import OrderLine
from core.order_types import CLOSED, RANK, Order, Shipment, ShipmentStatus
from core.store_queue import OPEN_AT_STORE

CLICK_COLLECT = "CLICK_COLLECT"


class StoreAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    PICKED = "picked"
    SHIPPED = "shipped"
    READY = "ready"
    COLLECTED = "collected"


class Flow(StrEnum):
    SHIP = "SHIP"  # leaves the store by carrier
    PICKUP = "PICKUP"  # the customer collects it at this store's counter


class RejectReason(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    DAMAGED = "DAMAGED"
    STORE_BUSY = "STORE_BUSY"
    OTHER = "OTHER"


TARGET = {
    StoreAction.ACCEPT: ShipmentStatus.ACCEPTED,
    StoreAction.REJECT: ShipmentStatus.REJECTED,
    StoreAction.PICKED: ShipmentStatus.PICKED,
    StoreAction.SHIPPED: ShipmentStatus.SHIPPED,
    StoreAction.READY: ShipmentStatus.READY_FOR_PICKUP,
    StoreAction.COLLECTED: ShipmentStatus.COLLECTED,
}
_NEXT = {
    (ShipmentStatus.REQUESTED, Flow.SHIP): StoreAction.ACCEPT,
    (ShipmentStatus.REQUESTED, Flow.PICKUP): StoreAction.ACCEPT,
    (ShipmentStatus.ACCEPTED, Flow.SHIP): StoreAction.PICKED,
    (ShipmentStatus.ACCEPTED, Flow.PICKUP): StoreAction.PICKED,
    (ShipmentStatus.PICKED, Flow.SHIP): StoreAction.SHIPPED,
    (ShipmentStatus.PICKED, Flow.PICKUP): StoreAction.READY,
    (ShipmentStatus.READY_FOR_PICKUP, Flow.PICKUP): StoreAction.COLLECTED,
}
REJECTABLE = OPEN_AT_STORE  # still at the store: not shipped, collected, rejected or cancelled
_DOING = {
    StoreAction.ACCEPT: "accepted",
    StoreAction.REJECT: "rejected",
    StoreAction.PICKED: "marked picked",
    StoreAction.SHIPPED: "shipped",
    StoreAction.READY: "marked ready for pickup",
    StoreAction.COLLECTED: "collected",
}
_GERUND = {
    StoreAction.PICKED: "marking it picked",
    StoreAction.SHIPPED: "shipping it",
    StoreAction.READY: "marking it ready for pickup",
    StoreAction.COLLECTED: "handing it over",
}
_BEFORE = {
    StoreAction.ACCEPT: "Accept the shipment",
    StoreAction.PICKED: "Mark the shipment picked",
    StoreAction.READY: "Mark the shipment ready for pickup",
}
_WORDS = {
    ShipmentStatus.REQUESTED: "waiting to be accepted",
    ShipmentStatus.ACCEPTED: "accepted",
    ShipmentStatus.PICKED: "picked",
    ShipmentStatus.READY_FOR_PICKUP: "ready for pickup",
    ShipmentStatus.SHIPPED: "shipped",
    ShipmentStatus.COLLECTED: "collected",
    ShipmentStatus.DELIVERED: "delivered",
    ShipmentStatus.REJECTED: "rejected",
    ShipmentStatus.CANCELLED: "cancelled",
}


def flow_of(order: Order, shipment: Shipment) -> Flow:
    """PICKUP for a click & collect shipment prepared at the store the customer collects from."""
    pickup = order.method == CLICK_COLLECT and shipment.location_id == order.context.pickup_location_id
    return Flow.PICKUP if pickup else Flow.SHIP


def allowed_actions(status: ShipmentStatus, flow: Flow) -> tuple[StoreAction, ...]:
    """The actions the screen offers for a shipment in `status`: the next step, then reject."""
    step = _NEXT.get((status, flow))
    steps = (step,) if step is not None else ()
    return (*steps, StoreAction.REJECT) if status in REJECTABLE else steps


def effective_status(worker: ShipmentStatus, published: ShipmentStatus | None) -> tuple[ShipmentStatus, bool]:
    """(status, pending): a closed status from the worker wins (an SLA expiry, a cancellation); else
    the further along of the worker's and the last one published (REJECTED is the furthest), pending
    when the published one is ahead of the worker's."""
    if published is None or worker in CLOSED or published is worker:
        return worker, False
    if published in CLOSED or RANK.get(published, -1) > RANK.get(worker, -1):
        return published, True
    return worker, False


def event_id(shipment_id: str, status: ShipmentStatus, line_ids: Sequence[str] = ()) -> str:
    """The same action on the same shipment always gets the same id: the worker applies it once."""
    base = f"store:{shipment_id}:{status.value}"
    return f"{base}:{','.join(sorted(line_ids))}" if line_ids else base


def count_event_id(location_id: str, count_id: str) -> str:
    return f"count:{location_id}:{count_id}"


def order_id_of(shipment_id: str) -> str | None:
    """Shipments are named f"{order_id}-{n}": the order id, or None for a name not of that form."""
    order_id, dash, n = shipment_id.rpartition("-")
    return order_id if dash and order_id and n.isdigit() else None


def _hh_mm(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%H:%M")


def refusal(
    action: StoreAction, status: ShipmentStatus, flow: Flow, accept_by_ms: int, now_ms: int
) -> str | None:
    """Why `action` is refused on a shipment in `status` (a sentence for the associate); None when allowed."""
    if action is StoreAction.ACCEPT and status is ShipmentStatus.REQUESTED and now_ms > accept_by_ms:
        return f"The deadline to accept passed at {_hh_mm(accept_by_ms)} UTC; the order is being re-routed."
    if action in allowed_actions(status, flow):
        return None
    doing = _DOING[action]
    if status in CLOSED or RANK.get(status, 0) >= RANK[ShipmentStatus.SHIPPED]:
        return f"This shipment was {_WORDS[status]}: it cannot be {doing}."
    if action is StoreAction.SHIPPED and flow is Flow.PICKUP:
        return "This shipment is collected at this store: mark it ready for pickup, not shipped."
    if action in (StoreAction.READY, StoreAction.COLLECTED) and flow is Flow.SHIP:
        return f"This shipment leaves by carrier: it cannot be {doing}; mark it shipped once picked."
    if RANK.get(TARGET[action], 0) <= RANK[status]:
        return f"This shipment is already {_WORDS[status]}: it cannot be {doing} again."
    step = _NEXT.get((status, flow))
    first = _BEFORE.get(step, "Complete the previous step") if step else "Complete the previous step"
    return f"{first} before {_GERUND.get(action, doing)}."


def due_at_ms(
    status: ShipmentStatus,
    flow: Flow,
    shipment: Shipment,
    promised_earliest_ms: int | None,
    promised_latest_ms: int | None,
) -> int:
    """What the queue is sorted by: the accept deadline while waiting to be accepted; then the
    customer's date (earliest pickup for PICKUP, latest delivery for SHIP); the request time when
    the routing decision is not known."""
    if status is ShipmentStatus.REQUESTED:
        return shipment.accept_by_ms
    promised = promised_earliest_ms if flow is Flow.PICKUP else promised_latest_ms
    return promised if promised is not None else shipment.requested_at_ms


@dataclass(frozen=True, slots=True)
class RejectedLines:
    """The lines a reject names: all of the shipment's (`partial` False) or some of them."""

    lines: tuple[OrderLine, ...]
    partial: bool
    unknown: tuple[str, ...] = ()  # named ids the shipment does not serve


def rejected_lines(shipment: Shipment, line_ids: Sequence[str] | None) -> RejectedLines:
    """The lines a reject concerns; naming every line of the shipment is a whole reject."""
    if not line_ids:
        return RejectedLines(shipment.lines, partial=False)
    named = set(line_ids)
    serving = {line.line_id for line in shipment.lines}
    unknown = tuple(sorted(named - serving))
    lines = tuple(line for line in shipment.lines if line.line_id in named)
    return RejectedLines(lines, partial=named != serving, unknown=unknown)
