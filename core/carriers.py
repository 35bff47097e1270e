"""Carrier services: transit days, price and CO2e by distance, cut-offs and the carrier's own calendar.

CO2e factors per transport mode, grams of CO2e per parcel: `per_km` for the trunk haul (a parcel of
about 2 kg; road groupage ~0.1 kg CO2e per tonne-km in ADEME / GLEC-style figures, express vans run
emptier, air freight ~1 kg per tonne-km) plus `per_parcel` for the last stop (a van stop at a home,
a consolidated drop at a relay point or store). Figures are orders of magnitude, documented so that
options compare fairly; a service may not override them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.calendar import SEARCH_DAYS, Calendar, wall_moment


@dataclass(frozen=True, slots=True)
class Mode:
    name: str
    per_km: float  # g CO2e per parcel-km of trunk haul
    per_parcel: float  # g CO2e per parcel for the last stop


MODES: Mapping[str, Mode] = {
    "road": Mode("road", per_km=0.2, per_parcel=150.0),  # groupage truck then a delivery round
    "road_express": Mode("road_express", per_km=0.5, per_parcel=250.0),  # dedicated, emptier vans
    "air": Mode("air", per_km=2.0, per_parcel=250.0),  # air freight then an express van
    "relay": Mode("relay", per_km=0.2, per_parcel=40.0),  # truck then a drop shared by many parcels
    "cargo_bike": Mode("cargo_bike", per_km=0.0, per_parcel=20.0),  # urban last mile, electric
}


class ServiceKind(StrEnum):
    HOME = "home"  # to the customer's door
    RELAY = "relay"  # to a relay point or locker near the customer
    SHIP_TO_STORE = "ship_to_store"  # to a store, for click & collect of stock held elsewhere


class Prefer(StrEnum):
    PARCELS = "parcels"  # one node if one can serve it all, else fewest parcels, then cost
    SPEED = "speed"  # the earliest date, then fewest parcels, then cost


@dataclass(frozen=True, slots=True)
class DistanceBand:
    max_km: float
    min_days: int  # carrier days from collection to delivery, at best
    max_days: int  # and at worst
    parcel_cents: int  # price of one parcel in this band


@dataclass(frozen=True, slots=True)
class CarrierService:
    service_id: str
    kind: ServiceKind
    mode: Mode
    bands: tuple[DistanceBand, ...]  # by max_km ascending; beyond the last, the service does not go
    carrier_days: frozenset[int]  # weekdays (0 = Monday) the carrier collects and delivers
    delivery_window: tuple[int, int]  # minutes after midnight, in the receiver's time zone
    cutoff: int  # minutes after local midnight the carrier collects at a location
    kind_cutoffs: Mapping[str, int] = field(default_factory=dict)  # by LocationKind value
    location_cutoffs: Mapping[str, int] = field(default_factory=dict)  # by location_id: wins
    closed_dates: frozenset[date] = frozenset()  # carrier holidays: no collection, no delivery
    prefer: Prefer = Prefer.PARCELS
    pickup_max_km: float = 10.0  # relay: how far from the customer a relay point may be
    pickup_points: int = 3  # relay: how many of the nearest points to consider

    def band(self, km: float) -> DistanceBand | None:
        return next((band for band in self.bands if km <= band.max_km), None)

    def cutoff_for(self, location_id: str, kind: str) -> int:
        return self.location_cutoffs.get(location_id, self.kind_cutoffs.get(kind, self.cutoff))

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.carrier_days and day not in self.closed_dates

    def add_days(self, start: date, days: int) -> date:
        """The `days`-th carrier day after `start` (0: `start` itself)."""
        day = start
        for _ in range(days):
            day += timedelta(days=1)
            while not self.works_on(day):
                day += timedelta(days=1)
        return day

    def co2e_grams(self, km: float, parcels: int) -> int:
        return math.ceil(parcels * (self.mode.per_km * km + self.mode.per_parcel))


@dataclass(frozen=True, slots=True)
class ClickAndCollect:
    max_km: float = 25.0  # stores farther than this from the customer are not offered
    stores: int = 3  # how many of the nearest pickup stores to consider
    price_cents: int = 0  # what the customer pays
    transfer_service: str | None = None  # a ship_to_store service; None: only stores with the stock


@dataclass(frozen=True, slots=True)
class CarrierServices:
    services: Mapping[str, CarrierService]
    click_and_collect: ClickAndCollect | None = None

    def of_kind(self, kind: ServiceKind) -> tuple[CarrierService, ...]:
        return tuple(s for s in self.services.values() if s.kind is kind)


def collection(service: CarrierService, calendar: Calendar, cutoff: int, ready: datetime) -> datetime | None:
    """When the carrier takes a parcel ready at `ready`: its first pass at the cut-off, on a carrier day,
    while the location is open (nobody hands a parcel over at a closed door), at or after `ready`."""
    day = calendar.local(ready).date()
    for _ in range(SEARCH_DAYS):
        interval = calendar.interval(day)
        if service.works_on(day) and interval is not None and interval[0] <= cutoff <= interval[1]:
            moment = calendar.moment(day, cutoff)
            if moment >= ready:
                return moment
        day += timedelta(days=1)
    return None


def delivery_window(
    service: CarrierService, days: tuple[int, int], collected: datetime, collected_day: date, timezone: str
) -> tuple[datetime, datetime]:
    """Earliest and latest delivery for a parcel collected at `collected` (local date `collected_day`),
    `days` = (min, max) carrier days of transit, in the receiver's `timezone` and delivery window."""
    first = service.add_days(collected_day, days[0])
    if wall_moment(timezone, first, service.delivery_window[1]) <= collected:
        first = service.add_days(first, 1)  # same-day service collected after the last round
    last = max(first, service.add_days(collected_day, days[1]))
    earliest = max(collected, wall_moment(timezone, first, service.delivery_window[0]))
    return earliest, wall_moment(timezone, last, service.delivery_window[1])
