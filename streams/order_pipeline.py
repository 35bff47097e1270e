"""Orders and fulfillment updates: direct allocation, shipments and cancellations, with order statuses.

Routing (choosing among several nodes) comes later: an order is allocated here when it names its
pickup store or the network has a single shipping warehouse; other orders are counted as unrouted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from core.allocation import AllocatedLine, OrderLine, OrderStatus, allocations, direct_location, placed_status
from core.errors import InvalidEvent
from core.movements import Command, ReleaseAllocation, ShipAllocation
from core.network import Network
from core.ports import StockWriter
from streams.dlq import dead_letter
from streams.metrics import WorkerMetrics
from streams.records import ConsumedRecord, OutRecord
from streams.stock_pipeline import (
    CHANGED,
    BatchOutcome,
    ChangeEncoder,
    ChangeLog,
    change_records,
    count_batch,
    logged_changes,
)
from topics.codec import AvroCodec
from topics.decoding import validate_value
from topics.order_events import FulfillmentStatus, FulfillmentUpdate, OrderEvent, OrderEventType

log = logging.getLogger("omnistock.orders")
ORDERS, FULFILLMENT = "orders.v1", "fulfillment.updates.v1"
ORDER_TOPICS = (ORDERS, FULFILLMENT)
ORDER_STATUS = "orders.status.v1"
SHIP_STATUSES = {
    FulfillmentStatus.SHIPPED: OrderStatus.SHIPPED,
    FulfillmentStatus.COLLECTED: OrderStatus.COMPLETED,
}
RELEASE_STATUSES = (FulfillmentStatus.CANCELLED, FulfillmentStatus.REJECTED)


class OrderBook(Protocol):
    def lines(self, order_ids: Sequence[str]) -> dict[str, list[AllocatedLine]]: ...
    def remember(self, orders: dict[str, list[AllocatedLine]]) -> None: ...


OrderFlowEvent = OrderEvent | FulfillmentUpdate


class OrderPipeline:
    def __init__(
        self,
        writer: StockWriter,
        book: OrderBook,
        codec: AvroCodec,
        network: Callable[[], Network],
        changes: ChangeEncoder,
        metrics: WorkerMetrics,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        change_log: ChangeLog | None = None,
    ) -> None:
        self._change_log = change_log
        self._writer, self._book, self._codec, self._network = writer, book, codec, network
        self._changes, self._metrics, self._clock_ms = changes, metrics, clock_ms

    def run(self, topic: str, records: Sequence[ConsumedRecord]) -> BatchOutcome:
        batch = BatchOutcome()
        events = self._decode(topic, records, batch)
        known = self._book.lines(sorted({event.order_id for event, _ in events}))
        plan = _Plan(known, self._network())
        for event, _record in events:
            plan.add(event)
        self._metrics.orders_unrouted.inc(plan.unrouted)
        now_ms = self._clock_ms()
        results = self._writer.apply(plan.commands, now_ms) if plan.commands else []
        for result in results:
            batch.outcomes[result.outcome] += 1
            if result.outcome in CHANGED:
                batch.outputs += change_records(
                    result.sku, result.locations, result.network_atp, result.event_id, self._changes, now_ms
                )
        batch.outputs += [self._status(s, now_ms) for s in plan.statuses(results)]
        self._book.remember(plan.allocated(results))
        if self._change_log is not None:
            self._change_log.append(logged_changes(results))
        count_batch(self._metrics, topic, len(records), batch)
        return batch

    def _decode(
        self, topic: str, records: Sequence[ConsumedRecord], batch: BatchOutcome
    ) -> list[tuple[OrderFlowEvent, Any]]:
        model = OrderEvent if topic == ORDERS else FulfillmentUpdate
        events: list[tuple[OrderFlowEvent, Any]] = []
        for record in records:
            try:
                event = validate_value(self._codec, model, topic, record.value() or b"")
                events.append((cast(OrderFlowEvent, event), record))
            except InvalidEvent as error:
                batch.outputs.append(dead_letter(topic, record, error.message))
        return events

    def _status(self, status: dict[str, Any], now_ms: int) -> OutRecord:
        value = self._codec.encode("order_status.v1", {**status, "occurred_at": now_ms})
        return OutRecord(ORDER_STATUS, status["order_id"].encode(), value)


class _Plan:
    """The commands of one batch of order events, and what to say of each order once they are applied."""

    def __init__(self, known: dict[str, list[AllocatedLine]], network: Network) -> None:
        self.known, self.network = known, network
        self.commands: list[Command] = []
        self.unrouted = 0
        self._steps: list[
            tuple[OrderFlowEvent, list[AllocatedLine], int, int]
        ] = []  # event, lines, first, end

    def add(self, event: OrderFlowEvent) -> None:
        first = len(self.commands)
        lines = self._commands_of(event)
        self._steps.append((event, lines, first, len(self.commands)))

    def _commands_of(self, event: OrderFlowEvent) -> list[AllocatedLine]:
        if isinstance(event, OrderEvent) and event.type is OrderEventType.PLACED:
            pickup = event.delivery.pickup_location_id if event.delivery else None
            location = direct_location(pickup, self.network)
            if location is None:
                log.info("order_needs_routing", extra={"order_id": event.order_id})
                self.unrouted += 1
                return []
            wanted = [OrderLine(line.line_id, line.sku, line.quantity) for line in event.lines]
            self.commands += allocations(
                event.event_id, event.order_id, event.cart_id, location, wanted, event.channel
            )
            lines = [AllocatedLine(line.line_id, line.sku, location, line.quantity) for line in wanted]
            self.known.setdefault(event.order_id, lines)
            return lines
        lines = self._lines_concerned(event)
        for line in lines:
            self.commands.append(self._release_or_ship(event, line))
        return lines

    def _lines_concerned(self, event: OrderFlowEvent) -> list[AllocatedLine]:
        lines = self.known.get(event.order_id, [])
        if isinstance(event, FulfillmentUpdate):
            lines = [line for line in lines if line.location_id == event.location_id]
        if event.lines:
            named = {line.line_id for line in event.lines if line.line_id} or None
            skus = {line.sku for line in event.lines}
            lines = [line for line in lines if (named is None or line.line_id in named) and line.sku in skus]
        return lines

    @staticmethod
    def _release_or_ship(event: OrderFlowEvent, line: AllocatedLine) -> Command:
        if isinstance(event, FulfillmentUpdate) and event.status in SHIP_STATUSES:
            return ShipAllocation(
                event.event_id,
                event.order_id,
                line.line_id,
                line.sku,
                line.location_id,
                line.quantity,
                event.occurred_at,
            )
        return ReleaseAllocation(event.event_id, event.order_id, line.line_id, line.sku)

    def statuses(self, results: Sequence[Any]) -> list[dict[str, Any]]:
        out = []
        for event, lines, first, end in self._steps:
            status = self._status_of(event, [r.outcome for r in results[first:end]])
            if status is not None and (lines or status is OrderStatus.UNFULFILLABLE):
                out.append(_status_record(event, status, lines))
        return out

    @staticmethod
    def _status_of(event: OrderFlowEvent, outcomes: list[Any]) -> OrderStatus | None:
        if isinstance(event, OrderEvent):
            if event.type is OrderEventType.CANCELLED:
                return OrderStatus.CANCELLED
            return placed_status(outcomes) if outcomes else None
        if event.status in SHIP_STATUSES:
            return SHIP_STATUSES[event.status]
        return OrderStatus.CANCELLED if event.status is FulfillmentStatus.CANCELLED else None

    def allocated(self, results: Sequence[Any]) -> dict[str, list[AllocatedLine]]:
        """The lines of PLACED orders that the store allocated, for the order book."""
        book: dict[str, list[AllocatedLine]] = {}
        for event, lines, first, _end in self._steps:
            if isinstance(event, OrderEvent) and event.type is OrderEventType.PLACED:
                granted = [
                    line for line, r in zip(lines, results[first:], strict=False) if r.outcome in CHANGED
                ]
                if granted:
                    book[event.order_id] = granted
        return book


def _status_record(event: OrderFlowEvent, status: OrderStatus, lines: list[AllocatedLine]) -> dict[str, Any]:
    by_location: dict[str, list[AllocatedLine]] = {}
    for line in lines:
        by_location.setdefault(line.location_id, []).append(line)
    shipments = [
        {
            "shipment_id": f"{event.order_id}-{location}",
            "location_id": location,
            "lines": [
                {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity} for line in group
            ],
            "status": event.status.value if isinstance(event, FulfillmentUpdate) else None,
        }
        for location, group in sorted(by_location.items())
    ]
    record = {"event_id": f"{event.event_id}:status", "order_id": event.order_id, "status": status.value}
    return {**record, "shipments": shipments, "decision_id": None, "reason": None}
