"""orders.v1 and fulfillment.updates.v1: every order routed as it arrives, and its fulfillment lifecycle.

PLACED orders are routed (streams.order_routing) and allocated; each shipment goes out on
fulfillment.requests.v1, the decision on routing.decisions.v1, the status on orders.status.v1.
Fulfillment updates move shipments on (core.order_lifecycle); a rejection, a node's cancellation, an
acceptance deadline missed (`sweep`) or a shortage at the node (`shortage`) releases the lines there
and routes them again, never back to a node that rejected them. Every stock change is published on
availability.changes.v1 like the stock topics' are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, cast

from core.errors import InvalidEvent
from core.geo import Place
from core.movements import MovementResult
from core.network import Network
from core.order_lifecycle import apply_routing, apply_update, cancel, expire, new_order, overdue
from core.order_shortage import AllocatedHere, shortage_reroute, shortage_victims
from core.order_types import OrderContext, RoutingResult, StepOutcome, Unplaced
from core.routing_types import Delivery
from streams.batch import CHANGED, BatchOutcome, ChangeEncoder, ChangeLog, change_records, count_batch
from streams.batch import logged_changes as logged
from streams.dlq import FROM_THE_FUTURE, dead_letter
from streams.metrics import WorkerMetrics
from streams.order_metrics import OrderMetrics
from streams.order_routing import OrderRouter, RouteRequest, RoutingStock
from streams.order_work import OrderStore, OrderWork
from streams.records import ConsumedRecord, OutRecord
from topics.catalog import FULFILLMENT_UPDATES, ORDERS
from topics.codec import AvroCodec
from topics.decoding import validate_value
from topics.order_events import FulfillmentUpdate, OrderEvent, OrderEventType
from topics.order_mappers import NO_DESTINATION, fulfillment_change, order_lines, routing_delivery
from topics.order_outputs import OrderOutputs

log = logging.getLogger("omnistock.orders")
ORDER_TOPICS = (ORDERS, FULFILLMENT_UPDATES)


class LifecycleStore(OrderStore, Protocol):
    def due_shipments(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]: ...
    def allocations_at(
        self, places: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[AllocatedHere]]: ...


class OrderFlow:
    def __init__(
        self,
        *,
        stock: RoutingStock,
        orders: LifecycleStore,
        router: OrderRouter,
        outputs: OrderOutputs,
        codec: AvroCodec,
        network: Callable[[], Network],
        postcodes: Mapping[str, Place],
        changes: ChangeEncoder,
        metrics: WorkerMetrics,
        order_metrics: OrderMetrics,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        change_log: ChangeLog | None = None,
        reroute_shortages: bool = True,
        max_clock_skew_s: int = 300,
    ) -> None:
        self._max_skew_ms = max_clock_skew_s * 1000
        self._stock, self._orders, self._router, self._outputs = stock, orders, router, outputs
        self._codec, self._network, self._postcodes, self._changes = codec, network, postcodes, changes
        self._metrics, self._order_metrics, self._clock_ms = metrics, order_metrics, clock_ms
        self._change_log, self._reroute_shortages = change_log, reroute_shortages

    def run(self, topic: str, records: Sequence[ConsumedRecord]) -> BatchOutcome:
        batch = BatchOutcome()
        events = self._decode(topic, records, batch)
        work = self._work()
        work.load(sorted({event.order_id for event in events}))
        for event in events:
            if isinstance(event, OrderEvent):
                self._order_event(work, event)
            else:
                self._fulfillment(work, event)
        self._finish(work, batch)
        count_batch(self._metrics, topic, len(records), batch)
        return batch

    def sweep(self, limit: int = 1000) -> list[OutRecord]:
        """Shipments not accepted by their deadline: released and routed elsewhere, as if rejected."""
        work = self._work()
        due = self._orders.due_shipments(work.now_ms, limit)
        if not due:
            return []
        work.load(sorted({order_id for order_id, _ in due}))
        for order_id in sorted({order_id for order_id, _ in due}):
            order = work.order(order_id)
            if order is not None and overdue(order, work.now_ms):
                work.step(expire(order, work.now_ms))
        batch = BatchOutcome()
        self._finish(work, batch)
        return batch.outputs

    def shortage(self, results: Sequence[MovementResult]) -> list[OutRecord]:
        """After stock moved: orders allocated where on hand fell below allocated are routed again at
        once (the newest allocations first), or only counted when shortages are not re-routed."""
        short = {
            (r.sku, f.location_id): (f.on_hand, f.allocated)
            for r in results
            if r.outcome in CHANGED
            for f in r.locations
            if f.allocated > f.on_hand
        }
        if not short:
            return []
        work = self._work()
        allocated = self._orders.allocations_at(sorted(short))
        victims = {
            place: shortage_victims(on_hand, total, allocated.get(place, []))
            for place, (on_hand, total) in short.items()
        }
        action = "rerouted" if self._reroute_shortages else "flagged"
        self._order_metrics.shortages.labels(action).inc(sum(len(v) for v in victims.values()))
        if not self._reroute_shortages:
            log.warning(
                "stock_shortage", extra={"places": len(short), "lines": sum(map(len, victims.values()))}
            )
            return []
        work.load(sorted({line.order_id for lines in victims.values() for line in lines}))
        for (sku, location_id), lines in sorted(victims.items()):
            for order_id in sorted({line.order_id for line in lines}):
                order = work.order(order_id)
                if order is not None:
                    line_ids = tuple(
                        line.line_id
                        for line in lines
                        if line.order_id == order_id
                        and order.unplaced.get(line.line_id) is not Unplaced.BACKORDERED
                    )
                    if not line_ids:
                        continue  # backordered lines are allocated beyond stock on purpose
                    cause = f"shortage:{sku}:{location_id}:{work.now_ms}"
                    work.step(shortage_reroute(order, location_id, line_ids, cause, work.now_ms))
        batch = BatchOutcome()
        self._finish(work, batch)
        return batch.outputs

    def _work(self) -> OrderWork:
        now_ms = self._clock_ms()
        return OrderWork(
            stock=self._stock,
            orders=self._orders,
            router=self._router,
            outputs=self._outputs,
            metrics=self._order_metrics,
            days=self._network().local_days(now_ms),
            now_ms=now_ms,
        )

    def _order_event(self, work: OrderWork, event: OrderEvent) -> None:
        known = work.order(event.order_id)
        if event.type is OrderEventType.CANCELLED:
            if known is None:
                self._order_metrics.ignored_updates.labels("UNKNOWN_ORDER").inc()
                return
            work.step(cancel(known, event.event_id))
            return
        if known is not None:
            self._order_metrics.ignored_updates.labels(StepOutcome.DUPLICATE.value).inc()
            return
        lines = order_lines(event)
        delivery = routing_delivery(event, self._postcodes, self._network())
        method = event.delivery.method.value if event.delivery else "HOME_STANDARD"
        order = replace(new_order(event.order_id, lines, method), context=_context(event, delivery))
        if delivery is None:
            work.add_order(order, None)
            result = RoutingResult(
                f"{event.event_id}:{NO_DESTINATION}", (), unroutable=tuple(line.line_id for line in lines)
            )
            work.step(apply_routing(order, result, work.now_ms))
            return
        request = RouteRequest(
            order, lines, delivery, event.strategy, event.cart_id, event.channel, event.event_id
        )
        work.add_order(order, request)

    def _fulfillment(self, work: OrderWork, update: FulfillmentUpdate) -> None:
        order = work.order(update.order_id)
        if order is None:
            self._order_metrics.ignored_updates.labels("UNKNOWN_ORDER").inc()
            return
        step = apply_update(order, fulfillment_change(update))
        if step.outcome is not StepOutcome.APPLIED:
            self._order_metrics.ignored_updates.labels(step.outcome.value).inc()
        work.step(step)

    def _finish(self, work: OrderWork, batch: BatchOutcome) -> None:
        work.finish()
        for result in work.results:
            batch.outcomes[result.outcome] += 1
            if result.outcome in CHANGED:
                batch.outputs += change_records(
                    result.sku,
                    result.locations,
                    result.network_atp,
                    result.event_id,
                    self._changes,
                    work.now_ms,
                )
        batch.outputs += work.outputs
        if self._change_log is not None:
            self._change_log.append(logged(work.results))

    def _decode(
        self, topic: str, records: Sequence[ConsumedRecord], batch: BatchOutcome
    ) -> list[OrderEvent | FulfillmentUpdate]:
        """The valid events; the others to the DLQ, and so is an event stamped further ahead of the
        worker's clock than the skew allowed (a SHIPPED from the future would sit in the delta log
        after every real count). A late update is not refused: the order's own state dedupes it."""
        model = OrderEvent if topic == ORDERS else FulfillmentUpdate
        events: list[OrderEvent | FulfillmentUpdate] = []
        now_ms = self._clock_ms()
        for record in records:
            try:
                event = cast(Any, validate_value(self._codec, model, topic, record.value() or b""))
            except InvalidEvent as error:
                batch.outputs.append(dead_letter(topic, record, error.code, error.message))
                continue
            if event.occurred_at > now_ms + self._max_skew_ms:
                ahead = f"occurred_at is {(event.occurred_at - now_ms) / 1000:.0f} s ahead of the clock"
                batch.outputs.append(dead_letter(topic, record, FROM_THE_FUTURE, ahead))
                continue
            events.append(event)
        return events


def _context(event: OrderEvent, delivery: Delivery | None) -> OrderContext:
    place = delivery.destination if delivery is not None else None
    return OrderContext(
        lat=place.lat if place else None,
        lon=place.lon if place else None,
        timezone=place.timezone if place else None,
        pickup_location_id=event.delivery.pickup_location_id if event.delivery else None,
        strategy=event.strategy,
        cart_id=event.cart_id,
        channel=event.channel,
    )
