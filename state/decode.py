"""Turns the HGETALL of one sku's stock hash into SkuStock, with safety stock and online flags now."""

from __future__ import annotations

from collections.abc import Mapping

from core.network import Network
from core.promise_atp import promisable
from core.stock import LocationStock, NetworkStock, SkuLocation, SkuStock, available_to_promise

_SEP = b"|"  # state.keys.SEP, as hiredis returns the field names: bytes
# A location's figures are one field named by its id (state/lua/common.lua): b"oh,it,rs,al,ss,atp,on,ds,pp",
# ss empty when there is no override. Fields with SEP are network-level ("|nrs") or extras ("WH1|ct").
_COMMA = b","
_NO_OVERRIDE = -1  # safety stock before an override: the network's default applies
_NETWORK_RESERVED = b"|nrs"
_NETWORK_ATP = b"|atp"  # the sum of the online locations' online ATP, as the scripts keep it
_UNKNOWN_LOCATION = (0, 0, False)  # a location absent from the network: no defaults, serves no channel

AtpMap = dict[SkuLocation, int]
LocationRules = tuple[int, int, bool]  # (default safety stock, online protection, serves online)
# The router's: (location id, its default safety stock as the scripts store it, that default, protection,
# serves online)
AtpRules = tuple[str, bytes, int, int, bool]
_Tables = tuple[dict[bytes, LocationRules], dict[bytes, AtpRules]]
_tables_cache: tuple[Network, _Tables] | None = None


def _tables(network: Network) -> _Tables:
    """The network's per-location rules keyed by the location id as stored (the API's, the router's),
    built once per network object (NetworkSource hands out the same object until its file changes)."""
    global _tables_cache  # a one-entry cache: swapping the tuple is atomic, no lock needed
    cached = _tables_cache
    if cached is not None and cached[0] is network:
        return cached[1]
    rules: dict[bytes, LocationRules] = {}
    atp_rules: dict[bytes, AtpRules] = {}
    for location_id, loc in network.locations.items():
        name, default = location_id.encode(), loc.safety_stock
        rules[name] = (default, loc.online_protection, loc.serves_online)
        atp_rules[name] = (
            location_id,
            str(default).encode(),
            default,
            loc.online_protection,
            loc.serves_online,
        )
    _tables_cache = (network, (rules, atp_rules))
    return rules, atp_rules


def _rules(network: Network) -> dict[bytes, LocationRules]:
    return _tables(network)[0]


def _as_bytes(fields: Mapping[bytes | str, bytes | str]) -> Mapping[bytes, bytes]:
    """Clients created with decode_responses answer str names and values (all of them): converted once,
    off the hot path; one client never mixes the two, so the first name tells."""
    if not isinstance(next(iter(fields), b""), str):
        return fields  # type: ignore[return-value]  # bytes, as hiredis answers them
    return {
        (name if isinstance(name, bytes) else name.encode()): (v if isinstance(v, bytes) else v.encode())
        for name, v in fields.items()
    }


def sku_stock(sku: str, fields: Mapping[bytes | str, bytes | str], network: Network) -> SkuStock:
    """The figures per location (safety stock: the override, else the network's default today) and the
    network sums over the locations that serve online under the current network (network-level holds
    subtracted). A sku whose hash holds only flags has no locations: callers treat it as never seen.

    One pass over the fields (one per location, state/keys.py), only location ids decoded: this is the
    API's hot path, and the router's (atp_figures)."""
    per_location, network_reserved = _parse(fields)
    return _sku_stock(sku, per_location, network_reserved, _rules(network))


def _parse(fields: Mapping[bytes | str, bytes | str]) -> tuple[dict[bytes, list[int]], int]:
    """One pass over a stock hash: per location [on_hand, in_transit, reserved, allocated, safety stock
    override], and the network-level holds."""
    per_location: dict[bytes, list[int]] = {}
    network_reserved = 0
    for name, value in _as_bytes(fields).items():
        if _SEP in name:
            if name == _NETWORK_RESERVED:
                network_reserved = int(value)
            continue
        oh, it, rs, al, ss, _ = value.split(_COMMA, 5)
        per_location[name] = [int(oh), int(it), int(rs), int(al), int(ss) if ss else _NO_OVERRIDE]
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
    what routing reads for every sku of a batch of orders, in one pass, without building SkuStock.

    The scripts store each location's ATP with its figures, computed with the override, else with the
    default safety stock of that write (stored too, `ds`): it is taken as is unless the network's
    default has changed since, and recomputed then. One int() per location instead of four.

    Network-level holds cap what each online location can promise (core.promise_atp): applied in a
    second pass, only for a sku that has some (without them the cap never binds)."""
    rules = _tables(network)[1]
    online, walk_in = into
    figures = _as_bytes(fields)
    for name, value in figures.items():
        if _SEP in name:
            continue
        parts = value.split(_COMMA)
        location_id, default_as_stored, default_ss, protection, _ = rules.get(name) or _unknown(name)
        if parts[4] or parts[7] == default_as_stored:  # an override, or today's default: stored ATP holds
            atp = int(parts[5])
        else:
            atp = available_to_promise(int(parts[0]), int(parts[2]), int(parts[3]), default_ss)
        key = (sku, location_id)
        walk_in[key] = atp
        online[key] = atp - protection if atp > protection else 0
    held = int(figures.get(_NETWORK_RESERVED) or 0)
    if held > 0:
        _cap_by_network(sku, max(0, int(figures.get(_NETWORK_ATP) or 0) - held), rules, into)


def _cap_by_network(sku: str, pool: int, rules: dict[bytes, AtpRules], into: tuple[AtpMap, AtpMap]) -> None:
    """No online location promises more than the network's ATP `pool` (core.promise_atp)."""
    online, walk_in = into
    for location_id, _, _, _, serves in rules.values():
        key = (sku, location_id)
        if serves and key in online:
            own = online[key]
            online[key] = promisable(own, walk_in[key] - own, pool, True)
            walk_in[key] = promisable(own, walk_in[key] - own, pool, True, walk_in=True)


def _unknown(name: bytes) -> AtpRules:
    """A location absent from the network: no default safety stock, no protection, not online."""
    return name.decode(), b"0", 0, 0, False
