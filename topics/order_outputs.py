"""Routing outputs: fulfillment requests, order statuses and routing decisions (Avro or JSON records).

Low volume (a few records per order), so records are dicts written by the output codec (compiled
Avro writer, or JSON); each comes back as a topics.records.OutRecord with its schema's headers,
ready for the worker to produce.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from core.allocation import OrderLine, OrderStatus
from core.order_types import Order, Shipment
from core.routing_types import RoutedShipment, RoutingDecision, decision_dict
from topics.catalog import FULFILLMENT_REQUESTS, ORDER_STATUS, ROUTING_DECISIONS
from topics.output_codec import OutputCodec, output_codec
from topics.output_headers import OutputFormat
from topics.records import OutRecord

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """An aware datetime as integer epoch milliseconds (exact: no float on the way)."""
    return (moment - EPOCH) // ONE_MS


def request_event_id(shipment: Shipment) -> str:
    """Deterministic, so a replayed step produces the same id; unique per send, because a shipment is
    requested once per decision (a re-route makes a new shipment under a new decision)."""
    return f"{shipment.shipment_id}:request:{shipment.decision_id}"


def status_event_id(cause_event_id: str, status: OrderStatus) -> str:
    """One status per cause and value: a cause that moves the order twice gives two distinct ids."""
    return f"{cause_event_id}:status:{status.value}"


def decision_event_id(decision_id: str) -> str:
    return f"{decision_id}:decision"


class OrderOutputs:
    """Encodes the three routing outputs; each is keyed by order_id, so an order's records stay in order."""

    def __init__(self, codec: OutputCodec) -> None:
        self._codec = codec

    def fulfillment_request(
        self, order: Order, shipment: Shipment, routed: RoutedShipment | None, method: str, now_ms: int
    ) -> OutRecord:
        """One shipment for its node. Its lines are the shipment's (what was allocated); `routed` gives
        the carrier service and promise. Without it (the decision is not at hand) the record says
        promise_known=false, carrier_service "" and promised dates equal to the request time."""
        record: dict[str, Any] = {
            "event_id": request_event_id(shipment),
            "occurred_at": now_ms,
            "order_id": order.order_id,
            "shipment_id": shipment.shipment_id,
            "location_id": shipment.location_id,
            "lines": _lines(shipment.lines),
            "method": method,
            "decision_id": shipment.decision_id,
            "accept_by": shipment.accept_by_ms,
            **_promise(routed, shipment.requested_at_ms),
        }
        return self._record(FULFILLMENT_REQUESTS, "fulfillment_request.v1", order.order_id, record)

    def order_status(
        self, order: Order, status: OrderStatus, cause_event_id: str, now_ms: int, reason: str | None = None
    ) -> OutRecord:
        """Where the order stands: `status` (not order.status: the caller publishes what the step said),
        every shipment with its status, and the lines in no live shipment with why."""
        record = {
            "event_id": status_event_id(cause_event_id, status),
            "occurred_at": now_ms,
            "order_id": order.order_id,
            "status": status.value,
            "shipments": [_shipment_summary(s) for s in order.shipments],
            "decision_id": order.shipments[-1].decision_id if order.shipments else None,
            "reason": reason,
            "method": order.method,
            "unplaced": _unplaced(order),
            "cause_event_id": cause_event_id,
        }
        return self._record(ORDER_STATUS, "order_status.v1", order.order_id, record)

    def routing_decision(
        self,
        order_id: str,
        decision: RoutingDecision,
        strategy: str | None,
        now_ms: int,
        as_dict: Mapping[str, Any] | None = None,
    ) -> OutRecord:
        """Everything decision_dict gives (same names, same rounding), times as epoch milliseconds.
        `as_dict`: decision_dict(decision, strategy) when the caller has it already (not recomputed)."""
        record: dict[str, Any] = dict(as_dict) if as_dict is not None else decision_dict(decision, strategy)
        record |= {
            "event_id": decision_event_id(decision.decision_id),
            "occurred_at": now_ms,
            "order_id": order_id,
            "decided_at": epoch_ms(decision.decided_at),
            "shipments": [
                {**out, "promised_earliest": epoch_ms(s.earliest), "promised_latest": epoch_ms(s.latest)}
                for out, s in zip(record["shipments"], decision.shipments, strict=True)
            ],
        }
        return self._record(ROUTING_DECISIONS, "routing_decision.v1", order_id, record)

    def _record(self, topic: str, schema: str, order_id: str, record: dict[str, Any]) -> OutRecord:
        codec = self._codec
        return OutRecord(topic, order_id.encode(), codec.encode(schema, record), codec.headers(schema))


def order_outputs(
    registry_url: str | None, topic_prefix: str = "", output_format: OutputFormat = "avro"
) -> OrderOutputs:
    """The outputs for `settings.schema_registry_url` when set, else for the repo's schema list."""
    return OrderOutputs(output_codec(registry_url, topic_prefix, output_format))


def _promise(routed: RoutedShipment | None, requested_at_ms: int) -> dict[str, Any]:
    if routed is None:
        return {
            "carrier_service": "",
            "promised_earliest": requested_at_ms,
            "promised_latest": requested_at_ms,
            "promise_known": False,
        }
    return {
        "carrier_service": routed.carrier_service,
        "promised_earliest": epoch_ms(routed.earliest),
        "promised_latest": epoch_ms(routed.latest),
        "promise_known": True,
        "cost_cents": routed.cost_cents,
        "co2e_grams": routed.co2e_grams,
        "distance_km": round(routed.km, 1),
    }


def _shipment_summary(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": shipment.shipment_id,
        "location_id": shipment.location_id,
        "lines": _lines(shipment.lines),
        "status": shipment.status.value,
        "decision_id": shipment.decision_id,
        "accept_by": shipment.accept_by_ms,
        "dropped": _lines(shipment.dropped),
        "tracking_number": shipment.tracking_number,
    }


def _unplaced(order: Order) -> list[dict[str, Any]]:
    return [
        {**_line(line), "why": order.unplaced[line.line_id].value}
        for line in order.lines
        if line.line_id in order.unplaced
    ]


def _lines(lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    return [_line(line) for line in lines]


def _line(line: OrderLine) -> dict[str, Any]:
    return {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity}
