"""The stock table as a pure model: the rules the Redis scripts implement, for the fake and for tests.

It mirrors the stored layout on purpose (per-location ATP and online flags kept as of each location's
last write, network aggregates updated incrementally, dedupe buckets by arrival time), so the fake
cannot drift from the real store; `read` computes with the current network as the Redis reader does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import cast

from core import hold_upkeep, holds
from core.errors import EventsRefused, InvalidEvent
from core.ledger_carts import BatchCarts, renewed
from core.ledger_state import LocState, SkuState, Touch, TransferState, newest
from core.movements import (
    AdjustOnHand,
    Command,
    Drift,
    ExpiredHolds,
    LocationFigures,
    Movement,
    MovementResult,
    MoveTransfer,
    Outcome,
    RecordCount,
    RenewCart,
    SetHold,
    TransferStatus,
)
from core.network import Network
from core.stock import LocationStock, NetworkStock, SkuStock

DEDUPE_BUCKETS = 6  # buckets per dedupe window; the last DEDUPE_BUCKETS + 1 are checked


def check(command: Command, network: Network) -> None:
    """What the store refuses before any write: invalid hold commands, unknown locations."""
    if isinstance(command, AdjustOnHand):
        places = [d.location_id for d in command.deltas]
    elif isinstance(command, RecordCount):
        places = [command.location_id]
    elif isinstance(command, MoveTransfer):
        places = [command.from_location_id, command.to_location_id]
    else:
        holds.validate(command)
        places = [command.location_id] if isinstance(command, SetHold) and command.location_id else []
    for place in places:
        network.check_known(place)


def event_key(event_id: str) -> str:
    """Long ids are remembered by their SHA-1 (as the scripts do, to keep dedupe hashes compact)."""
    return hashlib.sha1(event_id.encode()).hexdigest() if len(event_id) > 40 else event_id  # noqa: S324


def network_stock(
    locations: Sequence[LocationStock], network: Network, network_reserved: int = 0
) -> NetworkStock:
    """The sums over the locations that serve the online channel, ATP as online channels see it (less
    each location's online protection); network-level holds are reserved on the network and
    subtracted from its ATP (never below 0)."""
    online = [stock for stock in locations if network.serves_online(stock.location_id)]
    return NetworkStock(
        on_hand=sum(s.on_hand for s in online),
        in_transit=sum(s.in_transit for s in online),
        reserved=sum(s.reserved for s in online) + network_reserved,
        allocated=sum(s.allocated for s in online),
        atp=max(0, sum(s.online_atp for s in online) - network_reserved),
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
        self._skus: dict[str, SkuState] = {}

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        """As the store: an invalid command is refused before any write of its own (EventsRefused names
        it, with the results of the others, which are applied)."""
        network = self._network()
        refused: dict[int, tuple[str, str]] = {}
        for i, command in enumerate(movements):
            try:
                check(command, network)
            except InvalidEvent as error:
                refused[i] = (error.code, error.message)
        results: list[MovementResult | None] = []
        batch = BatchCarts()
        for i, m in enumerate(movements):
            if i in refused:
                results.append(None)
                continue
            if isinstance(m, RenewCart):
                results.append(self._renew(m, network, now_ms, batch))
            elif isinstance(m, AdjustOnHand | RecordCount | MoveTransfer):
                results.append(self._apply_one(m, network, now_ms))
            else:
                results.append(self._hold(m, network, now_ms))
            batch.planned(m)
            batch.answered(m, cast(MovementResult, results[-1]))
        if refused:
            raise EventsRefused(results, refused)
        return cast(list[MovementResult], results)

    def _renew(self, m: RenewCart, network: Network, now_ms: int, batch: BatchCarts) -> MovementResult:
        """One result for the cart: granted = how many of its holds were renewed."""
        held = {sku for sku, state in self._skus.items() if m.cart_id in state.holds}
        visits = [sku for sku in batch.renewal(m, held) if sku in held]
        parts = [self._hold(holds.renewal(m, sku), network, now_ms) for sku in visits]
        return renewed(m, [part.outcome for part in parts], batch)

    def _hold(self, m: holds.SkuCommand, network: Network, now_ms: int) -> MovementResult:
        state = self._skus.setdefault(m.sku, SkuState())
        if self._seen(state, event_key(m.event_id), now_ms):
            return holds.duplicate(m, state)
        return holds.apply(m, Touch(state, network), now_ms, self._window_ms)

    def expire_holds(self, now_ms: int, limit: int = 1000) -> list[ExpiredHolds]:
        """Releases every hold whose expiry is not after now_ms, once; at most `limit` skus. (Redis
        visits skus by its due index, which may hold early entries, and releases at most 1000 holds
        per sku per visit: with a small limit the two may release in different calls.)"""
        due = sorted(
            (min(h.expires_ms for h in state.holds.values()), sku)
            for sku, state in self._skus.items()
            if state.holds
        )
        network = self._network()
        found = (
            hold_upkeep.expire(sku, Touch(self._skus[sku], network), now_ms)
            for at, sku in due[:limit]
            if at <= now_ms
        )
        return [expired for expired in found if expired.released]

    def reconcile(self, skus: Sequence[str] | None = None) -> list[Drift]:
        """Recomputes reserved and allocated from the holds and allocations (nothing drifts here: the
        model's figures are written by the same steps; kept for the port's symmetry), repairs them."""
        chosen = sorted(self._skus) if skus is None else [s for s in skus if s in self._skus]
        network = self._network()
        return [d for sku in chosen for d in hold_upkeep.reconcile(sku, Touch(self._skus[sku], network))]

    def set_backorder(self, sku: str, allowed: bool) -> None:
        self._skus.setdefault(sku, SkuState()).backorder = allowed

    def state(self, sku: str) -> SkuState | None:
        """The raw state of one sku (tests inject drift through it)."""
        return self._skus.get(sku)

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
                network.online_protection(location_id),
            )
            for location_id, loc in sorted(state.locations.items())
        ]
        return SkuStock(sku, tuple(locations), network_stock(locations, network, state.network_reserved))

    def set_safety_stock(self, sku: str, location_id: str, quantity: int | None) -> MovementResult:
        """Sets (None clears) the per-sku safety stock of one location; returns its new figures."""
        state = self._skus.setdefault(sku, SkuState())
        state.locations.setdefault(location_id, LocState()).override = quantity
        figures = Touch(state, self._network()).location(location_id, 0, 0)
        return MovementResult(Outcome.APPLIED, sku, "", (figures,), state.network_atp())

    def _apply_one(self, m: Movement, network: Network, now_ms: int) -> MovementResult:
        state = self._skus.setdefault(m.sku, SkuState())
        if self._seen(state, event_key(m.event_id), now_ms):
            return MovementResult(Outcome.DUPLICATE, m.sku, m.event_id, (), state.network_atp())
        touch = Touch(state, network)
        if isinstance(m, AdjustOnHand):
            outcome, figures = self._adjust(m, touch)
        elif isinstance(m, RecordCount):
            outcome, figures = self._count(m, touch)
        else:
            outcome, figures = self._transfer(m, touch, now_ms)
        return MovementResult(outcome, m.sku, m.event_id, figures, state.network_atp())

    def _seen(self, state: SkuState, key: str, now_ms: int) -> bool:
        bucket = now_ms // self._bucket_ms
        if any(key in state.dedupe.get(bucket - i, ()) for i in range(DEDUPE_BUCKETS + 1)):
            return True
        for old in [b for b in state.dedupe if b < bucket - DEDUPE_BUCKETS]:
            del state.dedupe[old]  # what the bucket keys' EXPIRE does in Redis
        state.dedupe.setdefault(bucket, set()).add(key)
        return False

    def _adjust(self, m: AdjustOnHand, touch: Touch) -> tuple[Outcome, tuple[LocationFigures, ...]]:
        figures = tuple(
            touch.location(d.location_id, d.quantity, 0)
            for d in m.deltas
            if touch.log_delta(d.location_id, m.occurred_at_ms, d.quantity, self._window_ms)
        )
        return (Outcome.INSIDE_COUNT if m.deltas and not figures else Outcome.APPLIED), figures

    def _count(self, m: RecordCount, touch: Touch) -> tuple[Outcome, tuple[LocationFigures, ...]]:
        loc, t = touch.state.locations.get(m.location_id) or LocState(), m.occurred_at_ms
        if loc.count_at is not None and t < loc.count_at:
            return Outcome.STALE_COUNT, ()
        last = newest(loc)
        if last is not None and t < last - self._window_ms:
            return Outcome.TOO_LATE, ()
        after = sum(q for at, q in loc.log if at > t)
        loc.log = [(at, q) for at, q in loc.log if at > t]
        loc.count_at = t
        touch.state.locations[m.location_id] = loc
        return Outcome.APPLIED, (touch.location(m.location_id, m.on_hand + after - loc.on_hand, 0),)

    def _transfer(
        self, m: MoveTransfer, touch: Touch, now_ms: int
    ) -> tuple[Outcome, tuple[LocationFigures, ...]]:
        transfers = touch.state.transfers
        old = transfers.get(m.transfer_id)
        if old is None or (old.closed_at is not None and old.closed_at <= now_ms - self._window_ms):
            old = TransferState()
        new = TransferState(old.shipped, old.received, old.cancelled)
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


def _effect(x: TransferState) -> tuple[int, int, int]:
    """What a transfer's steps seen so far do: on_hand(from), in_transit(to), on_hand(to)."""
    if x.received is not None:
        return -(x.shipped or 0), 0, x.received
    if x.shipped is not None and not x.cancelled:
        return -x.shipped, x.shipped, 0
    return 0, 0, 0


def _closed(x: TransferState) -> bool:
    if x.shipped is not None:
        return x.received is not None or x.cancelled
    return x.cancelled and x.received is None
