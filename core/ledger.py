"""The stock table as a pure model: the rules the Redis scripts implement, for the fake and for tests.

It mirrors the stored layout on purpose (per-location ATP and online flags kept as of each location's
last write, network aggregates updated incrementally, dedupe buckets by arrival time), so the fake
cannot drift from the real store; `read` computes with the current network as the Redis reader does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.movements import (
    AdjustOnHand,
    LocationFigures,
    Movement,
    MovementResult,
    MoveTransfer,
    Outcome,
    RecordCount,
    TransferStatus,
)
from core.network import Network
from core.stock import LocationStock, NetworkStock, SkuStock, available_to_promise

DEDUPE_BUCKETS = 6  # buckets per dedupe window; the last DEDUPE_BUCKETS + 1 are checked


@dataclass(slots=True)
class _Location:
    on_hand: int = 0
    in_transit: int = 0
    reserved: int = 0
    allocated: int = 0
    override: int | None = None  # per-sku safety stock
    atp: int = 0  # as of the last write, with the safety stock and online flag of that moment
    online: bool = False
    count_at: int | None = None
    log: list[tuple[int, int]] = field(default_factory=list)  # (occurred_at_ms, on-hand delta)


@dataclass(slots=True)
class _Transfer:
    shipped: int | None = None
    received: int | None = None
    cancelled: bool = False
    closed_at: int | None = None  # arrival ms that closed it; forgotten a count window later


@dataclass(slots=True)
class _Sku:
    locations: dict[str, _Location] = field(default_factory=dict)
    net: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # on_hand, in_transit, rs, al, atp
    transfers: dict[str, _Transfer] = field(default_factory=dict)
    dedupe: dict[int, set[str]] = field(default_factory=dict)  # arrival bucket -> event keys


def event_key(event_id: str) -> str:
    """Long ids are remembered by their SHA-1 (as the scripts do, to keep dedupe hashes compact)."""
    return hashlib.sha1(event_id.encode()).hexdigest() if len(event_id) > 40 else event_id  # noqa: S324


def network_stock(locations: Sequence[LocationStock], network: Network) -> NetworkStock:
    """The sums over the locations that serve the online channel."""
    online = [stock for stock in locations if network.serves_online(stock.location_id)]
    return NetworkStock(
        on_hand=sum(s.on_hand for s in online),
        in_transit=sum(s.in_transit for s in online),
        reserved=sum(s.reserved for s in online),
        allocated=sum(s.allocated for s in online),
        atp=sum(s.atp for s in online),
    )


class Ledger:
    """Applies movements and answers reads with the same outcomes and figures as the Redis store."""

    def __init__(
        self,
        network: Network | Callable[[], Network],
        dedupe_window_s: int = 3600,
        count_window_s: int = 86400,
    ) -> None:
        self._network: Callable[[], Network] = _fixed(network) if isinstance(network, Network) else network
        self._bucket_ms = max(1, dedupe_window_s * 1000 // DEDUPE_BUCKETS)
        self._window_ms = count_window_s * 1000
        self._skus: dict[str, _Sku] = {}

    def apply(self, movements: Sequence[Movement], now_ms: int) -> list[MovementResult]:
        network = self._network()
        return [self._apply_one(movement, network, now_ms) for movement in movements]

    def read(self, sku: str) -> SkuStock | None:
        state = self._skus.get(sku)
        if state is None or not state.locations:
            return None
        network = self._network()
        locations = [
            LocationStock(
                location_id,
                loc.on_hand,
                loc.in_transit,
                loc.reserved,
                loc.allocated,
                network.safety_stock(location_id) if loc.override is None else loc.override,
            )
            for location_id, loc in sorted(state.locations.items())
        ]
        return SkuStock(sku, tuple(locations), network_stock(locations, network))

    def set_safety_stock(self, sku: str, location_id: str, quantity: int | None) -> MovementResult:
        """Sets (None clears) the per-sku safety stock of one location; returns its new figures."""
        state = self._skus.setdefault(sku, _Sku())
        state.locations.setdefault(location_id, _Location()).override = quantity
        figures = _Touch(state, self._network()).location(location_id, 0, 0)
        return MovementResult(Outcome.APPLIED, sku, "", (figures,), state.net[4])

    def _apply_one(self, m: Movement, network: Network, now_ms: int) -> MovementResult:
        state = self._skus.setdefault(m.sku, _Sku())
        if self._seen(state, event_key(m.event_id), now_ms):
            return MovementResult(Outcome.DUPLICATE, m.sku, m.event_id, (), state.net[4])
        touch = _Touch(state, network)
        if isinstance(m, AdjustOnHand):
            outcome, figures = self._adjust(m, touch)
        elif isinstance(m, RecordCount):
            outcome, figures = self._count(m, touch)
        else:
            outcome, figures = self._transfer(m, touch, now_ms)
        return MovementResult(outcome, m.sku, m.event_id, figures, state.net[4])

    def _seen(self, state: _Sku, key: str, now_ms: int) -> bool:
        bucket = now_ms // self._bucket_ms
        if any(key in state.dedupe.get(bucket - i, ()) for i in range(DEDUPE_BUCKETS + 1)):
            return True
        for old in [b for b in state.dedupe if b < bucket - DEDUPE_BUCKETS]:
            del state.dedupe[old]  # what the bucket keys' EXPIRE does in Redis
        state.dedupe.setdefault(bucket, set()).add(key)
        return False

    def _adjust(self, m: AdjustOnHand, touch: _Touch) -> tuple[Outcome, tuple[LocationFigures, ...]]:
        figures = tuple(
            touch.location(d.location_id, d.quantity, 0)
            for d in m.deltas
            if touch.log_delta(d.location_id, m.occurred_at_ms, d.quantity, self._window_ms)
        )
        return (Outcome.INSIDE_COUNT if m.deltas and not figures else Outcome.APPLIED), figures

    def _count(self, m: RecordCount, touch: _Touch) -> tuple[Outcome, tuple[LocationFigures, ...]]:
        loc, t = touch.state.locations.get(m.location_id) or _Location(), m.occurred_at_ms
        if loc.count_at is not None and t < loc.count_at:
            return Outcome.STALE_COUNT, ()
        newest = _newest(loc)
        if newest is not None and t < newest - self._window_ms:
            return Outcome.TOO_LATE, ()
        after = sum(q for at, q in loc.log if at > t)
        loc.log = [(at, q) for at, q in loc.log if at > t]
        loc.count_at = t
        touch.state.locations[m.location_id] = loc
        return Outcome.APPLIED, (touch.location(m.location_id, m.on_hand + after - loc.on_hand, 0),)

    def _transfer(
        self, m: MoveTransfer, touch: _Touch, now_ms: int
    ) -> tuple[Outcome, tuple[LocationFigures, ...]]:
        transfers = touch.state.transfers
        old = transfers.get(m.transfer_id)
        if old is None or (old.closed_at is not None and old.closed_at <= now_ms - self._window_ms):
            old = _Transfer()
        new = _Transfer(old.shipped, old.received, old.cancelled)
        if m.status is TransferStatus.SHIPPED:
            new.shipped = old.shipped if old.shipped is not None else m.quantity
        elif m.status is TransferStatus.RECEIVED:
            new.received = old.received if old.received is not None else m.quantity
        elif old.received is None:  # a cancellation after the receipt is ignored
            new.cancelled = True
        if (new.shipped, new.received, new.cancelled) == (old.shipped, old.received, old.cancelled):
            return Outcome.DUPLICATE, ()
        (f0, i0, t0), (f1, i1, t1) = _effect(old), _effect(new)
        t, src, dst = m.occurred_at_ms, m.from_location_id, m.to_location_id
        d_from = f1 - f0 if f1 != f0 and touch.log_delta(src, t, f1 - f0, self._window_ms) else 0
        d_to = t1 - t0 if t1 != t0 and touch.log_delta(dst, t, t1 - t0, self._window_ms) else 0
        figures = (touch.location(src, d_from, 0), touch.location(dst, d_to, i1 - i0))
        if _closed(new):
            new.closed_at = now_ms
        transfers[m.transfer_id] = new
        forget = now_ms - self._window_ms
        for tid in [k for k, v in transfers.items() if v.closed_at is not None and v.closed_at <= forget]:
            del transfers[tid]
        return Outcome.APPLIED, figures


def _fixed(network: Network) -> Callable[[], Network]:
    def current() -> Network:
        return network

    return current


def _effect(x: _Transfer) -> tuple[int, int, int]:
    """What a transfer's steps seen so far do: on_hand(from), in_transit(to), on_hand(to)."""
    if x.received is not None:
        return -(x.shipped or 0), 0, x.received
    if x.shipped is not None and not x.cancelled:
        return -x.shipped, x.shipped, 0
    return 0, 0, 0


