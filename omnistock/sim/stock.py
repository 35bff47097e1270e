"""The simulation's view of stock: the catalogue, what each location carries and needs, what is on its way.

It only steers the simulation (sell what is there, replenish what runs low); omnistock's figures come
from the events, never from here.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from dataclasses import dataclass

from core.network import Location, LocationKind, Network

_STOCKED = (LocationKind.WAREHOUSE, LocationKind.STORE, LocationKind.DARK_STORE, LocationKind.SUPPLIER)
# Target quantity = floor + factor * the sku's share of sales (store factors also scale with store size).
_FACTOR = {LocationKind.WAREHOUSE: 120_000.0, LocationKind.DARK_STORE: 3_000.0, LocationKind.STORE: 2_000.0}
_FLOOR = {LocationKind.WAREHOUSE: 30, LocationKind.SUPPLIER: 40}


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Skus SKU-00001.. by falling popularity: the k-th sells like 1/k**s (Zipf-like)."""

    skus: tuple[str, ...]
    shares: tuple[float, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def zipf(cls, count: int, s: float = 1.1) -> Catalogue:
        weights = [1.0 / rank**s for rank in range(1, count + 1)]
        total = sum(weights)
        shares = tuple(weight / total for weight in weights)
        skus = tuple(f"SKU-{rank:05d}" for rank in range(1, count + 1))
        return cls(skus, shares, tuple(itertools.accumulate(shares)))

    def popular(self, rng: random.Random) -> str:
        return self.skus[min(bisect(self.cumulative, rng.random()), len(self.skus) - 1)]


class SimStock:
    """On hand per (location, sku) as the simulation believes it, with targets and replenishment needs."""

    def __init__(
        self, network: Network, catalogue: Catalogue, sizes: dict[str, float], rng: random.Random
    ) -> None:
        self.network, self.catalogue = network, catalogue
        self.target: dict[tuple[str, str], int] = {}
        for location in network.locations.values():
            if location.kind in _STOCKED:
                self.target.update(self._assortment(location, sizes.get(location.location_id, 1.0), rng))
        self.carried: dict[str, list[str]] = {}
        for location_id, sku in self.target:
            self.carried.setdefault(location_id, []).append(sku)
        self.on_hand: dict[tuple[str, str], int] = {}
        self.incoming: dict[tuple[str, str], int] = {}
        self.needs: dict[str, dict[str, int]] = {location_id: {} for location_id in network.locations}

    def _assortment(self, location: Location, size: float, rng: random.Random) -> dict[tuple[str, str], int]:
        """Warehouses carry every sku, stores the best 800 and a fifth of the rest, the supplier 1 in 7."""
        kind, carried = location.kind, {}
        factor, floor = _FACTOR.get(kind, 0.0) * size, _FLOOR.get(kind, 2)
        for rank, (sku, share) in enumerate(zip(self.catalogue.skus, self.catalogue.shares, strict=True)):
            if kind is LocationKind.SUPPLIER:
                keep = rank % 7 == 3
            else:
                keep = kind is LocationKind.WAREHOUSE or rank < 800 or rng.random() < 0.2
            if keep:
                carried[(location.location_id, sku)] = floor + int(factor * share)
        return carried

    def scale(self, factor: float) -> None:
        """Multiply every target, when the simulation runs `factor` times busier than nature."""
        self.target = {key: max(1, round(quantity * factor)) for key, quantity in self.target.items()}

    def put(self, location_id: str, sku: str, quantity: int) -> None:
        key = (location_id, sku)
        self.on_hand[key] = self.on_hand.get(key, 0) + quantity
        if quantity < 0:
            self.check_need(location_id, sku)

    def set(self, location_id: str, sku: str, quantity: int) -> None:
        self.on_hand[(location_id, sku)] = quantity
        self.check_need(location_id, sku)

    def check_need(self, location_id: str, sku: str) -> None:
        """At half its target or below (counting what is on its way), a sku is due for replenishment."""
        target = self.target.get((location_id, sku))
        if not target or self.network.locations[location_id].kind is LocationKind.SUPPLIER:
            return
        have = self.on_hand.get((location_id, sku), 0) + self.incoming.get((location_id, sku), 0)
        if have <= target // 2:
            self.needs[location_id][sku] = target - have

    def carried_sku(self, location_id: str, rng: random.Random) -> str:
        """A sku the location carries, drawn by popularity."""
        for _ in range(6):
            sku = self.catalogue.popular(rng)
            if (location_id, sku) in self.target:
                return sku
        return rng.choice(self.carried[location_id])

    def in_stock_sku(self, location_id: str, rng: random.Random) -> str:
        for _ in range(4):
            sku = self.carried_sku(location_id, rng)
            if self.on_hand.get((location_id, sku), 0) > 0:
                break
        return sku  # none in stock after a few tries: the till sells it anyway (the records were wrong)
