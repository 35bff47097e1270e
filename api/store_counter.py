"""Carries out a store associate's action: checks it against the shipment's effective status, claims
it on the desk, publishes its event, and releases the claim when the broker did not take it.

The order of the steps is what makes a double click publish once: the desk's compare-and-set lets
one request claim a status; the other finds it claimed and answers a duplicate with the same event
id. A publish that fails puts the desk back, so the associate's retry publishes.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from state.store_desk import StoreDesk
from topics.catalog import FULFILLMENT_UPDATES, STOCK_COUNTS

CLAIM_TRIES = 3


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


class StoreCounter:
    def __init__(self, queue: StoreQueueReader, desk: StoreDesk, publisher: EventPublisher) -> None:
        self._queue, self._desk, self._publisher = queue, desk, publisher

    async def act(self, asked: ActionRequest, now_ms: int) -> dict[str, Any]:
        """The 202 answer of an action; ApiError 404/409/422/503 otherwise. A claim lost to a
        concurrent request of another action is tried again from a fresh read, a few times."""
        for _ in range(CLAIM_TRIES):
            answer = await self._attempt(asked, now_ms)
            if answer is not None:
                return answer
        message = "This shipment is changing under several requests at once; look at it again and retry."
        raise ApiError(409, "action_not_allowed", message, action=asked.action.value)

    async def _attempt(self, asked: ActionRequest, now_ms: int) -> dict[str, Any] | None:
        found = await self._shipment(asked.location_id, asked.shipment_id)
        order, shipment = found.order, found.shipment
        published = await self._desk.published(order.order_id, shipment.shipment_id)
        status, _ = effective_status(shipment.status, published)
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
        if status is target:
            return answer
        flow = flow_of(order, shipment)
        self._refuse_if_not_allowed(asked.action, status, flow, shipment.accept_by_ms, now_ms)
        # A partial reject leaves the shipment's status alone: its own field dedupes it.
        field, expected = (eid, None) if partial_ids else (shipment.shipment_id, published)
        claim = await self._desk.claim(
            order.order_id, field, expected.value if expected else None, target.value
        )
        if not claim.won:  # another request got there first: a duplicate, or read again
            return answer if claim.current == target.value else None
        record = self._update(found, asked, target, eid, partial_ids, now_ms)
        try:
            await self._publisher.publish(FULFILLMENT_UPDATES, order.order_id, record)
        except PublishFailed as error:
            await self._desk.release(
                order.order_id, field, target.value, expected.value if expected else None
            )
            raise _publish_failed(error) from error
        return {**answer, "duplicate": False}

    async def count(
        self, location_id: str, sku: str, on_hand: int, count_id: str | None, now_ms: int
    ) -> dict[str, Any]:
        """The 202 answer of a quick count; the same count_id twice publishes once."""
        count_id = count_id or uuid4().hex
        eid = count_event_id(location_id, count_id)
        if not await self._desk.claim_count(location_id, count_id):
            return {"event_id": eid, "duplicate": True}
        record = {
            "event_id": eid,
            "occurred_at": now_ms,
            "location_id": location_id,
            "lines": [{"sku": sku, "on_hand": on_hand}],
        }
        try:
            await self._publisher.publish(STOCK_COUNTS, location_id, record)
        except PublishFailed as error:
            await self._desk.release_count(location_id, count_id)
            raise _publish_failed(error) from error
        return {"event_id": eid, "duplicate": False}

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
