"""Request and response models of the store routes: they validate the actions' bodies and document
the store associate's screen in OpenAPI."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.store_actions import RejectReason

Text = Annotated[str, Field(min_length=1, max_length=200)]


class StoreEntry(BaseModel):
    location_id: str
    name: str
    kind: Literal["STORE", "DARK_STORE"]
    timezone: str = Field(description="IANA time zone of the store's clocks")


class StoresAnswer(BaseModel):
    stores: list[StoreEntry] = Field(description="The stores this API key acts for, by location_id")


class QueueLine(BaseModel):
    line_id: str
    sku: str
    quantity: int


class QueuedShipment(BaseModel):
    order_id: str
    shipment_id: str
    status: str = Field(description="The effective status: the worker's, or the last action published")
    pending: bool = Field(description="True while the worker has not applied the last action published")
    method: str
    flow: Literal["SHIP", "PICKUP"] = Field(description="PICKUP: collected at this store's counter")
    lines: list[QueueLine]
    requested_at: str
    accept_by: str = Field(description="Not accepted by then, the shipment is re-routed")
    promised_earliest: str | None
    promised_latest: str | None
    due_at: str = Field(description="What the queue is sorted by (accept_by while waiting to be accepted)")
    age_s: int = Field(description="Seconds since the shipment was requested")
    actions: list[str] = Field(description="The actions allowed now, the next step first")


class Capacity(BaseModel):
    day: str = Field(description="The store's local date, YYYY-MM-DD")
    used: int = Field(description="Lines picked that day")
    daily: int | None = Field(description="The store's daily pick capacity in lines; null: not limited")


class StoreQueue(BaseModel):
    location_id: str
    name: str
    timezone: str
    as_of: str
    capacity: Capacity
    shipments: list[QueuedShipment] = Field(description="Sorted by due_at, the most urgent first")


class RejectBody(BaseModel):
    """Reject all of the shipment's lines, or those named."""

    model_config = ConfigDict(extra="forbid")
    reason: RejectReason
    line_ids: Annotated[list[Text], Field(min_length=1, max_length=500)] | None = None


class ShippedBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_number: Annotated[str, Field(min_length=1, max_length=64)]


class ActionAnswer(BaseModel):
    event_id: str = Field(description="The fulfillment.updates.v1 event's id: the same for the same action")
    order_id: str
    shipment_id: str
    location_id: str
    status: str = Field(description="The status the event asks for")
    duplicate: bool = Field(description="True when this action was already published: nothing new was sent")


class HereFigures(BaseModel):
    location_id: str
    name: str
    on_hand: int
    in_transit: int
    reserved: int
    allocated: int
    safety_stock: int
    atp: int


class NearbyStore(BaseModel):
    location_id: str
    name: str
    kind: str
    distance_km: float = Field(description="As the crow flies, to 0.1 km")
    on_hand: int
    atp: int


class StockLookup(BaseModel):
    sku: str
    as_of: str
    here: HereFigures | None = Field(description="null when the sku was never seen at this store")
    nearby: list[NearbyStore] = Field(description="The nearest other stores with atp > 0, nearest first")


class CountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Text
    on_hand: Annotated[int, Field(ge=0, le=1_000_000_000)]
    count_id: Text | None = Field(
        default=None, description="Sent again with a retried request, the count goes out once"
    )


class CountAnswer(BaseModel):
    event_id: str
    duplicate: bool
