"""The pure stock table's state of one sku and the write step every rule goes through (`Touch`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.movements import LocationFigures
from core.network import Network
from core.stock import available_to_promise


@dataclass(slots=True)
class LocState:
    on_hand: int = 0
    in_transit: int = 0
    reserved: int = 0
    allocated: int = 0
    override: int | None = None  # per-sku safety stock
    atp: int = 0  # as of the last write, with the safety stock and online flag of that moment
    online: bool = False
    default_ss: int = 0  # the network's safety stock as of the last write (releases and expiry use it)
    protection: int = 0  # the network's online protection as of the last write (likewise)
    count_at: int | None = None
    log: list[tuple[int, int]] = field(default_factory=list)  # (occurred_at_ms, on-hand delta)


@dataclass(slots=True)
class TransferState:
    shipped: int | None = None
    received: int | None = None
    cancelled: bool = False
    closed_at: int | None = None  # arrival ms that closed it; forgotten a count window later


@dataclass(frozen=True, slots=True)
class Hold:
    location_id: str  # "" for a network-level hold
    quantity: int
    expires_ms: int


@dataclass(slots=True)
class SkuState:
    locations: dict[str, LocState] = field(default_factory=dict)
    net: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # oh, it, rs, al, online atp
    network_reserved: int = 0  # network-level holds
    backorder: bool = False
    transfers: dict[str, TransferState] = field(default_factory=dict)
    dedupe: dict[int, set[str]] = field(default_factory=dict)  # arrival bucket -> event keys
    holds: dict[str, Hold] = field(default_factory=dict)  # cart_id -> hold
    allocations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # -> (loc, open qty)

    def network_atp(self) -> int:
        return max(0, self.net[4] - self.network_reserved)


def online_atp(loc: LocState) -> int:
    """What online channels see of a location: its ATP less the units it keeps for walk-in customers."""
    return max(0, loc.atp - loc.protection)


def newest(loc: LocState) -> int | None:
    """The newest occurred_at seen at a location: the last count or the latest logged delta."""
    times = [at for at, _ in loc.log] + ([loc.count_at] if loc.count_at is not None else [])
    return max(times) if times else None


@dataclass(slots=True)
class Touch:
    """Writes to one sku's locations the way the scripts' `touch` and `log_delta` do."""

    state: SkuState
    network: Network

    def log_delta(self, location_id: str, at: int, quantity: int, window_ms: int) -> bool:
        loc = self.state.locations.setdefault(location_id, LocState())
        if loc.count_at is not None and at <= loc.count_at:
            return False
        if quantity:
            loc.log.append((at, quantity))
            cutoff = (newest(loc) or at) - window_ms
            loc.log = [(t, q) for t, q in loc.log if t > cutoff]
        return True

    def location(
        self, location_id: str, d_on_hand: int, d_in_transit: int, d_reserved: int = 0, d_allocated: int = 0
    ) -> LocationFigures:
        """Applies the changes with the network's current safety stock and online flag."""
        settings = (self.network.safety_stock(location_id), self.network.online_protection(location_id))
        online = self.network.serves_online(location_id)
        return self.write(location_id, (d_on_hand, d_in_transit, d_reserved, d_allocated), settings, online)

    def stored(self, location_id: str, d_reserved: int, d_allocated: int) -> LocationFigures:
        """Applies the changes with the settings and online flag stored at the last write (what a
        release or an expiry uses: it does not know the location's settings)."""
        loc = self.state.locations.setdefault(location_id, LocState())
        settings = (loc.default_ss, loc.protection)
        return self.write(location_id, (0, 0, d_reserved, d_allocated), settings, loc.online)

    def write(
        self, location_id: str, deltas: tuple[int, int, int, int], settings: tuple[int, int], online: bool
    ) -> LocationFigures:
        """settings: (default safety stock, online protection); the network sums online ATP."""
        loc = self.state.locations.setdefault(location_id, LocState())
        net, (default_ss, protection) = self.state.net, settings
        before = (loc.on_hand, loc.in_transit, loc.reserved, loc.allocated, online_atp(loc))
        loc.on_hand += deltas[0]
        loc.in_transit += deltas[1]
        loc.reserved += deltas[2]
        loc.allocated += deltas[3]
        safety = default_ss if loc.override is None else loc.override
        loc.atp = available_to_promise(loc.on_hand, loc.reserved, loc.allocated, safety)
        loc.protection = protection
        after = (loc.on_hand, loc.in_transit, loc.reserved, loc.allocated, online_atp(loc))
        for i in range(5):
            net[i] += (after[i] if online else 0) - (before[i] if loc.online else 0)
        loc.online = online
        loc.default_ss = default_ss
        return LocationFigures(
            location_id, loc.on_hand, loc.in_transit, loc.reserved, loc.allocated, safety, loc.atp
        )
