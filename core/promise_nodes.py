"""The network as a promise reads it (prepared once per network) and one promise's per-node offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.calendar import Calendar, after_open_minutes, calendar_of
from core.carriers import CarrierService, CarrierServices, collection, delivery_window
from core.geo import Place, distance_km
from core.network import Capability, Location, LocationKind, Network
from core.promise_types import CartLine, Verdict
from core.sourcing import Quote

AtpView = Mapping[tuple[str, str], int]  # (sku, location_id) -> live ATP, holds and safety stock out
Terms = tuple[int, datetime, datetime, int]  # a parcel's cents, earliest and latest arrival, CO2e grams


@dataclass(frozen=True, slots=True)
class PromiseNetwork:
    """What a promise needs of the network and services, built once per network version."""

    network: Network
    services: CarrierServices
    calendars: Mapping[str, Calendar]
    places: Mapping[str, Place]
    shippers: tuple[Location, ...]  # SHIP capability, by id
    pickup_stores: tuple[Location, ...]  # PICKUP capability, not relay points, by id
    relay_points: tuple[Location, ...]  # relay points and lockers with PICKUP, by id


def prepare(network: Network, services: CarrierServices) -> PromiseNetwork:
    """Calendars (weekly hours and closed dates) and the node lists of each role."""
    locations = sorted(network.locations.values(), key=lambda location: location.location_id)
    calendars = {
        loc.location_id: calendar_of(loc.timezone, loc.opening_hours, loc.closed_dates) for loc in locations
    }
    relay = LocationKind.RELAY_POINT
    return PromiseNetwork(
        network=network,
        services=services,
        calendars=calendars,
        places={loc.location_id: place_of(loc) for loc in locations},
        shippers=tuple(loc for loc in locations if Capability.SHIP in loc.capabilities),
        pickup_stores=tuple(
            loc for loc in locations if Capability.PICKUP in loc.capabilities and loc.kind is not relay
        ),
        relay_points=tuple(
            loc for loc in locations if Capability.PICKUP in loc.capabilities and loc.kind is relay
        ),
    )


def place_of(location: Location) -> Place:
    return Place(location.lat, location.lon, location.timezone)


def nearest(
    locations: Sequence[Location], to: Place, max_km: float, count: int
) -> list[tuple[float, Location]]:
    """Up to `count` locations within `max_km` of `to`, nearest first (ties by id)."""
    near = [(distance_km(place_of(loc), to), loc) for loc in locations]  # few: pickup points only
    near = [pair for pair in near if pair[0] <= max_km]
    return sorted(near, key=lambda pair: (pair[0], pair[1].location_id))[:count]


class Timetable:
    """When each node is ready and when its parcels arrive, for one `now` and one prepared network:
    the same for every cart, so a batch of orders decided at the same moment computes each once."""

    def __init__(self, prepared: PromiseNetwork, now: datetime) -> None:
        self.prepared, self.now = prepared, now
        self.ready: dict[str, datetime | None] = {}
        self.dates: dict[tuple[str, str, int, int, str], tuple[datetime, datetime] | None] = {}
        self.terms: dict[tuple[str, str, float, float, str], Terms | str] = {}  # PromiseContext.terms
        self.routing: dict[tuple[object, ...], object] = {}  # routing's per-batch frames (routing_nodes)

    def fits(self, prepared: PromiseNetwork, now: datetime) -> bool:
        return self.prepared is prepared and self.now == now


class PromiseContext:
    """One promise's cart, clock and stock, with the per-node figures every method shares."""

    def __init__(
        self,
        prepared: PromiseNetwork,
        lines: tuple[CartLine, ...],
        now: datetime,
        atp: AtpView,
        timetable: Timetable | None = None,
    ):
        self.prepared, self.lines, self.now, self.atp = prepared, lines, now, atp
        self.full = (1 << len(lines)) - 1
        self.served = 0  # lines some option's node could serve
        self._masks: dict[str, int] = {}
        shared = (
            timetable if timetable is not None and timetable.fits(prepared, now) else Timetable(prepared, now)
        )
        self.timetable = shared
        self._ready, self._dates, self._terms = shared.ready, shared.dates, shared.terms

    def mask(self, location_id: str) -> int:
        """Bit i set when the location has the ATP for the whole of line i."""
        bits = self._masks.get(location_id)
        if bits is None:
            bits = 0
            for index, line in enumerate(self.lines):
                if self.atp.get((line.sku, location_id), 0) >= line.quantity:
                    bits |= 1 << index
            self._masks[location_id] = bits
        return bits

    def ready(self, location: Location) -> datetime | None:
        """When an order accepted now is prepared there: handling time within opening hours."""
        key = location.location_id
        if key not in self._ready:
            calendar = self.prepared.calendars[key]
            self._ready[key] = after_open_minutes(calendar, self.now, location.handling_time_minutes)
        return self._ready[key]

    def quotes(
        self, service: CarrierService, to: Place, exclude: str | None = None
    ) -> tuple[list[Quote], list[Verdict]]:
        """Every shipper's offer to send its lines to `to`, and why the others make none."""
        quotes: list[Quote] = []
        verdicts: list[Verdict] = []
        for node in self.prepared.shippers:
            if node.location_id == exclude:
                continue
            offer = self.quote(node, service, to) if self.mask(node.location_id) else "no ATP for any line"
            if isinstance(offer, str):
                verdicts.append(Verdict(node.location_id, offer))
            else:
                quotes.append(offer)
                self.served |= offer.mask
        return quotes, verdicts

    def quote(
        self, node: Location, service: CarrierService, to: Place, km: float | None = None
    ) -> Quote | str:
        """`km`: the node's distance to `to`, when the caller has it already."""
        terms = self.terms(node, service, to, km)
        if isinstance(terms, str):
            return terms
        parcel_cents, earliest, latest, co2e_grams = terms
        return Quote(
            location_id=node.location_id,
            mask=self.mask(node.location_id),
            parcel_cents=parcel_cents,
            pick_cents=node.pick_cost_cents,
            earliest=earliest,
            latest=latest,
            co2e_grams=co2e_grams,
        )

    def terms(
        self, node: Location, service: CarrierService, to: Place, km: float | None = None
    ) -> Terms | str:
        """A parcel from `node` to `to`: (parcel_cents, earliest, latest, co2e_grams), or why there is
        none. The same for every cart, so kept in the timetable: routing asks for every node of every
        order, and most orders of a batch share their destinations."""
        key = (node.location_id, service.service_id, to.lat, to.lon, to.timezone)
        terms = self._terms.get(key)
        if terms is None:
            terms = self._terms[key] = self._terms_of(node, service, to, km)
        return terms

    def _terms_of(self, node: Location, service: CarrierService, to: Place, km: float | None) -> Terms | str:
        if km is None:
            km = distance_km(self.prepared.places[node.location_id], to)
        band = service.band(km)
        if band is None:
            return f"{km:.0f} km is beyond what {service.service_id} serves"
        key = (node.location_id, service.service_id, band.min_days, band.max_days, to.timezone)
        if key not in self._dates:
            self._dates[key] = self._dates_of(node, service, (band.min_days, band.max_days), to.timezone)
        dates = self._dates[key]
        if dates is None:
            return "no carrier collection while open within the search horizon"
        return band.parcel_cents, dates[0], dates[1], service.co2e_grams(km, 1)

    def _dates_of(
        self, node: Location, service: CarrierService, days: tuple[int, int], timezone: str
    ) -> tuple[datetime, datetime] | None:
        """Earliest and latest delivery from `node`: prepared, collected at the cut-off, in transit."""
        ready = self.ready(node)
        calendar = self.prepared.calendars[node.location_id]
        cutoff = service.cutoff_for(node.location_id, node.kind.value)
        collected = None if ready is None else collection(service, calendar, cutoff, ready)
        if collected is None:
            return None
        return delivery_window(service, days, collected, calendar.local(collected).date(), timezone)
