"""Script calls of the hold and allocation commands, their replies as results, and the follow-up
writes outside the sku's slot (the due index of expiry, the cart index of renewals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.holds import RenewHold, validate
from core.ledger_carts import BatchCarts, renewed
from core.movements import (
    Allocate,
    LocationFigures,
    MovementResult,
    Outcome,
    ReleaseAllocation,
    ReleaseHold,
    RenewCart,
    SetHold,
    ShipAllocation,
)
from core.network import Network, is_walk_in
from state import keys
from state.redis_calls import OUTCOMES, Call, Request, failed, text

CART_INDEX_TTL_FACTOR = 2  # the cart index outlives the cart's holds; renewals extend it
HoldCommand = SetHold | ReleaseHold | RenewHold | Allocate | ShipAllocation | ReleaseAllocation


class Batch(Protocol):
    prefix: str
    network: Network
    now_ms: int
    common: tuple[int, int, int]  # dedupe ttl ms, count window ms, number of dedupe buckets

    def head(self, sku: str) -> list[Any]: ...
    def location(self, location_id: str) -> tuple[int, int, int]: ...


def command(m: HoldCommand, b: Batch) -> Call:
    """The script call of one per-sku hold or allocation command."""
    validate(m)
    ttl, _, nb = b.common
    if isinstance(m, SetHold | ReleaseHold | RenewHold):
        where = (m.location_id or "") if isinstance(m, SetHold) else ""
        op = {SetHold: "SET", ReleaseHold: "RELEASE", RenewHold: "RENEW"}[type(m)]
        quantity = m.quantity if isinstance(m, SetHold) else 0
        hold_ttl = 0 if isinstance(m, ReleaseHold) else m.ttl_ms
        ks = [*b.head(m.sku), keys.holds(b.prefix, m.sku), keys.hold_expiry(b.prefix, m.sku)]
        args = (m.event_id, b.now_ms, ttl, nb, op, m.cart_id, where, quantity, hold_ttl)
        walk_in = int(isinstance(m, SetHold) and is_walk_in(m.channel))
        return "hold", (len(ks), *ks, *args, *b.location(where), walk_in), ()
    return _alloc(m, b)


def _alloc(m: Allocate | ShipAllocation | ReleaseAllocation, b: Batch) -> Call:
    where = "" if isinstance(m, ReleaseAllocation) else m.location_id
    op = {Allocate: "ALLOCATE", ShipAllocation: "SHIP", ReleaseAllocation: "RELEASE"}[type(m)]
    if isinstance(m, Allocate) and m.backorder:
        op = "BACKORDER"
    p, sku = b.prefix, m.sku
    ks = [*b.head(sku), keys.allocations(p, sku), keys.holds(p, sku), keys.hold_expiry(p, sku)]
    ks.append(keys.delta_log(p, sku, where))
    at = m.occurred_at_ms if isinstance(m, ShipAllocation) else b.now_ms
    quantity = 0 if isinstance(m, ReleaseAllocation) else m.quantity
    cart = (m.cart_id or "") if isinstance(m, Allocate) else ""
    args = (m.event_id, b.now_ms, at, *b.common, op, m.order_id, m.line_id, where, quantity, cart)
    walk_in = int(isinstance(m, Allocate) and is_walk_in(m.channel))
    return "alloc", (len(ks), *ks, *args, *settings(b.network, where), walk_in), ()


def settings(network: Network, location_id: str) -> tuple[int, int, int]:
    """A touched location's settings as the scripts take them: default safety stock, serves online
    (0/1), online protection."""
    return (
        network.safety_stock(location_id),
        int(network.serves_online(location_id)),
        network.online_protection(location_id),
    )


def figures(reply: Sequence[Any], start: int) -> tuple[LocationFigures, ...]:
    return tuple(
        LocationFigures(text(reply[i]), *(int(x) for x in reply[i + 1 : i + 7]))
        for i in range(start, len(reply), 7)
    )


@dataclass(slots=True)
class CartIndex:
    """One cart's index writes of a batch, coalesced: SREM, SADD of what it does not hold, one PEXPIRE
    (a TTL of 0 deletes the index, as PEXPIRE 0 would, dropping the writes before it)."""

    known: set[str] | None  # the members read at the start of the batch; None: not read
    adds: dict[str, None] = field(default_factory=dict)
    removes: set[str] = field(default_factory=set)
    deleted: bool = False
    ttl_ms: int | None = None

    def add(self, sku: str, ttl_ms: int) -> None:
        self.removes.discard(sku)
        self.adds[sku] = None
        self.ttl_ms = ttl_ms

    def remove(self, sku: str) -> None:
        self.adds.pop(sku, None)
        self.removes.add(sku)

    def expire(self, ttl_ms: int) -> None:
        if ttl_ms > 0:
            self.ttl_ms = ttl_ms
            return
        self.deleted, self.known, self.ttl_ms = True, set(), None
        self.adds.clear()
        self.removes.clear()

    def commands(self, key: str) -> list[Request]:
        known = self.known
        adds = [s for s in self.adds if known is None or s not in known]
        removes = sorted(s for s in self.removes if known is None or s in known)
        found: list[Request] = [("!DEL", (key,))] if self.deleted else []
        found += [("!SREM", (key, *removes))] if removes else []
        found += [("!SADD", (key, *adds))] if adds else []
        if self.ttl_ms is not None:
            found.append(("!PEXPIRE", (key, self.ttl_ms)))
        return found


@dataclass(slots=True)
class FollowUp:
    """Writes outside the sku's slot, sent after the scripts: due-index triples and cart index ops."""

    known: dict[str, set[str]] = field(default_factory=dict)  # cart -> index members read
    due: list[Any] = field(default_factory=list)
    carts: dict[str, CartIndex] = field(default_factory=dict)

    def hold_changed(self, sku: str, gen: int, min_expiry: int) -> None:
        if gen > 0:
            self.due += (sku, gen, min_expiry)

    def cart(self, cart_id: str) -> CartIndex:
        found = self.carts.get(cart_id)
        if found is None:
            found = self.carts[cart_id] = CartIndex(self.known.get(cart_id))
        return found

    def commands(self, prefix: str) -> list[Request]:
        due = [("due", (2, keys.due(prefix), keys.due_generations(prefix), *self.due))] if self.due else []
        carts = [c for cart, index in self.carts.items() for c in index.commands(keys.cart(prefix, cart))]
        return due + carts


