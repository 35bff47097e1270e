"""Script calls of the hold and allocation commands, their replies as results, and the follow-up
writes outside the sku's slot (the due index of expiry, the cart index of renewals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.errors import InvalidEvent, StoreUnavailable
from core.holds import RenewHold, renewed, validate
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
from core.network import Network
from state import keys

OUTCOMES = tuple(Outcome)  # the scripts' outcome codes are the positions in Outcome
CART_INDEX_TTL_FACTOR = 2  # the cart index outlives the cart's holds; renewals extend it
Call = tuple[str, tuple[Any, ...], tuple[str, ...]]
HoldCommand = SetHold | ReleaseHold | RenewHold | Allocate | ShipAllocation | ReleaseAllocation


class Batch(Protocol):
    prefix: str
    network: Network
    now_ms: int
    common: tuple[int, int, int]  # dedupe ttl ms, count window ms, number of dedupe buckets

    def head(self, sku: str) -> list[Any]: ...


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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
        args = (m.event_id, b.now_ms, ttl, nb, op, m.cart_id, where, quantity, hold_ttl, *_settings(b, where))
        return "hold", (len(ks), *ks, *args), ()
    return _alloc(m, b)


def _alloc(m: Allocate | ShipAllocation | ReleaseAllocation, b: Batch) -> Call:
    where = "" if isinstance(m, ReleaseAllocation) else m.location_id
    op = {Allocate: "ALLOCATE", ShipAllocation: "SHIP", ReleaseAllocation: "RELEASE"}[type(m)]
    p, sku = b.prefix, m.sku
    ks = [*b.head(sku), keys.allocations(p, sku), keys.holds(p, sku), keys.hold_expiry(p, sku)]
    ks.append(keys.delta_log(p, sku, where))
    at = m.occurred_at_ms if isinstance(m, ShipAllocation) else b.now_ms
    quantity = 0 if isinstance(m, ReleaseAllocation) else m.quantity
    cart = (m.cart_id or "") if isinstance(m, Allocate) else ""
    args = (m.event_id, b.now_ms, at, *b.common, op, m.order_id, m.line_id, where, quantity, cart)
    return "alloc", (len(ks), *ks, *args, *_settings(b, where)), ()


def _settings(b: Batch, location_id: str) -> tuple[int, int]:
    return b.network.safety_stock(location_id), int(b.network.serves_online(location_id))


def figures(reply: Sequence[Any], start: int) -> tuple[LocationFigures, ...]:
    return tuple(
        LocationFigures(text(reply[i]), *(int(x) for x in reply[i + 1 : i + 7]))
        for i in range(start, len(reply), 7)
    )


def failed(reply: Any, sku: str, event_id: str) -> None:
    if isinstance(reply, Exception):
        if "INVALID" in str(reply):
            raise InvalidEvent(str(reply), sku=sku, event_id=event_id)
        raise StoreUnavailable("stock script failed", sku=sku, event_id=event_id, error=str(reply))


@dataclass(slots=True)
class FollowUp:
    """Writes outside the sku's slot, sent after the scripts: due-index triples and cart index ops."""

    due: list[Any] = field(default_factory=list)
    raw: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def hold_changed(self, sku: str, gen: int, min_expiry: int) -> None:
        if gen > 0:
            self.due += (sku, gen, min_expiry)

    def commands(self, prefix: str) -> list[tuple[str, tuple[Any, ...]]]:
        due = [("due", (2, keys.due(prefix), keys.due_generations(prefix), *self.due))] if self.due else []
        return due + self.raw


def result(m: HoldCommand, reply: Any, follow: FollowUp, prefix: str) -> MovementResult:
    """The result of one per-sku command; notes the follow-up writes it needs."""
    failed(reply, m.sku, m.event_id)
    outcome, gen = OUTCOMES[reply[0]], int(reply[3])
    follow.hold_changed(m.sku, gen, int(reply[4]))
    if isinstance(m, SetHold) and int(reply[2]) > 0:
        cart = keys.cart(prefix, m.cart_id)
        follow.raw += [("!SADD", (cart, m.sku)), ("!PEXPIRE", (cart, m.ttl_ms * CART_INDEX_TTL_FACTOR))]
    elif isinstance(m, SetHold | ReleaseHold) and outcome is not Outcome.DUPLICATE and int(reply[2]) == 0:
        follow.raw.append(("!SREM", (keys.cart(prefix, m.cart_id), m.sku)))
    return MovementResult(outcome, m.sku, m.event_id, figures(reply, 5), int(reply[1]), int(reply[2]))


def renewal(m: RenewCart, skus: Sequence[str], b: Batch) -> list[Call]:
    validate(m)
    return [command(RenewHold(m.event_id, m.cart_id, sku, m.ttl_ms), b) for sku in sorted(skus)]


def renewal_result(m: RenewCart, replies: Sequence[Any], follow: FollowUp, prefix: str) -> MovementResult:
    for reply in replies:
        failed(reply, "", m.event_id)
    follow.raw.append(("!PEXPIRE", (keys.cart(prefix, m.cart_id), m.ttl_ms * CART_INDEX_TTL_FACTOR)))
    return renewed(m, [OUTCOMES[reply[0]] for reply in replies])