def _closed(x: _Transfer) -> bool:
    if x.shipped is not None:
        return x.received is not None or x.cancelled
    return x.cancelled and x.received is None


def _newest(loc: _Location) -> int | None:
    """The newest occurred_at seen at a location: the last count or the latest logged delta."""
    times = [at for at, _ in loc.log] + ([loc.count_at] if loc.count_at is not None else [])
    return max(times) if times else None


@dataclass(slots=True)
class _Touch:
    """Writes to one sku's locations the way the scripts' `touch` and `log_delta` do."""

    state: _Sku
    network: Network

    def log_delta(self, location_id: str, at: int, quantity: int, window_ms: int) -> bool:
        loc = self.state.locations.setdefault(location_id, _Location())
        if loc.count_at is not None and at <= loc.count_at:
            return False
        if quantity:
            loc.log.append((at, quantity))
            cutoff = (_newest(loc) or at) - window_ms
            loc.log = [(t, q) for t, q in loc.log if t > cutoff]
        return True

    def location(self, location_id: str, d_on_hand: int, d_in_transit: int) -> LocationFigures:
        loc = self.state.locations.setdefault(location_id, _Location())
        net = self.state.net
        before = (loc.on_hand, loc.in_transit, loc.reserved, loc.allocated, loc.atp)
        loc.on_hand += d_on_hand
        loc.in_transit += d_in_transit
        safety = self.network.safety_stock(location_id) if loc.override is None else loc.override
        loc.atp = available_to_promise(loc.on_hand, loc.reserved, loc.allocated, safety)
        online = self.network.serves_online(location_id)
        after = (loc.on_hand, loc.in_transit, loc.reserved, loc.allocated, loc.atp)
        for i in range(5):
            net[i] += (after[i] if online else 0) - (before[i] if loc.online else 0)
        loc.online = online
        return LocationFigures(
            location_id, loc.on_hand, loc.in_transit, loc.reserved, loc.allocated, safety, loc.atp
        )
