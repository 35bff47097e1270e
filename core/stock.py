"""Stock figures of one (sku, location) and of the network, and the available-to-promise rule."""

from __future__ import annotations

from dataclasses import dataclass

SkuLocation = tuple[str, str]  # (sku, location_id): one cell of the stock table


def available_to_promise(on_hand: int, reserved: int, allocated: int, safety_stock: int) -> int:
    """ATP = max(0, on_hand - reserved - allocated - safety_stock): never negative."""
    return max(0, on_hand - reserved - allocated - safety_stock)


@dataclass(frozen=True, slots=True)
class LocationStock:
    """The figures of one sku at one location, as the storefront and the change events show them."""

    location_id: str
    on_hand: int = 0
    in_transit: int = 0
    reserved: int = 0
    allocated: int = 0
    safety_stock: int = 0
    online_protection: int = 0  # units kept for walk-in customers (the network's setting)

    @property
    def atp(self) -> int:
        return available_to_promise(self.on_hand, self.reserved, self.allocated, self.safety_stock)

    @property
    def online_atp(self) -> int:
        """What online channels see here: ATP less the units kept for walk-in customers."""
        return max(0, self.atp - self.online_protection)


@dataclass(frozen=True, slots=True)
class NetworkStock:
    """The sku summed over the locations that serve the online channel."""

    on_hand: int = 0
    in_transit: int = 0
    reserved: int = 0
    allocated: int = 0
    atp: int = 0


@dataclass(frozen=True, slots=True)
class SkuStock:
    """Everything known of one sku: per location, and the network total."""

    sku: str
    locations: tuple[LocationStock, ...]
    network: NetworkStock
