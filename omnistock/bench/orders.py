"""The routing benchmark's load: stock at the stock-holding locations, PLACED orders (orders.v1 JSON)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from core.geo import Place, distance_km
from core.network import Capability, Location, LocationKind, Network

# Delivery methods and their shares; pickup orders name the store or relay point nearest the customer.
METHODS = (("HOME_STANDARD", 0.70), ("HOME_EXPRESS", 0.10), ("CLICK_COLLECT", 0.12), ("RELAY", 0.08))
# Per kind: the share of skus a location stocks and its units' range (warehouses nearly all, deep).
STOCKING = {
    LocationKind.WAREHOUSE: (0.9, 20, 60),
    LocationKind.DARK_STORE: (0.5, 0, 10),
    LocationKind.STORE: (0.33, 0, 8),
    LocationKind.SUPPLIER: (0.1, 0, 50),
}


def stock_atp(network: Network, skus: list[str], rng: random.Random) -> dict[tuple[str, str], int]:
    """(sku, location) -> online ATP to seed: every sku deep at most warehouses, thin in the stores."""
    atp: dict[tuple[str, str], int] = {}
    holders = [loc for _, loc in sorted(network.locations.items()) if loc.kind in STOCKING]
    for sku in skus:
        for loc in holders:
            share, low, high = STOCKING[loc.kind]
            if rng.random() < share:
                atp[(sku, loc.location_id)] = rng.randint(low, high)
    return atp


def _nearest(locations: list[Location], place: Place) -> str:
    return min(
        locations, key=lambda loc: (distance_km(Place(loc.lat, loc.lon), place), loc.location_id)
    ).location_id


def pickup_points(network: Network, table: Mapping[str, Place]) -> dict[str, tuple[str, str]]:
    """Postcode prefix -> (nearest click & collect store, nearest relay point)."""
    locations = sorted(network.locations.values(), key=lambda loc: loc.location_id)
    stores = [
        loc for loc in locations if loc.kind is LocationKind.STORE and Capability.PICKUP in loc.capabilities
    ]
    relays = [loc for loc in locations if loc.kind is LocationKind.RELAY_POINT]
    return {prefix: (_nearest(stores, place), _nearest(relays, place)) for prefix, place in table.items()}


def order_events(
    skus: list[str],
    pickups: Mapping[str, tuple[str, str]],
    count: int,
    run: str,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """`count` PLACED orders of 1-5 distinct skus (1-2 units each) to random postcodes of the table,
    ids prefixed by `run`; `occurred_at` is 0, for the sender to set."""
    prefixes = sorted(pickups)
    methods, weights = [m for m, _ in METHODS], [w for _, w in METHODS]
    events = []
    for n in range(count):
        prefix = rng.choice(prefixes)
        method = rng.choices(methods, weights)[0]
        delivery: dict[str, Any] = {"method": method, "postcode": prefix + f"{rng.randrange(1000):03d}"}
        if method in ("CLICK_COLLECT", "RELAY"):
            delivery["pickup_location_id"] = pickups[prefix][0 if method == "CLICK_COLLECT" else 1]
        lines = [
            {"line_id": f"l{i + 1}", "sku": sku, "quantity": rng.randint(1, 2)}
            for i, sku in enumerate(rng.sample(skus, rng.randint(1, 5)))
        ]
        order_id = f"{run}-{n}"
        events.append({
            "event_id": f"{order_id}-placed", "occurred_at": 0, "order_id": order_id, "type": "PLACED",
            "lines": lines, "delivery": delivery, "channel": "web",
        })  # fmt: skip
    return events
