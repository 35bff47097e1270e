"""The values a delivery promise takes and gives: cart lines, shipments, options, verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CHEAPEST, FASTEST, GREENEST = "cheapest", "fastest", "greenest"
CLICK_AND_COLLECT = "click_and_collect"  # the method name of collecting in a store


@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Shipment:
    """The lines one node sends (or, for click & collect from the store's stock, hands over)."""

    location_id: str
    lines: tuple[CartLine, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a node or pickup point was used or passed over for an option."""

    location_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PromiseOption:
    """One way to get the whole cart. Times are aware UTC; `timezone` is the receiving place's, to show
    them in local time. `parcels` counts carrier parcels (0: collected from the store's own stock)."""

    method: str  # a carrier service id, or CLICK_AND_COLLECT
    kind: str  # "home", "relay" or "click_and_collect"
    shipments: tuple[Shipment, ...]
    parcels: int
    earliest: datetime  # delivery, or ready for pickup
    latest: datetime
    timezone: str
    price_cents: int  # what the customer pays
    cost_cents: int  # what it costs the retailer: carrier parcels and picking (the sourcing criterion)
    co2e_grams: int
    pickup_location_id: str | None = None  # relay point or store, for pickup methods
    ship_to_store: bool = False  # click & collect of stock sent from another node
    labels: tuple[str, ...] = ()  # CHEAPEST / FASTEST / GREENEST when it is
    considered: tuple[Verdict, ...] = ()  # filled when explaining


@dataclass(frozen=True, slots=True)
class PromiseResult:
    options: tuple[PromiseOption, ...]
    unserved: tuple[CartLine, ...]  # lines that no option's nodes have the ATP for
