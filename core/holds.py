"""Holds and allocations as pure rules on one sku's state: what the hold and alloc scripts do."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidEvent
from core.ledger_state import Hold, SkuState, Touch
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
from core.network import is_walk_in
from core.stock import available_to_promise


@dataclass(frozen=True, slots=True)
class RenewHold:
    """One sku's part of a RenewCart (the store expands a cart renewal to the skus the cart holds)."""

    event_id: str
    cart_id: str
    sku: str
    ttl_ms: int


SkuCommand = SetHold | ReleaseHold | RenewHold | Allocate | ShipAllocation | ReleaseAllocation
Figures = dict[str, LocationFigures]  # final figures per touched location, in order of first touch


def validate(m: SkuCommand | RenewCart) -> None:
    """Refuses, before anything is written, a command the store cannot apply (InvalidEvent)."""
    named = {"event_id": m.event_id}
    if isinstance(m, SetHold | ReleaseHold | RenewHold | RenewCart):
        named["cart_id"] = m.cart_id
    else:
        named["order_id"] = m.order_id
    bad = [name for name, value in named.items() if not value]
    where = getattr(m, "location_id", None)
    if where is not None and (not where or "|" in where):  # "|" separates the stored fields
        bad.append("location_id")
    if getattr(m, "quantity", 0) < 0 or getattr(m, "ttl_ms", 0) < 0:
        bad.append("quantity or ttl_ms")
    if bad:
        raise InvalidEvent("invalid " + ", ".join(bad), sku=getattr(m, "sku", ""), event_id=m.event_id)


def renewal(m: RenewCart, sku: str) -> RenewHold:
    return RenewHold(m.event_id, m.cart_id, sku, m.ttl_ms)


def current(m: SkuCommand, state: SkuState) -> int:
    """The quantity the command's line holds or has allocated now."""
    if isinstance(m, SetHold | ReleaseHold | RenewHold):
        hold = state.holds.get(m.cart_id)
        return hold.quantity if hold else 0
    found = state.allocations.get((m.order_id, m.line_id))
    return found[1] if found else 0


def duplicate(m: SkuCommand, state: SkuState) -> MovementResult:
    return MovementResult(Outcome.DUPLICATE, m.sku, m.event_id, (), state.network_atp(), current(m, state))


def apply(m: SkuCommand, touch: Touch, now_ms: int, window_ms: int) -> MovementResult:
    figures: Figures = {}
    if isinstance(m, SetHold):
        outcome = _set(m, touch, figures, now_ms)
    elif isinstance(m, ReleaseHold | RenewHold):
        outcome = _release_or_renew(m, touch, figures, now_ms)
    elif isinstance(m, Allocate):
        outcome = _allocate(m, touch, figures)
    elif isinstance(m, ShipAllocation):
        outcome = _ship(m, touch, figures, window_ms)
    else:
        outcome = _release_allocation(m, touch, figures)
    state = touch.state
    shown = tuple(figures.values())
    return MovementResult(outcome, m.sku, m.event_id, shown, state.network_atp(), current(m, state))


def reserve(touch: Touch, figures: Figures, location_id: str, d: int, fresh: bool) -> None:
    """Changes a hold's reservation: on a location (its figures are recorded) or on the network."""
    if location_id == "":
        touch.state.network_reserved += d
    elif fresh:
        figures[location_id] = touch.location(location_id, 0, 0, d, 0)
    else:
        figures[location_id] = touch.stored(location_id, d, 0)


def _available(touch: Touch, location_id: str, channel: str | None) -> int:
    """What a new hold or allocation may take: the location's ATP now less the units it keeps for
    walk-in customers (an online channel's view), for a location that serves online no more than
    the network's (network-level holds are claims on that pool); a walk-in channel may also take
    the kept units."""
    loc, state, network = touch.state.locations.get(location_id), touch.state, touch.network
    safety = network.safety_stock(location_id)
    if loc is None:
        atp = available_to_promise(0, 0, 0, safety)
    else:
        safety = safety if loc.override is None else loc.override
        atp = available_to_promise(loc.on_hand, loc.reserved, loc.allocated, safety)
    kept = min(atp, network.online_protection(location_id))
    online = atp - kept
    if network.serves_online(location_id):
        online = min(online, state.network_atp())
    return online + kept if is_walk_in(channel) else online


