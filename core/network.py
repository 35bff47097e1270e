"""The retail network: locations (what they can do, hours, closed days, costs, safety stock) and the
carrier services that link them to customers. The single place where a location is described."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from core.calendar import zone
from core.carriers import CarrierServices
from core.errors import InvalidEvent
from core.routing_rules import DEFAULT_RULES, RoutingRules

WALK_IN_CHANNELS = frozenset({"store", "pos"})  # sales channels of customers in the store itself


def is_walk_in(channel: str | None) -> bool:
    """A hold or order from the store's own customers sees the units kept from online channels;
    None (a command that names no channel) and every other channel are online."""
    return channel is not None and channel.lower() in WALK_IN_CHANNELS


class LocationKind(StrEnum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    DARK_STORE = "DARK_STORE"
    RELAY_POINT = "RELAY_POINT"
    SUPPLIER = "SUPPLIER"


class Capability(StrEnum):
    SHIP = "SHIP"  # ships orders to customers: its ATP counts in the online network
    PICKUP = "PICKUP"  # customers collect orders there (click & collect)
    RECEIVE_FOR_PICKUP = "RECEIVE_FOR_PICKUP"  # accepts ship-to-store parcels for pickup
    RETURNS = "RETURNS"  # accepts customer returns


@dataclass(frozen=True, slots=True)
class Location:
    location_id: str
    kind: LocationKind
    name: str
    lat: float
    lon: float
    timezone: str
    capabilities: frozenset[Capability]
    safety_stock: int = 0
    opening_hours: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # "mon" -> ("09:00", "20:00")
    daily_pick_capacity: int | None = None  # order lines it can pick per day; None: not limited
    handling_time_minutes: int = 0  # from an accepted order to a parcel ready to leave
    pick_cost_cents: int = 0  # cost of picking one order line there
    online_protection: int = 0  # units kept for walk-in customers: online channels see ATP minus this
    closed_dates: frozenset[date] = frozenset()  # days it stays shut whatever its weekly hours say
    accept_sla_minutes: float | None = None  # time to accept a fulfillment request; None: the default

    @property
    def serves_online(self) -> bool:
        return Capability.SHIP in self.capabilities


@dataclass(frozen=True, slots=True)
class Network:
    """The locations by id; a stock event or a hold naming an id not here is refused by the store
    (`unknown_location`), so no phantom row appears; allocations and releases are not checked."""

    locations: Mapping[str, Location]
    version: str = "0"
    services: CarrierServices | None = None  # the file's carrier services; None: no delivery promise
    routing: RoutingRules = DEFAULT_RULES  # the rule sets orders are routed by (built-ins + the file's)

    def check_known(self, location_id: str) -> None:
        """Raises InvalidEvent (code unknown_location) when `location_id` is not in the network."""
        if location_id not in self.locations:
            message = f"location {location_id} is not in the network file"
            raise InvalidEvent(message, code="unknown_location", location_id=location_id)

    def safety_stock(self, location_id: str) -> int:
        location = self.locations.get(location_id)
        return location.safety_stock if location else 0

    def online_protection(self, location_id: str) -> int:
        location = self.locations.get(location_id)
        return location.online_protection if location else 0

    def serves_online(self, location_id: str) -> bool:
        location = self.locations.get(location_id)
        return location.serves_online if location else False

    def local_days(self, now_ms: int) -> dict[str, str]:
        """Each location's own date ("YYYY-MM-DD") at `now_ms`: the day its daily pick capacity counts
        in, so a store's day turns at its midnight, not at UTC's. One conversion per time zone."""
        zones = {location.timezone for location in self.locations.values()}
        days = {tz: datetime.fromtimestamp(now_ms / 1000, zone(tz)).date().isoformat() for tz in zones}
        return {location_id: days[location.timezone] for location_id, location in self.locations.items()}
