"""GET /v1/orders/{order_id}: an order's status, its shipments, and the routing decisions that placed them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fastapi import APIRouter
from fastapi.params import Depends

from api.errors import ApiError
from api.order_schemas import OrderAnswer
from api.responses import JsonResponse
from api.schemas import ErrorBody
from api.timestamps import utc_iso
from core.allocation import OrderLine
from core.order_types import Order, Shipment

_DESCRIPTION = (
    "Where an order stands: its status (null until the router has seen it), its lines, every shipment "
    "(the node, its lines, when it was requested and by when the node must accept it, the lines it "
    "dropped, the decision that placed it), the lines in no live shipment and why, the nodes that "
    "rejected each line, and the routing decisions that placed the shipments as they were recorded: "
    "the candidates, what excluded each and every score. Times are ISO-8601 UTC. An order never seen "
    "answers 404 (`order_not_found`). With API keys configured, it needs the scope `orders:read` (an "
    "order shows more than stock: `availability:read` alone does not read it)."
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OrderReader(Protocol):
    """The order store as the API reads it (state.order_reader.AsyncRedisOrderReader)."""

    async def order(self, order_id: str) -> tuple[Order, list[dict[str, Any]]] | None: ...

    async def ping(self) -> bool: ...


def orders_router(
    reader: OrderReader | None,
    *,
    dependencies: Sequence[Depends] = (),
    responses: Mapping[int | str, dict[str, Any]] | None = None,
) -> APIRouter:
    """The order route; without a reader (the API was built without the order store) it answers 503."""
    router = APIRouter(prefix="/v1/orders", tags=["orders"], dependencies=dependencies)

    @router.get(
        "/{order_id}",
        response_model=OrderAnswer,
        summary="An order, its shipments and their routing decisions",
        description=_DESCRIPTION,
        responses={
            **dict(responses or {}),
            404: {"model": ErrorBody, "description": "The order was never seen"},
            503: {"model": ErrorBody, "description": "No order store configured, or the store is down"},
        },
    )
    async def get_order(order_id: str) -> JsonResponse:
        if reader is None:
            raise ApiError(503, "orders_unavailable", "This API serves no order store.")
        found = await reader.order(order_id)
        if found is None:
            message = f"No order {order_id!r} is known."
            raise ApiError(404, "order_not_found", message, order_id=order_id)
        order, decisions = found
        return JsonResponse(order_body(order, decisions))

    return router


def order_body(order: Order, decisions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The answer: the order in the API's words (ISO times, named line fields), decisions as stored."""
    by_id = {line.line_id: line for line in order.lines}
    return {
        "order_id": order.order_id,
        "status": order.status.value if order.status is not None else None,
        "method": order.method,
        "lines": _lines(order.lines),
        "shipments": [_shipment_body(shipment) for shipment in order.shipments],
        "unplaced": [
            {**_line(by_id[line_id]), "why": why.value}
            for line_id, why in sorted(order.unplaced.items())
            if line_id in by_id
        ],
        "rejected_by": {line_id: sorted(nodes) for line_id, nodes in sorted(order.rejected_by.items())},
        "decisions": list(decisions),
    }


def _shipment_body(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": shipment.shipment_id,
        "location_id": shipment.location_id,
        "status": shipment.status.value,
        "lines": _lines(shipment.lines),
        "requested_at": iso_utc(shipment.requested_at_ms),
        "accept_by": iso_utc(shipment.accept_by_ms),
        "decision_id": shipment.decision_id,
        "dropped": _lines(shipment.dropped),
        "tracking_number": shipment.tracking_number,
    }


def iso_utc(epoch_ms: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC with milliseconds and Z, like the other routes' `as_of`.
    Integer arithmetic: a float of epoch seconds could round the milliseconds."""
    return utc_iso(_EPOCH + timedelta(milliseconds=epoch_ms))


def _lines(lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    return [_line(line) for line in lines]


def _line(line: OrderLine) -> dict[str, Any]:
    return {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity}
