"""An order's fulfillment lifecycle as pure transitions: each returns the new order and effects to execute.

Idempotent and order-tolerant: a shipment only moves forward, so a repeated update is DUPLICATE, an
older one after a newer one is REGRESSION, and neither changes anything. Effect event ids derive from
the shipment, the action and the line (`S-1:ship:l1`), so re-executing a step after a crash is deduped
by the stock store, and a SHIPPED followed by a DELIVERED cannot ship twice.

A REJECTED, an expired SLA and a CANCELLED by the node are the same thing for the order: the node
will not serve those lines. Their allocation there is released and they are re-routed, never back to
a node that rejected them. A NOT_FOUND rejection also corrects the node's on hand by the quantity it
reported missing: a decrement rather than a count to zero, because units of the sku already picked
for other orders are still on hand there, and a zero count would wipe them and strand those orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from core.allocation import OrderLine, OrderStatus
from core.movements import ReleaseAllocation, ShipAllocation
from core.order_types import (
    CLOSED,
    DONE,
    RANK,
    SHIPPED_RANK,
    ChangeLine,
    CorrectStock,
    Effect,
    FulfillmentChange,
    Order,
    PlannedShipment,
    PublishStatus,
    Reroute,
    RerouteLine,
    RoutingResult,
    Shipment,
    ShipmentStatus,
    Step,
    StepOutcome,
    Unplaced,
)

NOT_FOUND, SLA_EXPIRED = "NOT_FOUND", "SLA_EXPIRED"
REJECTED = ShipmentStatus.REJECTED
REJECTING = frozenset({REJECTED, ShipmentStatus.CANCELLED})


def new_order(order_id: str, lines: Sequence[OrderLine], method: str) -> Order:
    """A PLACED order before routing: every line waits for the router."""
    return Order(order_id, tuple(lines), method, unplaced={line.line_id: Unplaced.REROUTE for line in lines})


def excluded(order: Order, line_id: str) -> frozenset[str]:
    """The nodes the router must not use for this line."""
    return order.rejected_by.get(line_id, frozenset())


def apply_routing(order: Order, result: RoutingResult, now_ms: int) -> Step:
    """Adds the router's shipments (allocated already) and puts aside what it could not place.

    Status: UNFULFILLABLE when no line is placed or backordered, PARTIALLY_ROUTED when some line is
    unroutable, BACKORDERED when some line waits for stock, else ROUTED. On a cancelled order the
    router's allocations are released at once."""
    if order.status is OrderStatus.CANCELLED:
        lines = [
            (f"{result.decision_id}-{n}", line) for n, s in enumerate(result.shipments) for line in s.lines
        ]
        return Step(order, StepOutcome.ORDER_CANCELLED, _releases(order.order_id, lines))
    if result.decision_id in order.decisions or any(
        s.decision_id == result.decision_id for s in order.shipments
    ):
        return Step(order, StepOutcome.DUPLICATE)
    added = tuple(
        _shipment(order, len(order.shipments) + n, planned, result.decision_id, now_ms)
        for n, planned in enumerate(result.shipments, start=1)
    )
    unplaced = dict(order.unplaced)
    for line in (line for s in added for line in s.lines):
        unplaced.pop(line.line_id, None)
    unplaced |= dict.fromkeys(result.backordered, Unplaced.BACKORDERED)
    unplaced |= dict.fromkeys(result.unroutable, Unplaced.UNFULFILLABLE)
    decisions = order.decisions + (result.decision_id,)
    routed = replace(order, shipments=order.shipments + added, unplaced=unplaced, decisions=decisions)
    return _settle(order, routed, result.decision_id)


def _shipment(order: Order, n: int, planned: PlannedShipment, decision_id: str, now_ms: int) -> Shipment:
    return Shipment(
        f"{order.order_id}-{n}",
        planned.location_id,
        planned.lines,
        ShipmentStatus.REQUESTED,
        now_ms,
        now_ms + planned.sla_ms,
        decision_id,
    )


