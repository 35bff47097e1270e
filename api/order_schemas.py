"""Response models of GET /v1/orders/{order_id}: they document the answer in OpenAPI.

The route answers plain JSON built from the stored order (see api.routes.orders); these models say
what it holds. A decision is shown as stored (core.routing_types.decision_dict plus "order_id"), so
its model allows fields a newer router may add.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class OrderLineBody(BaseModel):
    line_id: str
    sku: str
    quantity: int


class ShipmentBody(BaseModel):
    shipment_id: str
    location_id: str
    status: str = Field(
        description=(
            "REQUESTED, ACCEPTED, PICKED, READY_FOR_PICKUP (click & collect: at the counter), SHIPPED,"
            " COLLECTED, DELIVERED, REJECTED or CANCELLED"
        )
    )
    lines: list[OrderLineBody] = Field(description="The lines this node still serves")
    requested_at: datetime = Field(description="When the request was sent to the node (UTC)")
    accept_by: datetime = Field(description="Not accepted by then (the node's SLA), it is re-routed (UTC)")
    decision_id: str = Field(description="The routing decision that placed it, in `decisions`")
    dropped: list[OrderLineBody] = Field(description="Lines this node rejected or cancelled")
    tracking_number: str | None = Field(
        default=None, description="The carrier's parcel number, once the node reported it SHIPPED"
    )


class UnplacedLineBody(BaseModel):
    line_id: str
    sku: str
    quantity: int
    why: str = Field(
        description="REROUTE (released, waits for the router), BACKORDERED, or UNFULFILLABLE (given up)"
    )


class DecisionShipmentBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    location_id: str
    carrier_service: str
    lines: list[OrderLineBody]
    promised_earliest: datetime
    promised_latest: datetime
    cost_cents: int
    co2e_grams: int
    km: float


class CandidateBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    location_id: str
    chosen: bool
    excluded_by: str | None = Field(description="The first filter that excluded the node, or null")
    reason: str
    lines: list[str] = Field(description="Line ids the node could serve")
    score: float | None
    scores: dict[str, float] = Field(description="Unweighted score components")
    rank: int


class DecisionBody(BaseModel):
    """A routing decision as recorded (routing.decisions.v1 names the same fields)."""

    model_config = ConfigDict(extra="allow")

    decision_id: str
    order_id: str
    rule_set: str
    rule_set_version: str
    strategy: str | None
    method: str
    decided_at: datetime
    search: str = Field(description="exact (every combination within the bound) or greedy")
    score: float | None
    scores: dict[str, float]
    shipments: list[DecisionShipmentBody]
    unrouted: list[dict[str, object]] = Field(description="Lines not routed: line_id, sku, quantity, reason")
    candidates: list[CandidateBody] = Field(description="Every node considered and what excluded it")


class OrderAnswer(BaseModel):
    order_id: str
    status: str | None = Field(
        description="ROUTED, PARTIALLY_ROUTED, BACKORDERED, UNFULFILLABLE, SHIPPED, COMPLETED, CANCELLED; "
        "null before the first routing"
    )
    method: str = Field(description="HOME_STANDARD, HOME_EXPRESS, CLICK_COLLECT or RELAY")
    lines: list[OrderLineBody]
    shipments: list[ShipmentBody] = Field(description="In the order they were created, re-routes included")
    unplaced: list[UnplacedLineBody] = Field(description="Lines in no live shipment, and why")
    rejected_by: dict[str, list[str]] = Field(
        description="line_id -> the nodes that rejected it (it is never routed back there)"
    )
    decisions: list[DecisionBody] = Field(
        description="Every routing decision of the order, oldest first (the last says why it ended as "
        "it did, e.g. UNFULFILLABLE); one that expired (kept for the retention period) is left out"
    )
