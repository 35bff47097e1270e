"""Decision ids: a digest of everything a routing decision depends on, equal inputs giving equal ids.

The digest is of one canonical JSON text (keys sorted, json.dumps' separators). Its bulk, the ATP of
the order's skus at every location and the capacity left at every location, is written here piece by
piece, byte for byte what json.dumps would write, with the location names and capacity pieces encoded
once per batch (kept in the Timetable): json.dumps of those nested lists was a fifth of route().
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import Any

from core.allocation import OrderLine
from core.promise_nodes import AtpView, PromiseNetwork, Timetable
from core.routing_rules import RuleSet
from core.routing_types import Delivery

_MISSING = object()


def decision_id_of(
    prepared: PromiseNetwork,
    lines: Sequence[OrderLine],
    delivery: Delivery,
    now: datetime,
    atp: AtpView,
    rule_set: RuleSet,
    capacity_left: Mapping[str, int | None],
    excluded: Mapping[str, frozenset[str]],
    timetable: Timetable | None = None,
) -> str:
    """A digest of everything the decision depends on (the rule set by name and version, the network
    by version, the ATP of the order's skus only): equal inputs, equal ids. `timetable`: the batch's,
    to reuse its encodings (the id is the same without it)."""
    memo = _memo(prepared, timetable)
    locations: list[tuple[str, str]] = memo["locations"]
    stocked = []
    get = atp.get
    for sku in sorted({line.sku for line in lines}):  # looked up, not scanned: the view holds every sku
        head = "[" + _json(sku) + ", "
        for location_id, encoded in locations:
            units = get((sku, location_id), _MISSING)
            if units is not _MISSING:
                stocked.append(head + encoded + _json(units) + "]")
    pieces: dict[tuple[str, int | None], str] = memo["capacity"]
    capacity = []
    for item in sorted(capacity_left.items()):
        piece = pieces.get(item)
        if piece is None:
            piece = pieces[item] = "[" + _json(item[0]) + ", " + _json(item[1]) + "]"
        capacity.append(piece)
    rest = {
        "lines": [[line.line_id, line.sku, line.quantity] for line in lines],
        "delivery": [delivery.method.value, delivery.destination.lat, delivery.destination.lon,
                     delivery.destination.timezone, delivery.pickup_location_id],
        "now": now.isoformat(),
        "rule_set": [rule_set.name, rule_set.version],
        "network": prepared.network.version,
        "excluded": sorted([line, sorted(locs)] for line, locs in excluded.items()),
    }  # fmt: skip
    tail = json.dumps(rest, sort_keys=True, default=str)  # '{"delivery": ...}': after "capacity"
    canonical = f'{{"atp": [{", ".join(stocked)}], "capacity": [{", ".join(capacity)}], {tail[1:]}'
    return "dec-" + hashlib.sha256(canonical.encode()).hexdigest()[:20]


def _memo(prepared: PromiseNetwork, timetable: Timetable | None) -> dict[str, Any]:
    if timetable is not None and timetable.prepared is prepared:
        memo = timetable.routing.get(("decision-id",))
        if isinstance(memo, dict):
            return memo
    locations = [(loc, encode_basestring_ascii(loc) + ", ") for loc in sorted(prepared.network.locations)]
    memo = {"locations": locations, "capacity": {}}
    if timetable is not None and timetable.prepared is prepared:
        timetable.routing[("decision-id",)] = memo
    return memo


def _json(value: object) -> str:
    """json.dumps(value, default=str), quicker for the str and int it nearly always is."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)  # type: ignore[arg-type]
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, default=str)