def apply_update(order: Order, change: FulfillmentChange) -> Step:
    """A fulfillment update from a node: forward moves apply, anything else is a no-op outcome."""
    shipment = order.shipment(change.shipment_id)
    if order.status is OrderStatus.CANCELLED:
        return Step(order, StepOutcome.ORDER_CANCELLED)
    if shipment is None or shipment.location_id != change.location_id:
        return Step(order, StepOutcome.UNKNOWN_SHIPMENT)
    if shipment.status in CLOSED:
        same = change.status == shipment.status
        return Step(order, StepOutcome.DUPLICATE if same else StepOutcome.CLOSED)
    if change.status in REJECTING:
        if shipment.shipped:
            return Step(order, StepOutcome.REGRESSION)
        return reject(order, shipment, change)
    if change.status == shipment.status:
        return Step(order, StepOutcome.DUPLICATE)
    if RANK[change.status] <= RANK[shipment.status]:
        return Step(order, StepOutcome.REGRESSION)
    effects: list[Effect] = []
    tracking_number = change.tracking_number or shipment.tracking_number
    moved = _with_shipment(order, replace(shipment, status=change.status, tracking_number=tracking_number))
    if not shipment.shipped and RANK[change.status] >= SHIPPED_RANK:
        effects += _ships(order.order_id, shipment, change.occurred_at_ms)
        # a backordered line waits in its shipment at the backorder node: once that ships, it waits no more
        shipped = {line.line_id for line in shipment.lines}
        unplaced = {
            k: v for k, v in order.unplaced.items() if not (k in shipped and v is Unplaced.BACKORDERED)
        }
        moved = replace(moved, unplaced=unplaced)
    return _settle(order, moved, change.event_id, effects)


def reject(order: Order, shipment: Shipment, change: FulfillmentChange) -> Step:
    """The node will not serve the named lines (all, without `lines`): release, exclude it, re-route."""
    gone = _named(shipment, change.lines)
    if not gone:
        return Step(order, StepOutcome.DUPLICATE)
    kept = tuple(line for line in shipment.lines if line not in gone)
    status = shipment.status if kept else change.status
    after = replace(shipment, lines=kept, dropped=shipment.dropped + tuple(gone), status=status)
    rejected_by = dict(order.rejected_by)
    for line in gone:
        rejected_by[line.line_id] = excluded(order, line.line_id) | {shipment.location_id}
    unplaced = {**order.unplaced, **{line.line_id: Unplaced.REROUTE for line in gone}}
    moved = replace(_with_shipment(order, after), rejected_by=rejected_by, unplaced=unplaced)
    reason = change.reason or change.status.value
    effects: list[Effect] = list(_releases(order.order_id, [(shipment.shipment_id, line) for line in gone]))
    if reason == NOT_FOUND:
        effects += _corrections(shipment, gone, change)
    reroute = [RerouteLine(line, excluded(moved, line.line_id)) for line in gone]
    effects.append(Reroute(f"{change.event_id}:reroute", order.order_id, tuple(reroute), reason))
    return _settle(order, moved, change.event_id, effects)


def _named(shipment: Shipment, lines: Sequence[ChangeLine] | None) -> list[OrderLine]:
    if lines is None:
        return list(shipment.lines)
    ids = {line.line_id for line in lines if line.line_id}
    skus = {line.sku for line in lines if not line.line_id}
    return [line for line in shipment.lines if line.line_id in ids or line.sku in skus]


def _corrections(shipment: Shipment, gone: Sequence[OrderLine], change: FulfillmentChange) -> list[Effect]:
    """One decrement per sku: the quantity the node reported missing, else the rejected lines' quantity."""
    missing: dict[str, int] = {}
    for line in gone:
        missing[line.sku] = missing.get(line.sku, 0) + line.quantity
    if change.lines is not None:
        reported: dict[str, int] = {}
        for named in change.lines:
            reported[named.sku] = reported.get(named.sku, 0) + named.quantity
        missing = {sku: min(quantity, reported.get(sku, quantity)) for sku, quantity in missing.items()}
    return [
        CorrectStock(
            f"{shipment.shipment_id}:correct:{sku}", shipment.location_id, sku, q, change.occurred_at_ms
        )
        for sku, q in sorted(missing.items())
    ]


def overdue(order: Order, now_ms: int) -> tuple[str, ...]:
    """The shipments still REQUESTED after their accept-by deadline."""
    if order.status is OrderStatus.CANCELLED:
        return ()
    return tuple(
        s.shipment_id
        for s in order.shipments
        if s.status is ShipmentStatus.REQUESTED and s.lines and now_ms > s.accept_by_ms
    )


