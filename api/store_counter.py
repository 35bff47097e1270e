"""Carries out a store associate's action: checks it against the shipment's effective status, claims
it on the desk, publishes its event, and releases the claim when the broker did not take it.

The order of the steps is what makes a double click publish once: the desk's compare-and-set lets
one request claim a status, in flight; the other finds it claimed and waits for the outcome: the
event confirmed by the broker (then it answers a duplicate with the same event id) or the claim
released after a failed publish (then it tries itself). So a retried request is never told "done"
for an event that did not go out. A claim left in flight by a process that died is stale after
`stale_after_ms` and may be published again, under the same event id (the worker applies it once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from api.errors import ApiError
from core.order_types import ShipmentStatus
from core.publishing import EventPublisher, PublishFailed
from core.store_actions import (
    TARGET,
    Flow,
    RejectReason,
    StoreAction,
    allowed_actions,
    count_event_id,
    effective_status,
    event_id,
    flow_of,
    order_id_of,
    refusal,
    rejected_lines,
)
from core.store_queue import OpenShipment, StoreQueueReader
from state.store_desk import PUBLISHED_COUNT, DeskMark, StoreDesk, in_flight_mark
from topics.catalog import FULFILLMENT_UPDATES, STOCK_COUNTS

CLAIM_TRIES = 3
IN_FLIGHT_POLL_S = 0.02
STALE_AFTER_MS = 12_000  # a claim in flight this long: its process died mid-publish (the bound is 5 s)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """What the associate asked: the action, and the body's reject reason, lines or tracking number."""

    location_id: str
    shipment_id: str
    action: StoreAction
    reason: RejectReason | None = None
    line_ids: Sequence[str] | None = None
    tracking_number: str | None = None


def _publish_failed(error: PublishFailed) -> ApiError:
    message = "The event could not be published (the broker did not take it); nothing was recorded: retry."
    return ApiError(503, "publish_failed", message, detail=error.message)


def counted(mark: DeskMark | None, now_ms: int, stale_after_ms: int) -> ShipmentStatus | None:
    """The status a desk mark stands for: published or in flight; None for none or a stale claim."""
    return mark.status if mark is not None and not mark.stale(now_ms, stale_after_ms) else None


