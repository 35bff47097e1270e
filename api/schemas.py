"""Request and response models of the HTTP API: they validate input and document output in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

NonEmptyStr = Annotated[str, Field(min_length=1)]


class NetworkFigures(BaseModel):
    """The sku over the whole network: not narrowed by a location filter."""

    on_hand: int
    in_transit: int
    reserved: int
    allocated: int
    atp: int = Field(description="Network available-to-promise (net of network-level holds)")


class LocationFigures(BaseModel):
    """The sku at one location."""

    location_id: str
    on_hand: int
    in_transit: int
    reserved: int = Field(description="Soft holds (carts)")
    allocated: int = Field(description="Orders placed and not yet shipped")
    safety_stock: int
    atp: int = Field(description="max(0, on_hand - reserved - allocated - safety_stock)")
    online_atp: int = Field(
        description="What online channels may take here: atp less the units kept for walk-in customers"
    )


class SkuAvailability(BaseModel):
    """Everything known of one sku, as of the read."""

    sku: str
    as_of: datetime = Field(description="UTC time of the read (ISO-8601)")
    network: NetworkFigures
    locations: list[LocationFigures] = Field(description="Per location, sorted by location_id")


class BatchRequest(BaseModel):
    """Many skus at once; duplicates are collapsed, the order of first appearance is kept."""

    model_config = ConfigDict(extra="forbid")

    skus: list[NonEmptyStr] = Field(min_length=1, description="Skus to read (non-empty strings)")
    location_ids: list[NonEmptyStr] | None = Field(
        None, min_length=1, description="Only these locations; leave out for every location"
    )


class BatchAvailability(BaseModel):
    """The skus found, in request order, and the skus never seen."""

    as_of: datetime = Field(description="UTC time of the read (ISO-8601)")
    items: list[SkuAvailability] = Field(description="Same shape as GET /v1/availability/{sku}")
    not_found: list[str]


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer; some errors add fields (`sku`, `max_skus`, `dependency`...)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="snake_case code, stable for clients", examples=["sku_not_found"])
    message: str = Field(description="A human sentence")


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(examples=["body.skus.0"])
    message: str
    type: str | None = None


class ValidationErrorBody(ErrorBody):
    """A 422: the request's fields that are not valid."""

    fields: list[FieldProblem]


class Liveness(BaseModel):
    """The process serves."""

    status: str = Field(examples=["ok"])
    version: str


class Readiness(BaseModel):
    """Every dependency answers."""

    status: str = Field(examples=["ready"])
    checks: dict[str, str] = Field(examples=[{"stock_store": "ok"}])