def expire(order: Order, now_ms: int) -> Step:
    """Every overdue shipment is rejected with reason SLA_EXPIRED, as if its node had said so."""
    late = set(overdue(order, now_ms))
    return reject_each(
        order,
        [
            (
                s,
                FulfillmentChange(
                    f"{s.shipment_id}:sla", s.shipment_id, s.location_id, REJECTED, now_ms, None, SLA_EXPIRED
                ),
            )
            for s in order.shipments
            if s.shipment_id in late
        ],
    )


def reject_each(order: Order, changes: Sequence[tuple[Shipment, FulfillmentChange]]) -> Step:
    """Several shipments rejected in one step; DUPLICATE when there is none."""
    if not changes:
        return Step(order, StepOutcome.DUPLICATE)
    effects: list[Effect] = []
    current = order
    for shipment, change in changes:
        step = reject(current, shipment, change)
        current, effects = step.order, effects + list(step.effects)
    return Step(current, StepOutcome.APPLIED, tuple(effects))


def cancel(order: Order, event_id: str, reason: str | None = None) -> Step:
    """The customer cancelled: release every unshipped line, status CANCELLED; shipped lines stay shipped."""
    if order.status is OrderStatus.CANCELLED:
        return Step(order, StepOutcome.DUPLICATE)
    open_ = [s for s in order.shipments if s.live and not s.shipped]
    waiting = any(why is not Unplaced.UNFULFILLABLE for why in order.unplaced.values())
    if not open_ and not waiting and any(s.shipped for s in order.shipments):
        return Step(order, StepOutcome.ALREADY_SHIPPED)
    effects = _releases(order.order_id, [(s.shipment_id, line) for s in open_ for line in s.lines])
    closed = {
        s.shipment_id: replace(s, lines=(), dropped=s.dropped + s.lines, status=ShipmentStatus.CANCELLED)
        for s in open_
    }
    shipments = tuple(closed.get(s.shipment_id, s) for s in order.shipments)
    cancelled = replace(order, status=OrderStatus.CANCELLED, shipments=shipments, unplaced={})
    status = PublishStatus(f"{event_id}:status", order.order_id, OrderStatus.CANCELLED, reason)
    return Step(cancelled, StepOutcome.APPLIED, (*effects, status))


def order_status(order: Order) -> OrderStatus | None:
    """What the order's shipments and unplaced lines make it; unchanged while lines wait for a re-route.
    Lines given up as UNFULFILLABLE do not hold back SHIPPED or COMPLETED once the rest has gone."""
    if order.status is OrderStatus.CANCELLED or Unplaced.REROUTE in order.unplaced.values():
        return order.status
    live = [s for s in order.shipments if s.live]
    waiting = Unplaced.BACKORDERED in order.unplaced.values()
    if live and not waiting and all(s.shipped for s in live):
        return OrderStatus.COMPLETED if all(s.status in DONE for s in live) else OrderStatus.SHIPPED
    if not live and not waiting:
        return OrderStatus.UNFULFILLABLE
    if Unplaced.UNFULFILLABLE in order.unplaced.values():
        return OrderStatus.PARTIALLY_ROUTED
    return OrderStatus.BACKORDERED if waiting else OrderStatus.ROUTED


def _settle(before: Order, after: Order, cause_id: str, effects: Sequence[Effect] = ()) -> Step:
    """Derives the status and publishes it when it changed."""
    status = order_status(after)
    settled = replace(after, status=status)
    if status is not None and status != before.status:
        effects = (*effects, PublishStatus(f"{cause_id}:status", before.order_id, status))
    return Step(settled, StepOutcome.APPLIED, tuple(effects))


def _with_shipment(order: Order, shipment: Shipment) -> Order:
    shipments = tuple(shipment if s.shipment_id == shipment.shipment_id else s for s in order.shipments)
    return replace(order, shipments=shipments)


def _releases(order_id: str, lines: Iterable[tuple[str, OrderLine]]) -> tuple[ReleaseAllocation, ...]:
    return tuple(
        ReleaseAllocation(f"{shipment_id}:release:{line.line_id}", order_id, line.line_id, line.sku)
        for shipment_id, line in lines
    )


def _ships(order_id: str, shipment: Shipment, occurred_at_ms: int) -> list[Effect]:
    return [
        ShipAllocation(
            f"{shipment.shipment_id}:ship:{line.line_id}",
            order_id,
            line.line_id,
            line.sku,
            shipment.location_id,
            line.quantity,
            occurred_at_ms,
        )
        for line in shipment.lines
    ]