class StoreCounter:
    def __init__(
        self,
        queue: StoreQueueReader,
        desk: StoreDesk,
        publisher: EventPublisher,
        in_flight_wait_s: float = 6.0,
        stale_after_ms: int = STALE_AFTER_MS,
    ) -> None:
        """`in_flight_wait_s`: how long a repeat waits for a claim in flight (a little over the
        publisher's bound); `stale_after_ms`: past this a claim still in flight is taken for dead."""
        self._queue, self._desk, self._publisher = queue, desk, publisher
        self._wait_s, self._stale_after_ms = in_flight_wait_s, stale_after_ms

    async def act(self, asked: ActionRequest, now_ms: int) -> dict[str, Any]:
        """The 202 answer of an action; ApiError 404/409/422/503 otherwise. A claim lost to a
        concurrent request, or found in flight, is tried again from a fresh read, a few times."""
        for _ in range(CLAIM_TRIES):
            answer = await self._attempt(asked, now_ms)
            if answer is not None:
                return answer
        message = "This shipment is changing under several requests at once; look at it again and retry."
        raise ApiError(409, "action_not_allowed", message, action=asked.action.value)

    async def _attempt(self, asked: ActionRequest, now_ms: int) -> dict[str, Any] | None:
        found = await self._shipment(asked.location_id, asked.shipment_id)
        order, shipment = found.order, found.shipment
        order_id, shipment_id = order.order_id, shipment.shipment_id
        mark = await self._desk.mark(order_id, shipment_id)
        if await self._waited_out(mark, lambda: self._desk.mark(order_id, shipment_id), now_ms):
            return None
        status, _ = effective_status(shipment.status, counted(mark, now_ms, self._stale_after_ms))
        target = TARGET[asked.action]
        partial_ids: list[str] = []
        if asked.action is StoreAction.REJECT:
            chosen = rejected_lines(shipment, asked.line_ids)
            if chosen.unknown:
                message = f"This shipment has no line {', '.join(chosen.unknown)}."
                raise ApiError(422, "unknown_lines", message, line_ids=list(chosen.unknown))
            partial_ids = sorted(line.line_id for line in chosen.lines) if chosen.partial else []
        eid = event_id(shipment.shipment_id, target, partial_ids)
        answer = {
            "event_id": eid,
            "order_id": order.order_id,
            "shipment_id": shipment.shipment_id,
            "location_id": asked.location_id,
            "status": target.value,
            "duplicate": True,
        }
        if partial_ids:  # a partial reject leaves the shipment's status alone: its own field dedupes it
            field = eid
            mark = await self._desk.mark(order.order_id, field)
            if await self._waited_out(mark, lambda: self._desk.mark(order.order_id, field), now_ms):
                return None
            if counted(mark, now_ms, self._stale_after_ms) is target:
                return answer
        elif status is target:
            return answer
        else:
            field = shipment.shipment_id
        flow = flow_of(order, shipment)
        self._refuse_if_not_allowed(asked.action, status, flow, shipment.accept_by_ms, now_ms)
        expected = mark.raw if mark is not None else None
        claimed = in_flight_mark(target, now_ms)
        if not (await self._desk.claim(order.order_id, field, expected, claimed)).won:
            return None  # another request got there first: read again (a duplicate, or wait for it)
        record = self._update(found, asked, target, eid, partial_ids, now_ms)
        try:
            await self._publisher.publish(FULFILLMENT_UPDATES, order.order_id, record)
        except PublishFailed as error:
            await self._desk.release(order.order_id, field, claimed, expected)
            raise _publish_failed(error) from error
        await self._desk.claim(order.order_id, field, claimed, target.value)  # published
        return {**answer, "duplicate": False}

    async def _waited_out(
        self, mark: DeskMark | None, read: Callable[[], Awaitable[DeskMark | None]], now_ms: int
    ) -> bool:
        """True once a claim found in flight has ended (confirmed or released: the caller reads again);
        False when `mark` is not in flight. Past the wait, 503: the first request's publish has not
        ended, the caller retries in a moment."""
        if mark is None or not mark.in_flight(now_ms, self._stale_after_ms):
            return False
        in_flight = mark.raw
        deadline = time.monotonic() + self._wait_s
        while time.monotonic() < deadline:
            await asyncio.sleep(IN_FLIGHT_POLL_S)
            current = await read()
            if current is None or current.raw != in_flight:
                return True
        message = "An earlier request for this is still being published; retry in a moment."
        raise ApiError(503, "publish_in_progress", message, {"Retry-After": "1"}, retry_after_s=1)

    async def count(
        self, location_id: str, sku: str, on_hand: int, count_id: str | None, now_ms: int
    ) -> dict[str, Any]:
        """The 202 answer of a quick count; the same count_id twice publishes once."""
        count_id = count_id or uuid4().hex
        eid = count_event_id(location_id, count_id)
        for _ in range(CLAIM_TRIES):
            mark = await self._desk.count_mark(location_id, count_id)
            if await self._waited_out(mark, lambda: self._desk.count_mark(location_id, count_id), now_ms):
                continue
            if mark is not None and mark.raw == PUBLISHED_COUNT:
                return {"event_id": eid, "duplicate": True}
            expected, claimed = (mark.raw if mark else None), in_flight_mark(None, now_ms)
            if (await self._desk.claim_count(location_id, count_id, expected, claimed)).won:
                await self._publish_count(location_id, sku, on_hand, count_id, now_ms, claimed)
                return {"event_id": eid, "duplicate": False}
        message = "This count is being sent by several requests at once; retry."
        raise ApiError(409, "count_in_progress", message, count_id=count_id)

    async def _publish_count(
        self, location_id: str, sku: str, on_hand: int, count_id: str, now_ms: int, claimed: str
    ) -> None:
        eid = count_event_id(location_id, count_id)
        record = {
            "event_id": eid,
            "occurred_at": now_ms,
            "location_id": location_id,
            "lines": [{"sku": sku, "on_hand": on_hand}],
        }
        try:
            await self._publisher.publish(STOCK_COUNTS, location_id, record)
        except PublishFailed as error:
            await self._desk.claim_count(location_id, count_id, claimed, None)
            raise _publish_failed(error) from error
        await self._desk.claim_count(location_id, count_id, claimed, PUBLISHED_COUNT)

    async def _shipment(self, location_id: str, shipment_id: str) -> OpenShipment:
        order_id = order_id_of(shipment_id)
        found = await self._queue.shipment(order_id, shipment_id) if order_id else None
        if found is None or found.shipment.location_id != location_id:
            message = f"No shipment {shipment_id} at store {location_id}."
            raise ApiError(
                404, "shipment_not_found", message, shipment_id=shipment_id, location_id=location_id
            )
        return found

    @staticmethod
    def _refuse_if_not_allowed(
        action: StoreAction, status: ShipmentStatus, flow: Flow, accept_by_ms: int, now_ms: int
    ) -> None:
        why = refusal(action, status, flow, accept_by_ms, now_ms)
        if why is not None:
            allowed = [a.value for a in allowed_actions(status, flow)]
            refused = ApiError(409, "action_not_allowed", why, action=action.value, allowed=allowed)
            refused.fields["status"] = status.value  # a keyword `status` would be the HTTP status
            raise refused

    @staticmethod
    def _update(
        found: OpenShipment,
        asked: ActionRequest,
        target: ShipmentStatus,
        eid: str,
        partial_ids: Sequence[str],
        now_ms: int,
    ) -> dict[str, Any]:
        """The fulfillment.updates.v1 record: a partial reject names its lines."""
        named = set(partial_ids)
        lines = [
            {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity}
            for line in found.shipment.lines
            if line.line_id in named
        ]
        return {
            "event_id": eid,
            "occurred_at": now_ms,
            "order_id": found.order.order_id,
            "shipment_id": found.shipment.shipment_id,
            "location_id": found.shipment.location_id,
            "status": target.value,
            "lines": lines or None,
            "reason": asked.reason.value if asked.reason is not None else None,
            "tracking_number": asked.tracking_number,
        }
