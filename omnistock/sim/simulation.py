"""Simulated retail activity over a network: contract events for `omnistock dev` and the benchmarks.

Generation is pure (`Simulation` holds a network, a catalogue and its own view of stock; the
`random.Random` is passed in); `run_simulation` (omnistock.sim.run) is the only part that reads a
clock and sends. Stores, warehouses and suppliers make the stock events (omnistock.sim.events); web
shoppers make the cart and order events (omnistock.sim.orders), a share of the budget that follows
the Paris clock.

Time: the simulated clock runs `3600 / sim_hour_s` times faster than real time (default: one
simulated hour per real minute); events are sent stamped with the wall time their simulated time
maps to (omnistock.sim.clock), never ahead of the real clock. At a target rate the *number* of events
per real second is fixed, and *what* they are follows the simulated time of day: each kind of event at
each location gets the share of its natural intensity at that moment. So at 03:00 Paris time no store
sells (the budget goes to warehouse counts, returns, receipts and replenishment shipments), at 18:00
the tills dominate, and the London store opens an hour after the Paris ones. Stock targets are scaled
by how much busier than nature the run is, so shelves neither overflow nor stay empty.
Without a count, `events_between` produces the natural volume (Poisson) instead.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.geo import Place
from core.network import Location, LocationKind, Network
from omnistock.postcodes import load_postcodes
from omnistock.sim.events import EventMaker, Item, distance_km, is_open, stamp, to_ms
from omnistock.sim.orders import EVENTS_PER_SESSION, SESSIONS_PER_HOUR, WebShop, web_intensity
from omnistock.sim.stock import Catalogue, SimStock
from topics.catalog import STOCK_COUNTS, STOCK_RECEIPTS

_Action = Callable[[Location, int, random.Random], Item]
# Relative till activity by local hour, and by weekday (Saturday busiest, Sunday short mornings).
_HOURLY = (
    0, 0, 0, 0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.4, 1.2, 0.8, 0.8, 0.9, 1.2, 1.5, 1.2, 0.8, 0.5, 0.3, 0.1,
)  # fmt: skip
_WEEKDAY = (0.9, 0.9, 1.0, 0.9, 1.1, 1.5, 0.8)
WEB_SHARE_CAP = 0.1  # at night the shop would dwarf the quiet network: online events stay under this share


def store_sizes(network: Network, setup: random.Random) -> dict[str, float]:
    """Each store's size (lognormal around 1): its stock, its tills and its share of online shoppers.
    The first draws of the simulation's `setup` generator, so `omnistock dev` can tell the busiest
    stores before the simulation is built."""
    stores = [loc for loc in network.locations.values() if loc.kind is LocationKind.STORE]
    return {store.location_id: setup.lognormvariate(0.0, 0.4) for store in stores}


class Simulation:
    """A catalogue of `sku_count` skus (Zipf-like popularity) sold and moved across `network`."""

    def __init__(
        self,
        network: Network,
        sku_count: int = 5000,
        seed: int = 0,
        sim_hour_s: float = 60.0,
        postcodes: Mapping[str, Place] | None = None,
    ) -> None:
        self.network, self.sim_hour_s = network, sim_hour_s
        self.catalogue = Catalogue.zipf(sku_count)
        setup = random.Random(seed)
        locations = list(network.locations.values())
        self.stores = [loc for loc in locations if loc.kind is LocationKind.STORE]
        self.warehouses = [loc for loc in locations if loc.kind is LocationKind.WAREHOUSE]
        self.others = [
            loc for loc in locations if loc.kind in (LocationKind.DARK_STORE, LocationKind.SUPPLIER)
        ]
        self.size = store_sizes(network, setup)
        self.stock = SimStock(network, self.catalogue, self.size, setup)
        self.sources = {loc.location_id: self._nearest_warehouse(loc) for loc in locations}
        self.events = EventMaker(network, self.stock, self.sources)
        self.shop = WebShop(network, self.catalogue, load_postcodes() if postcodes is None else postcodes)
        total_size = sum(self.size.values()) or 1.0
        # Online shoppers near each French store (London's would not order from the French shop).
        self.web_anchors = [
            (store, self.size[store.location_id] / total_size)
            for store in self.stores
            if store.timezone == "Europe/Paris"
        ]
        self._taken: deque[tuple[str, str, int]] = deque()
        self.sim_now: datetime | None = None  # the simulated time sent up to (run_simulation sets it)

    def take(self, location_id: str, sku: str, quantity: int) -> None:
        """Units that left a location outside the simulation's own events (an order shipped, units not
        found at pick time), so later counts agree with them. Thread-safe: applied at the next draw."""
        self._taken.append((location_id, sku, quantity))

    def popular_skus(self, n: int) -> list[str]:
        return list(self.catalogue.skus[:n])

    def _nearest_warehouse(self, location: Location) -> str | None:
        if location.kind is LocationKind.WAREHOUSE or not self.warehouses:
            return None
        return min(self.warehouses, key=lambda warehouse: distance_km(location, warehouse)).location_id

    def natural_events_per_hour(self, around: datetime) -> float:
        """The natural volume, averaged over the week from `around` (hour by hour)."""
        hours = [around + timedelta(hours=hour) for hour in range(7 * 24)]
        return sum(sum(weight for weight, _, _ in self._actions(at)) for at in hours) / len(hours)

    def initial_stock_events(self, now: datetime, demand_scale: float = 1.0) -> list[Item]:
        """Stock every location to its targets (times `demand_scale`) an hour before `now`.

        Receipts for warehouses (heavily stocked), stores and dark stores (lightly); a count for the
        drop-ship supplier, whose stock is reported, not received. Lines go 200 to an event.
        """
        if demand_scale != 1.0:
            self.stock.scale(demand_scale)
        at_ms, rng, items = to_ms(now - timedelta(hours=1)), random.Random(0), []
        for location_id, skus in self.stock.carried.items():
            supplier = self.network.locations[location_id].kind is LocationKind.SUPPLIER
            for start in range(0, len(skus), 200):
                chunk = [(sku, self.stock.target[(location_id, sku)]) for sku in skus[start : start + 200]]
                for sku, quantity in chunk:
                    self.stock.set(location_id, sku, quantity)
                if supplier:
                    event = {
                        "location_id": location_id,
                        "lines": [{"sku": s, "on_hand": q} for s, q in chunk],
                    }
                    items.append((STOCK_COUNTS, location_id, stamp(event, at_ms, rng)))
                else:
                    lines = [{"sku": s, "quantity": q} for s, q in chunk]
                    event = {
                        "location_id": location_id,
                        "lines": lines,
                        "reference": f"INIT-{location_id}-{start}",
                    }
                    items.append((STOCK_RECEIPTS, location_id, stamp(event, at_ms, rng)))
        return items

    def events_between(
        self, t0: datetime, t1: datetime, rng: random.Random, count: int | None = None
    ) -> list[Item]:
        """The events of simulated time [t0, t1), in time order: `count` of them, or the natural volume.

        Opening hours change on whole minutes, so the interval is cut at minute boundaries and each
        piece draws from the intensities of its own minute. Transfers due in the interval arrive too
        (they count in `count`).
        """
        timed: list[tuple[int, Item]] = []
        span_s = max((t1 - t0).total_seconds(), 1e-9)
        while self._taken:
            location_id, sku, quantity = self._taken.popleft()
            self.stock.put(location_id, sku, -quantity)
        for start, end in _minute_slices(t0, t1):
            timed.extend(self.events.arrivals_before(to_ms(end)))
            timed.extend(self.shop.follow_ups_before(to_ms(end)))
            actions = self._actions(start)
            if count is None:
                mean = sum(weight for weight, _, _ in actions) * (end - start).total_seconds() / 3600
                size = _poisson(mean, rng)
            else:  # the share of `count` due by the end of this piece, less what is already there
                size = max(0, round(count * (end - t0).total_seconds() / span_s) - len(timed))
            timed.extend(self._draw(actions, to_ms(start), to_ms(end), size, rng))
        timed.sort(key=lambda entry: entry[0])
        return [item for _, item in timed]

    def _actions(self, at: datetime) -> list[tuple[float, _Action, Location]]:
        """What may happen in the minute starting `at`, with intensities in events per simulated hour."""
        make, actions = self.events, list[tuple[float, _Action, Location]]()
        for store in self.stores:
            if is_open(store, at):
                local, size = at.astimezone(ZoneInfo(store.timezone)), self.size[store.location_id]
                busy = max(_HOURLY[local.hour] * _WEEKDAY[local.weekday()], 0.2)
                actions += [(30.0 * size * busy, make.sale, store), (0.6 * size, make.customer_return, store)]
                actions += [(0.3, make.adjustment, store), (0.4, make.count, store)]
        for location in self.warehouses + self.others:
            if is_open(location, at):
                actions += [(2.0, make.count, location), (0.5, make.adjustment, location)]
        for warehouse in self.warehouses:
            actions.append((1.0, make.customer_return, warehouse))
            if self.stock.needs[warehouse.location_id]:
                actions.append((4.0, make.receipt, warehouse))
        for destination in self.stores + self.others:
            source, needs = self.sources[destination.location_id], self.stock.needs[destination.location_id]
            if source and needs and is_open(self.network.locations[source], at):
                actions.append((0.5 + len(needs) / 20, make.replenishment, destination))
        return actions + self._web_actions(at, sum(weight for weight, _, _ in actions))

    def _web_actions(self, at: datetime, others: float) -> list[tuple[float, _Action, Location]]:
        """Online sessions by the Paris clock, capped to WEB_SHARE_CAP of the events in quiet hours."""
        sessions = SESSIONS_PER_HOUR * web_intensity(at)
        cap = WEB_SHARE_CAP / (1 - WEB_SHARE_CAP) * others / EVENTS_PER_SESSION
        sessions = min(sessions, cap)
        return [(sessions * share, self.shop.session, store) for store, share in self.web_anchors]

    def _draw(
        self,
        actions: list[tuple[float, _Action, Location]],
        start_ms: int,
        end_ms: int,
        size: int,
        rng: random.Random,
    ) -> list[tuple[int, Item]]:
        if not actions or size <= 0:
            return []
        cumulative = list(itertools.accumulate(weight for weight, _, _ in actions))
        drawn = []
        for _ in range(size):
            _, act, location = actions[
                min(bisect(cumulative, rng.random() * cumulative[-1]), len(actions) - 1)
            ]
            at_ms = rng.randrange(start_ms, max(end_ms, start_ms + 1))
            drawn.append((at_ms, act(location, at_ms, rng)))
        return drawn


def _minute_slices(t0: datetime, t1: datetime) -> Iterable[tuple[datetime, datetime]]:
    start = t0
    while start < t1:
        end = min(start.replace(second=0, microsecond=0) + timedelta(minutes=1), t1)
        yield start, end
        start = end


def _poisson(mean: float, rng: random.Random) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # the normal approximation is close enough, and O(1)
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
