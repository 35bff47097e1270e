"""Turns the HGETALL of one sku's stock hash into SkuStock, with safety stock and online flags now."""

from __future__ import annotations

from collections.abc import Mapping

from core.ledger import network_stock
from core.network import Network
from core.stock import LocationStock, SkuStock
from state.keys import SEP

_FIGURES = {"oh": "on_hand", "it": "in_transit", "rs": "reserved", "al": "allocated", "ss": "safety_stock"}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sku_stock(sku: str, fields: Mapping[bytes | str, bytes | str], network: Network) -> SkuStock:
    """The figures per location (safety stock: the override, else the network's default today) and the
    network sums over the locations that serve online under the current network (network-level holds
    subtracted). A sku whose hash holds only flags has no locations: callers treat it as never seen."""
    per_location: dict[str, dict[str, int]] = {}
    network_reserved = 0
    for raw_field, raw_value in fields.items():
        location_id, _, figure = _text(raw_field).rpartition(SEP)
        if figure == "nrs" and not location_id:
            network_reserved = int(raw_value)
        name = _FIGURES.get(figure)
        if name is not None and location_id:
            per_location.setdefault(location_id, {})[name] = int(raw_value)
    locations = []
    for location_id in sorted(per_location):
        figures = per_location[location_id]
        figures.setdefault("safety_stock", network.safety_stock(location_id))
        locations.append(LocationStock(location_id, **figures))
    return SkuStock(sku, tuple(locations), network_stock(locations, network, network_reserved))
