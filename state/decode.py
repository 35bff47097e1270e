"""Turns the HGETALL of one sku's stock hash into SkuStock, with safety stock and online flags now."""

from __future__ import annotations

from collections.abc import Mapping

from core.network import Network
from core.stock import LocationStock, NetworkStock, SkuStock, available_to_promise

_SEP = b"|"  # state.keys.SEP, as hiredis returns the field names: bytes
# The figure suffix of a per-location field -> its slot in a location's figures list (below).
_SLOTS = {b"oh": 0, b"it": 1, b"rs": 2, b"al": 3, b"ss": 4}
_NO_OVERRIDE = -1  # safety stock slot before an `ss` field is seen: the network's default applies
_NETWORK_RESERVED = b"nrs"
_UNKNOWN_LOCATION = (0, 0, False)  # a location absent from the network: no defaults, serves no channel

AtpMap = dict[tuple[str, str], int]
LocationRules = tuple[int, int, bool]  # (default safety stock, online protection, serves online)
_rules_cache: tuple[Network, dict[bytes, LocationRules]] | None = None


def _rules(network: Network) -> dict[bytes, LocationRules]:
    """The network's per-location rules keyed by the location id as stored, built once per network
    object (NetworkSource hands out the same object until its file changes)."""
    global _rules_cache  # a one-entry cache: swapping the tuple is atomic, no lock needed
    cached = _rules_cache
    if cached is not None and cached[0] is network:
        return cached[1]
    rules = {
        location_id.encode(): (loc.safety_stock, loc.online_protection, loc.serves_online)
        for location_id, loc in network.locations.items()
    }
    _rules_cache = (network, rules)
    return rules


def _as_bytes(fields: Mapping[bytes | str, bytes | str]) -> Mapping[bytes, bytes | str]:
    """Clients created with decode_responses answer str names (all of them): converted once, off the
    hot path; one client never mixes the two, so the first name tells."""
    if not isinstance(next(iter(fields), b""), str):
        return fields  # type: ignore[return-value]  # bytes names, as hiredis answers them
    return {(name if isinstance(name, bytes) else name.encode()): value for name, value in fields.items()}


def sku_stock(sku: str, fields: Mapping[bytes | str, bytes | str], network: Network) -> SkuStock:
    """The figures per location (safety stock: the override, else the network's default today) and the
    network sums over the locations that serve online under the current network (network-level holds
    subtracted). A sku whose hash holds only flags has no locations: callers treat it as never seen.

    One pass over the fields, field names split once as bytes and only location ids decoded: this is
    the API's hot path (a hash of 20 locations has ~100 fields, most of which it does not show)."""
    per_location, network_reserved = _parse(fields)
    return _sku_stock(sku, per_location, network_reserved, _rules(network))


def _parse(fields: Mapping[bytes | str, bytes | str]) -> tuple[dict[bytes, list[int]], int]:
    """One pass over a stock hash: per location [on_hand, in_transit, reserved, allocated, safety stock
    override], and the network-level holds. Field names are split once as bytes."""
    per_location: dict[bytes, list[int]] = {}
    network_reserved = 0
    slots = _SLOTS
    for name, value in _as_bytes(fields).items():
        location_id, _, figure = name.rpartition(_SEP)
        slot = slots.get(figure)
        if slot is None:
            if figure == _NETWORK_RESERVED and not location_id:
                network_reserved = int(value)
            continue
        if location_id:
            figures = per_location.get(location_id)
            if figures is None:
                figures = per_location[location_id] = [0, 0, 0, 0, _NO_OVERRIDE]
            figures[slot] = int(value)
    return per_location, network_reserved


def _sku_stock(
    sku: str, per_location: dict[bytes, list[int]], network_reserved: int, rules: dict[bytes, LocationRules]
) -> SkuStock:
    # The sums are core.ledger.network_stock's rule (online locations only, ATP as online channels see
    # it, network holds subtracted), folded into this loop instead of a second pass with lookups.
    locations = []
    on_hand = in_transit = reserved = allocated = atp = 0
    for location_id in sorted(per_location):
        oh, it, rs, al, ss = per_location[location_id]
        default_ss, protection, online = rules.get(location_id, _UNKNOWN_LOCATION)
        stock = LocationStock(
            location_id.decode(), oh, it, rs, al, default_ss if ss == _NO_OVERRIDE else ss, protection
        )
        locations.append(stock)
        if online:
            on_hand += oh
            in_transit += it
            reserved += rs
            allocated += al
            atp += stock.online_atp
    net_atp = max(0, atp - network_reserved)
    network = NetworkStock(on_hand, in_transit, reserved + network_reserved, allocated, net_atp)
    return SkuStock(sku, tuple(locations), network)


def atp_figures(
    sku: str, fields: Mapping[bytes | str, bytes | str], network: Network, into: tuple[AtpMap, AtpMap]
) -> None:
    """Only the two ATPs of each location, added to (online, walk-in) maps keyed (sku, location_id):
    what routing reads for every sku of a batch of orders, without building the full SkuStock."""
    per_location, _ = _parse(fields)
    rules = _rules(network)
    online, walk_in = into
    for location_id, (oh, _it, rs, al, ss) in per_location.items():
        default_ss, protection, _online = rules.get(location_id, _UNKNOWN_LOCATION)
        atp = available_to_promise(oh, rs, al, default_ss if ss == _NO_OVERRIDE else ss)
        key = (sku, location_id.decode())
        walk_in[key] = atp
        online[key] = max(0, atp - protection)
