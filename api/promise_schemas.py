"""Request and response models of POST /v1/promises."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_LINES = 100
MAX_QUANTITY = 10_000


class PromiseLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Annotated[str, Field(min_length=1, max_length=128)]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]


class Destination(BaseModel):
    """Where the cart goes: a postcode (looked up by its longest known prefix) or coordinates."""

    model_config = ConfigDict(extra="forbid")

    postcode: Annotated[str | None, Field(min_length=1, max_length=16)] = None
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    timezone: str | None = Field(
        None,
        description="IANA zone of the customer's clock; default: the postcode's, or the nearest known one",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> Destination:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if self.postcode is None and self.lat is None:
            raise ValueError("give a postcode or lat and lon")
        return self


class PromiseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[PromiseLine] = Field(min_length=1, max_length=MAX_LINES)
    destination: Destination
    methods: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, description="Only these methods (service ids or click_and_collect); default all"
    )


class ShipmentBody(BaseModel):
    location_id: str
    lines: list[PromiseLine]


class Consideration(BaseModel):
    location_id: str
    reason: str = Field(description="'chosen: ...', or why this node or pickup point lost")


class OptionBody(BaseModel):
    method: str = Field(description="A carrier service id, or click_and_collect")
    kind: str = Field(description="home, relay or click_and_collect")
    labels: list[str] = Field(description="cheapest, fastest, greenest: when this option is (ties share)")
    earliest: datetime = Field(description="Earliest delivery or ready-for-pickup time, in `timezone`")
    latest: datetime = Field(description="Latest delivery or ready-for-pickup time, in `timezone`")
    timezone: str = Field(description="The receiving place's IANA time zone (customer, relay or store)")
    price_cents: int = Field(description="What the customer pays for delivery, minor units")
    co2e_grams: int
    parcels: int = Field(description="Carrier parcels; 0 when collected from the store's own stock")
    pickup_location_id: str | None = Field(None, description="The relay point or store, for pickups")
    ship_to_store: bool = Field(False, description="Click & collect of stock sent from other nodes")
    shipments: list[ShipmentBody]
    considered: list[Consideration] | None = Field(None, description="With ?explain=true")


class PromiseAnswer(BaseModel):
    as_of: datetime = Field(description="UTC time the promise was computed for")
    network_version: str
    destination: Destination
    options: list[OptionBody] = Field(description="One per method that can serve the whole cart")
    unserved: list[PromiseLine] = Field(description="Lines no node has the ATP for")
