"""An order's plain, JSON-ready form and back: the state layer stores it, the API shows it.

Empty collections are left out to keep it compact; lines are [line_id, sku, quantity].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.allocation import OrderLine, OrderStatus
from core.order_types import Order, OrderContext, Shipment, ShipmentStatus, Unplaced


def order_to_dict(order: Order) -> dict[str, Any]:
    out: dict[str, Any] = {
        "order_id": order.order_id,
        "method": order.method,
        "status": order.status.value if order.status else None,
        "lines": _lines_out(order.lines),
        "shipments": [_shipment_out(s) for s in order.shipments],
    }
    if order.rejected_by:
        out["rejected_by"] = {line_id: sorted(nodes) for line_id, nodes in sorted(order.rejected_by.items())}
    if order.unplaced:
        out["unplaced"] = {line_id: why.value for line_id, why in sorted(order.unplaced.items())}
    if order.decisions:
        out["decisions"] = list(order.decisions)
    context = {name: getattr(order.context, name) for name in OrderContext.__slots__}
    if any(value is not None for value in context.values()):
        out["context"] = {name: value for name, value in context.items() if value is not None}
    return out


def order_from_dict(data: Mapping[str, Any]) -> Order:
    return Order(
        order_id=data["order_id"],
        lines=_lines_in(data["lines"]),
        method=data["method"],
        status=OrderStatus(data["status"]) if data.get("status") else None,
        shipments=tuple(_shipment_in(s) for s in data.get("shipments", ())),
        rejected_by={line_id: frozenset(nodes) for line_id, nodes in data.get("rejected_by", {}).items()},
        unplaced={line_id: Unplaced(why) for line_id, why in data.get("unplaced", {}).items()},
        context=OrderContext(**data.get("context", {})),
        decisions=tuple(data.get("decisions", ())),
    )


def _shipment_out(s: Shipment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "shipment_id": s.shipment_id,
        "location_id": s.location_id,
        "status": s.status.value,
        "lines": _lines_out(s.lines),
        "requested_at_ms": s.requested_at_ms,
        "accept_by_ms": s.accept_by_ms,
        "decision_id": s.decision_id,
    }
    if s.dropped:
        out["dropped"] = _lines_out(s.dropped)
    if s.tracking_number is not None:
        out["tracking_number"] = s.tracking_number
    return out


def _shipment_in(data: Mapping[str, Any]) -> Shipment:
    return Shipment(
        shipment_id=data["shipment_id"],
        location_id=data["location_id"],
        lines=_lines_in(data["lines"]),
        status=ShipmentStatus(data["status"]),
        requested_at_ms=int(data["requested_at_ms"]),
        accept_by_ms=int(data["accept_by_ms"]),
        decision_id=data["decision_id"],
        dropped=_lines_in(data.get("dropped", ())),
        tracking_number=data.get("tracking_number"),  # absent from orders stored before issue 17
    )


def _lines_out(lines: Sequence[OrderLine]) -> list[list[str | int]]:
    return [[line.line_id, line.sku, line.quantity] for line in lines]


def _lines_in(rows: Sequence[Sequence[Any]]) -> tuple[OrderLine, ...]:
    return tuple(OrderLine(str(line_id), str(sku), int(quantity)) for line_id, sku, quantity in rows)
