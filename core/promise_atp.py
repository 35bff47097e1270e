"""What a channel can promise at each location: the one rule of the promise, the router and availability.

A location's own ATP for online channels is its ATP less the units it keeps for walk-in customers
(`LocationStock.online_atp`). Network-level holds (cart holds on the network, no location) are claims
on the pool of every online location's ATP, and the network's ATP is that pool less those holds
(`NetworkStock.atp`). So a location that serves online can promise an online channel its own online
ATP, but never more than the network's ATP; a walk-in channel may also take the kept units. This is
state/lua/holdlib.lua's `available()`, which refuses any hold or allocation beyond it. The cap is per
location: two locations may each show the network's ATP, and the scripts refuse the second claim
once the first has taken the pool (the router then plans that line again, as after any lost race).
Without network-level holds the cap never binds (the pool is the sum of the locations' own ATP).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.network import Network
from core.stock import SkuStock

AtpView = dict[tuple[str, str], int]  # (sku, location_id) -> units


def promisable(
    online_atp: int, kept: int, network_atp: int, serves_online: bool, walk_in: bool = False
) -> int:
    """What one location can promise: `online_atp` (its ATP less `kept`, the walk-in units), capped at
    the network's ATP where it serves online; plus `kept` for a walk-in channel."""
    online = min(online_atp, network_atp) if serves_online else online_atp
    return online + kept if walk_in else online


def channel_atp(stocks: Mapping[str, SkuStock], network: Network, walk_in: bool = False) -> AtpView:
    """What an online (or walk-in) channel can promise per (sku, location) of these skus (`promisable`)."""
    view: AtpView = {}
    for sku, stock in stocks.items():
        pool = stock.network.atp
        for location in stock.locations:
            own, serves = location.online_atp, network.serves_online(location.location_id)
            view[(sku, location.location_id)] = promisable(own, location.atp - own, pool, serves, walk_in)
    return view
