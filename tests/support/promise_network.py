"""A small network and carrier services for the promise tests, with dates chosen by hand.

November 2026: Mon 16, Tue 17, Wed 18, Thu 19, Fri 20, Sat 21, Sun 22; Paris is UTC+1, London UTC+0.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from core.carriers import CarrierServices
from core.carriers_config import parse_services
from core.geo import Place
from core.network import Capability, Location, LocationKind, Network
from core.promise_nodes import PromiseNetwork, prepare

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = dict.fromkeys(DAYS, ("00:00", "24:00"))
SHOP_HOURS = {"mon": ("14:00", "19:00")} | dict.fromkeys(DAYS[1:6], ("10:00", "19:00"))
PARIS_CUSTOMER = Place(48.8566, 2.3522, "Europe/Paris")
SHIP, PICKUP, RECEIVE = Capability.SHIP, Capability.PICKUP, Capability.RECEIVE_FOR_PICKUP


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def location(location_id: str, kind: LocationKind, **fields: Any) -> Location:
    defaults: dict[str, Any] = {
        "name": location_id, "lat": 48.84, "lon": 2.70, "timezone": "Europe/Paris",
        "capabilities": frozenset({SHIP}), "opening_hours": ALWAYS, "handling_time_minutes": 240,
        "pick_cost_cents": 45,
    }  # fmt: skip
    return Location(location_id=location_id, kind=kind, **(defaults | fields))


def network(*extra: Location) -> Network:
    """WH (Bussy, always open, 4 h), SHOP (Paris, shut Sunday, opens 14:00 Monday, 2 h), RP (relay)."""
    locations = [
        location("WH", LocationKind.WAREHOUSE),
        location(
            "SHOP", LocationKind.STORE, lat=48.8606, lon=2.347,
            capabilities=frozenset({SHIP, PICKUP, RECEIVE}),
            opening_hours=SHOP_HOURS, handling_time_minutes=120, pick_cost_cents=180,
        ),
        location(
            "RP", LocationKind.RELAY_POINT, lat=48.865, lon=2.378, capabilities=frozenset({PICKUP, RECEIVE}),
            opening_hours=dict.fromkeys(DAYS[:6], ("08:00", "19:00")),
            handling_time_minutes=0, pick_cost_cents=0,
        ),
        *extra,
    ]  # fmt: skip
    return Network(locations={loc.location_id: loc for loc in locations})


SERVICES_YAML = """
carriers:
  - {service_id: home_standard, kind: home, mode: road, carrier_days: [mon, tue, wed, thu, fri],
     delivery_window: "08:00-19:00", cutoff: "17:00", kind_cutoffs: {store: "12:00"},
     closed_dates: ["2026-11-11"], bands: [{max_km: 1000, days: [1, 2], parcel_cents: 500}]}
  - {service_id: home_express, kind: home, mode: road_express, prefer: speed,
     carrier_days: [mon, tue, wed, thu, fri], delivery_window: "08:00-13:00", cutoff: "17:00",
     bands: [{max_km: 1000, days: [1, 1], parcel_cents: 1200}]}
  - {service_id: relay, kind: relay, mode: relay, carrier_days: [mon, tue, wed, thu, fri],
     delivery_window: "09:00-18:00", cutoff: "17:00", pickup_max_km: 10,
     bands: [{max_km: 1000, days: [2, 3], parcel_cents: 300}]}
  - {service_id: store_transfer, kind: ship_to_store, mode: relay, carrier_days: [mon, tue, wed, thu, fri],
     delivery_window: "07:00-12:00", cutoff: "17:00",
     bands: [{max_km: 1000, days: [1, 1], parcel_cents: 250}]}
click_and_collect: {max_km: 20, stores: 2, price_cents: 0, transfer_service: store_transfer}
"""


def services_raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(SERVICES_YAML)
    return raw


def services() -> CarrierServices:
    return parse_services(services_raw())


def prepared(*extra: Location) -> PromiseNetwork:
    return prepare(network(*extra), services())
