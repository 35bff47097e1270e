"""Web shoppers: carts filled over a few minutes, most then placed as orders for home, store or relay.

A session is anchored at a store (its nearby shoppers buy online too); a third of shoppers live
anywhere in the postcode table instead. Its first event is returned at once and the rest (more cart
lines, the order or the abandonment, an occasional cancellation) are kept in a heap by simulated time
and handed out by `follow_ups_before`, like the simulation's transfer arrivals.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from core.geo import Place
from core.network import Capability, Location, LocationKind, Network
from omnistock.sim.events import Item, stamp
from omnistock.sim.stock import Catalogue
from topics.catalog import CART_EVENTS, ORDERS

_MINUTE_MS = 60_000
# Online sessions per hour by Paris local hour, relative (a quiet night, a lunch bump, an evening peak).
_WEB_HOURLY = (
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 1.0, 1.1, 1.2,
    1.4, 1.3, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.9, 2.0, 1.6, 0.8,
)  # fmt: skip
SESSIONS_PER_HOUR = 40.0  # network-wide at a relative intensity of 1: 5-10 % of the events by day
EVENTS_PER_SESSION = 2.6  # cart lines, the order or abandonment, cancellations: what a session costs
_METHODS = ("HOME_STANDARD", "HOME_EXPRESS", "CLICK_COLLECT", "RELAY")
_METHOD_WEIGHTS = (52, 20, 16, 12)
_PICKUP_KM = 40.0


def web_intensity(at: datetime) -> float:
    """Relative online activity at `at`, read on the Paris clock (the shop is French)."""
    return _WEB_HOURLY[at.astimezone(ZoneInfo("Europe/Paris")).hour]


def _km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    x = math.radians(lon_b - lon_a) * math.cos(math.radians((lat_a + lat_b) / 2))
    return 6371.0 * math.hypot(x, math.radians(lat_b - lat_a))


class WebShop:
    """Builds carts.events.v1 and orders.v1 events; `session` is the simulation's action for one shopper."""

    def __init__(self, network: Network, catalogue: Catalogue, postcodes: Mapping[str, Place]) -> None:
        self.catalogue, self.postcodes = catalogue, dict(sorted(postcodes.items()))
        locations = list(network.locations.values())
        self.pickup_stores = [
            loc
            for loc in locations
            if loc.kind is LocationKind.STORE and Capability.PICKUP in loc.capabilities
        ]
        self.relays = [
            loc
            for loc in locations
            if loc.kind is LocationKind.RELAY_POINT and Capability.PICKUP in loc.capabilities
        ]
        self._pending: list[tuple[int, int, Item]] = []
        self._sequence = itertools.count(1)
        self._near_prefix: dict[str, str] = {}
        self._near_point: dict[tuple[str, str], Location | None] = {}

    def session(self, anchor: Location, at_ms: int, rng: random.Random) -> Item:
        """A shopper near `anchor` (or anywhere): 85 % fill a cart first, the rest order at once."""
        prefix = self._prefix(anchor, rng)
        delivery = self._delivery(prefix, rng)
        lines = self._lines(rng)
        if rng.random() < 0.15:
            return self._place(None, lines, delivery, at_ms, rng)
        cart_id = f"CART-{next(self._sequence):08d}"
        pickup = delivery["pickup_location_id"] if delivery["method"] == "CLICK_COLLECT" else None
        first, *more = (self._line_set(cart_id, sku, quantity, pickup) for sku, quantity in lines)
        at = at_ms
        for event in more:
            at += rng.randint(1, 4) * _MINUTE_MS
            self._later(at, (CART_EVENTS, cart_id, stamp(event, at, rng)))
        at += rng.randint(1, 10) * _MINUTE_MS
        fate = rng.random()
        if fate < 0.75:
            self._later(at, self._place(cart_id, lines, delivery, at, rng))
        elif fate < 0.9:  # the storefront gives up on an idle cart; the others lapse by the hold TTL
            at += rng.randint(20, 40) * _MINUTE_MS
            event = {"cart_id": cart_id, "type": "ABANDONED", "channel": "web"}
            self._later(at, (CART_EVENTS, cart_id, stamp(event, at, rng)))
        return (CART_EVENTS, cart_id, stamp(first, at_ms, rng))

    def follow_ups_before(self, end_ms: int) -> list[tuple[int, Item]]:
        due = []
        while self._pending and self._pending[0][0] < end_ms:
            at_ms, _, item = heapq.heappop(self._pending)
            due.append((at_ms, item))
        return due

    def _later(self, at_ms: int, item: Item) -> None:
        heapq.heappush(self._pending, (at_ms, next(self._sequence), item))

    def _place(
        self,
        cart_id: str | None,
        lines: list[tuple[str, int]],
        delivery: dict[str, object],
        at_ms: int,
        rng: random.Random,
    ) -> Item:
        """A PLACED order; one in 30 is cancelled by the customer a little later."""
        order_id = f"WEB-{next(self._sequence):08d}"
        event: dict[str, object] = {
            "order_id": order_id,
            "type": "PLACED",
            "lines": [
                {"line_id": f"L{n}", "sku": sku, "quantity": quantity}
                for n, (sku, quantity) in enumerate(lines, 1)
            ],
            "delivery": delivery,
            "channel": "web",
        }
        if cart_id is not None:
            event["cart_id"] = cart_id
        if rng.random() < 1 / 30:
            at = at_ms + rng.randint(5, 60) * _MINUTE_MS
            cancel = {"order_id": order_id, "type": "CANCELLED", "channel": "web"}
            self._later(at, (ORDERS, order_id, stamp(cancel, at, rng)))
        return (ORDERS, order_id, stamp(event, at_ms, rng))

    def _lines(self, rng: random.Random) -> list[tuple[str, int]]:
        """1-4 distinct popular skus, mostly one unit each."""
        skus: dict[str, int] = {}
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            sku = self.catalogue.popular(rng)
            skus[sku] = skus.get(sku, 0) + (1 if rng.random() < 0.85 else 2)
        return list(skus.items())

    def _line_set(self, cart_id: str, sku: str, quantity: int, pickup: object) -> dict[str, object]:
        event: dict[str, object] = {"cart_id": cart_id, "type": "LINE_SET", "sku": sku, "quantity": quantity}
        if pickup is not None:
            event["location_id"] = pickup
        event["channel"] = "web"
        return event

    def _prefix(self, anchor: Location, rng: random.Random) -> str:
        """The postcode prefix nearest the anchor store, or (one time in three) any prefix of the table."""
        if rng.random() < 1 / 3:  # overseas departments (3-digit prefixes) order less: one draw in three
            prefix = rng.choice(list(self.postcodes))
            return prefix if len(prefix) == 2 or rng.random() < 1 / 3 else rng.choice(list(self.postcodes))
        if anchor.location_id not in self._near_prefix:
            self._near_prefix[anchor.location_id] = min(
                self.postcodes, key=lambda code: _km(anchor.lat, anchor.lon, *self._point(code))
            )
        return self._near_prefix[anchor.location_id]

    def _delivery(self, prefix: str, rng: random.Random) -> dict[str, object]:
        """The method the shopper picks; a pickup with no point within reach becomes a home delivery."""
        method = rng.choices(_METHODS, _METHOD_WEIGHTS)[0]
        if method in ("CLICK_COLLECT", "RELAY"):
            point = self._pickup_point(prefix, method)
            if point is not None:
                return {"method": method, "pickup_location_id": point.location_id}
            method = "HOME_STANDARD"
        postcode = (prefix + str(rng.randrange(100, 1000)))[:5]
        return {"method": method, "postcode": postcode}

    def _pickup_point(self, prefix: str, method: str) -> Location | None:
        """The nearest store (click & collect) or relay point to the prefix, if within reach."""
        if (prefix, method) not in self._near_point:
            points = self.pickup_stores if method == "CLICK_COLLECT" else self.relays
            nearest = min(points, key=lambda loc: _km(loc.lat, loc.lon, *self._point(prefix)), default=None)
            near = nearest is not None and _km(nearest.lat, nearest.lon, *self._point(prefix)) <= _PICKUP_KM
            self._near_point[(prefix, method)] = nearest if near else None
        return self._near_point[(prefix, method)]

    def _point(self, prefix: str) -> tuple[float, float]:
        place = self.postcodes[prefix]
        return place.lat, place.lon