def _set(m: SetHold, touch: Touch, figures: Figures, now_ms: int) -> Outcome:
    state, where = touch.state, m.location_id or ""
    old, held = state.holds.get(m.cart_id), 0
    if old is not None and old.location_id != where:
        reserve(touch, figures, old.location_id, -old.quantity, fresh=False)
    elif old is not None:
        held = old.quantity
    granted = m.quantity
    if m.quantity > held:
        free = state.network_atp() if where == "" else _available(touch, where, m.channel)
        granted = held + min(m.quantity - held, free)
    reserve(touch, figures, where, granted - held, fresh=True)
    if granted == 0:
        state.holds.pop(m.cart_id, None)
    else:
        state.holds[m.cart_id] = Hold(where, granted, now_ms + m.ttl_ms)
    if granted == m.quantity:
        return Outcome.APPLIED
    return Outcome.REFUSED if granted == 0 else Outcome.TRIMMED


def _release_or_renew(m: ReleaseHold | RenewHold, touch: Touch, figures: Figures, now_ms: int) -> Outcome:
    hold = touch.state.holds.get(m.cart_id)
    if hold is None:
        return Outcome.NOT_FOUND
    if isinstance(m, RenewHold):
        touch.state.holds[m.cart_id] = Hold(hold.location_id, hold.quantity, now_ms + m.ttl_ms)
        return Outcome.APPLIED
    reserve(touch, figures, hold.location_id, -hold.quantity, fresh=False)
    del touch.state.holds[m.cart_id]
    return Outcome.APPLIED


def _allocate(m: Allocate, touch: Touch, figures: Figures) -> Outcome:
    state, key = touch.state, (m.order_id, m.line_id)
    if key in state.allocations:
        return Outcome.DUPLICATE  # the line is allocated already (another event id)
    if m.backorder and not state.backorder:
        return Outcome.REFUSED  # a backorder only where the sku allows it, whatever the stock
    hold = state.holds.get(m.cart_id) if m.cart_id else None
    if hold is not None:  # taken over: released first, so its units count as available here
        reserve(touch, figures, hold.location_id, -hold.quantity, fresh=False)
    if m.quantity > _available(touch, m.location_id, m.channel) and not state.backorder:
        if hold is not None:
            reserve(touch, figures, hold.location_id, hold.quantity, fresh=False)
        figures.clear()  # undone: nothing changed
        return Outcome.REFUSED
    if hold is not None and m.cart_id:
        del state.holds[m.cart_id]
    figures[m.location_id] = touch.location(m.location_id, 0, 0, 0, m.quantity)
    state.allocations[key] = (m.location_id, m.quantity)
    return Outcome.APPLIED


def _ship(m: ShipAllocation, touch: Touch, figures: Figures, window_ms: int) -> Outcome:
    state, key = touch.state, (m.order_id, m.line_id)
    found = state.allocations.get(key)
    logged = touch.log_delta(m.location_id, m.occurred_at_ms, -m.quantity, window_ms)
    taken = min(m.quantity, found[1]) if found else 0
    here = found is not None and found[0] == m.location_id
    if found is not None and not here:
        figures[found[0]] = touch.stored(found[0], 0, -taken)
    d_on_hand = -m.quantity if logged else 0
    figures[m.location_id] = touch.location(m.location_id, d_on_hand, 0, 0, -taken if here else 0)
    if found is not None and found[1] == taken:
        del state.allocations[key]
    elif found is not None:
        state.allocations[key] = (found[0], found[1] - taken)
    return Outcome.APPLIED


def _release_allocation(m: ReleaseAllocation, touch: Touch, figures: Figures) -> Outcome:
    found = touch.state.allocations.pop((m.order_id, m.line_id), None)
    if found is None:
        return Outcome.NOT_FOUND
    figures[found[0]] = touch.stored(found[0], 0, -found[1])
    return Outcome.APPLIED
