"""Hold upkeep as pure rules on one sku's state: expiry and reconciliation (expire and reconcile.lua)."""

from __future__ import annotations

from core.holds import Figures, reserve
from core.ledger_state import LocState, SkuState, Touch, online_atp
from core.movements import Drift, ExpiredHolds, ReleasedHold
from core.stock import available_to_promise

NETWORK_FIGURES = ("on_hand", "in_transit", "reserved", "allocated", "atp")


def expire(sku: str, touch: Touch, now_ms: int) -> ExpiredHolds:
    """Releases the sku's holds whose expiry is not after now_ms (oldest first)."""
    state = touch.state
    figures: Figures = {}
    due = sorted((h.expires_ms, cart) for cart, h in state.holds.items() if h.expires_ms <= now_ms)
    released = []
    for _, cart in due:
        hold = state.holds.pop(cart)
        reserve(touch, figures, hold.location_id, -hold.quantity, fresh=False)
        released.append(ReleasedHold(cart, hold.location_id or None, hold.quantity))
    return ExpiredHolds(sku, tuple(released), tuple(figures.values()), state.network_atp())


def reconcile(sku: str, touch: Touch) -> list[Drift]:
    """Recomputes reserved and allocated from the records, ATP from the figures and the network
    aggregates from the locations; reports every stored figure that differed and repairs it."""
    state, drifts = touch.state, []
    net_before = list(state.net)
    reserved, allocated = _sums(state)
    for location_id in sorted(set(state.locations) | (set(reserved) - {""}) | set(allocated)):
        loc = state.locations.setdefault(location_id, LocState())
        safety = loc.default_ss if loc.override is None else loc.override
        actual = (reserved.get(location_id, 0), allocated.get(location_id, 0))
        atp = available_to_promise(loc.on_hand, actual[0], actual[1], safety)
        for figure, stored, real in (
            ("reserved", loc.reserved, actual[0]),
            ("allocated", loc.allocated, actual[1]),
            ("atp", loc.atp, atp),
        ):
            if stored != real:
                drifts.append(Drift(sku, location_id, figure, stored, real))
        touch.stored(location_id, actual[0] - loc.reserved, actual[1] - loc.allocated)
    if state.network_reserved != reserved.get("", 0):
        drifts.append(Drift(sku, "", "network_reserved", state.network_reserved, reserved.get("", 0)))
        state.network_reserved = reserved.get("", 0)
    online = [loc for loc in state.locations.values() if loc.online]
    sums = [sum(getattr(loc, figure) for loc in online) for figure in NETWORK_FIGURES[:4]]
    sums.append(sum(online_atp(loc) for loc in online))
    drifts += [
        Drift(sku, "", figure, net_before[i], sums[i])
        for i, figure in enumerate(NETWORK_FIGURES)
        if net_before[i] != sums[i]
    ]
    state.net[:] = sums
    return drifts


def _sums(state: SkuState) -> tuple[dict[str, int], dict[str, int]]:
    """Held and allocated quantities per location from the records ("" holds: network-level)."""
    reserved: dict[str, int] = {}
    allocated: dict[str, int] = {}
    for hold in state.holds.values():
        reserved[hold.location_id] = reserved.get(hold.location_id, 0) + hold.quantity
    for where, quantity in state.allocations.values():
        allocated[where] = allocated.get(where, 0) + quantity
    return reserved, allocated