def result(m: HoldCommand, reply: Any, follow: FollowUp) -> MovementResult:
    """The result of one per-sku command; notes the follow-up writes it needs."""
    failed(reply, m.sku, m.event_id)
    outcome, gen = OUTCOMES[reply[0]], int(reply[3])
    follow.hold_changed(m.sku, gen, int(reply[4]))
    if isinstance(m, SetHold) and int(reply[2]) > 0:
        follow.cart(m.cart_id).add(m.sku, m.ttl_ms * CART_INDEX_TTL_FACTOR)
    elif isinstance(m, SetHold | ReleaseHold) and outcome is not Outcome.DUPLICATE and int(reply[2]) == 0:
        follow.cart(m.cart_id).remove(m.sku)
    return MovementResult(outcome, m.sku, m.event_id, figures(reply, 5), int(reply[1]), int(reply[2]))


def renewal(m: RenewCart, skus: Sequence[str], b: Batch) -> list[Call]:
    """One hold-script call per sku visited, in the order of `skus`."""
    validate(m)
    return [command(RenewHold(m.event_id, m.cart_id, sku, m.ttl_ms), b) for sku in skus]


def renewal_result(
    m: RenewCart, skus: Sequence[str], replies: Sequence[Any], follow: FollowUp, batch: BatchCarts
) -> MovementResult:
    """The replies of `renewal(m, skus, ...)`, one per sku (the due index needs each sku's)."""
    for sku, reply in zip(skus, replies, strict=True):
        failed(reply, sku, m.event_id)
        follow.hold_changed(sku, int(reply[3]), int(reply[4]))  # an earlier expiry moves the due entry
    follow.cart(m.cart_id).expire(m.ttl_ms * CART_INDEX_TTL_FACTOR)
    return renewed(m, [OUTCOMES[reply[0]] for reply in replies], batch)
