"""The simulated events, one builder per kind, each moving the simulation's stock as the event says.

Every builder returns an `Item`: (topic base name, record key, event dict with the contract's fields).
Tills send `occurred_at` as local ISO-8601 with its offset; every other source sends epoch milliseconds.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.network import Location, Network
from omnistock.sim.stock import SimStock
from topics.catalog import (
    POS_SALES,
    RETURNS,
    STOCK_ADJUSTMENTS,
    STOCK_COUNTS,
    STOCK_RECEIPTS,
    STOCK_TRANSFERS,
)

Item = tuple[str, str, dict[str, object]]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOUR_MS = 3_600_000


def is_open(location: Location, at: datetime) -> bool:
    """Whether `at` (aware) falls in the location's opening hours, read in its own time zone.

    A location that declares no hours at all is taken as always open.
    """
    if not location.opening_hours:
        return True
    local = at.astimezone(ZoneInfo(location.timezone))
    span = location.opening_hours.get(DAYS[local.weekday()])
    return span is not None and span[0] <= f"{local.hour:02d}:{local.minute:02d}" < span[1]


def next_opening(location: Location, after: datetime) -> datetime:
    """The first opening time strictly after `after` (`after` itself if the location never opens)."""
    zone = ZoneInfo(location.timezone)
    local = after.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        span = location.opening_hours.get(DAYS[day.weekday()])
        if span:
            hour, minute = (int(part) for part in span[0].split(":"))
            opens = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if opens > after:
                return opens
    return after


def to_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def distance_km(a: Location, b: Location) -> float:
    x = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371.0 * math.hypot(x, math.radians(b.lat - a.lat))


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stamp(event: Mapping[str, object], at_ms: int, rng: random.Random) -> dict[str, object]:
    return {"event_id": _event_id(rng), "occurred_at": at_ms, **event}


class EventMaker:
    """Builds the events; transfers it ships are received later, returned by `arrivals_before`."""

    def __init__(self, network: Network, stock: SimStock, sources: Mapping[str, str | None]) -> None:
        self.network, self.stock, self.sources = network, stock, sources
        self._arrivals: list[tuple[int, int, Item]] = []
        self._sequence = itertools.count(1)

    def sale(self, store: Location, at_ms: int, rng: random.Random) -> Item:
        location_id, lines = store.location_id, {}
        if rng.random() < 0.03:  # an in-store return: a negative quantity on the till
            sku = self.stock.carried_sku(location_id, rng)
            self.stock.put(location_id, sku, 1)
            lines[sku] = -1
        else:
            for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 3, 4))):
                sku, quantity = self.stock.in_stock_sku(location_id, rng), 1 if rng.random() < 0.85 else 2
                self.stock.put(location_id, sku, -quantity)
                lines[sku] = lines.get(sku, 0) + quantity
        event = stamp({"location_id": location_id}, at_ms, rng)
        event["occurred_at"] = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(store.timezone)).isoformat(
            timespec="milliseconds"
        )
        event["lines"] = [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()]
        event["receipt_id"] = f"{location_id}-{next(self._sequence):08d}"
        return (POS_SALES, location_id, event)

    def customer_return(self, location: Location, at_ms: int, rng: random.Random) -> Item:
        lines = []
        for sku in sorted(
            {self.stock.carried_sku(location.location_id, rng) for _ in range(rng.choice((1, 1, 2)))}
        ):
            condition = "RESELLABLE" if rng.random() < 0.8 else "DAMAGED"
            if condition == "RESELLABLE":
                self.stock.put(location.location_id, sku, 1)
            lines.append({"sku": sku, "quantity": 1, "condition": condition})
        return_id = f"RET-{next(self._sequence):08d}"
        order_id = f"ORD-{rng.randrange(10**8):08d}" if rng.random() < 0.7 else None
        event = {
            "return_id": return_id,
            "order_id": order_id,
            "location_id": location.location_id,
            "lines": lines,
        }
        return (RETURNS, return_id, stamp(event, at_ms, rng))

    def adjustment(self, location: Location, at_ms: int, rng: random.Random) -> Item:
        reason = rng.choices(("DAMAGED", "SHRINK", "FOUND", "OTHER"), (40, 35, 20, 5))[0]
        quantity = {"DAMAGED": -rng.randint(1, 2), "SHRINK": -1, "FOUND": 1}.get(reason, rng.choice((-1, 1)))
        sku = self.stock.carried_sku(location.location_id, rng)
        self.stock.put(location.location_id, sku, quantity)
        event = {
            "location_id": location.location_id,
            "lines": [{"sku": sku, "quantity": quantity}],
            "reason": reason,
        }
        return (STOCK_ADJUSTMENTS, location.location_id, stamp(event, at_ms, rng))

    def count(self, location: Location, at_ms: int, rng: random.Random) -> Item:
        """A cycle count of 5-20 skus; one line in ten finds a unit more or less than believed."""
        location_id, lines = location.location_id, []
        for sku in sorted({self.stock.carried_sku(location_id, rng) for _ in range(rng.randint(5, 20))}):
            error = rng.choice((-1, 1)) if rng.random() < 0.1 else 0
            counted = max(0, self.stock.on_hand.get((location_id, sku), 0) + error)
            self.stock.set(location_id, sku, counted)
            lines.append({"sku": sku, "on_hand": counted})
        return (
            STOCK_COUNTS,
            location_id,
            stamp({"location_id": location_id, "lines": lines}, at_ms, rng),
        )

    def receipt(self, warehouse: Location, at_ms: int, rng: random.Random) -> Item:
        """A supplier delivery of what the warehouse needs, in whole cases of 12 (up to 100 lines)."""
        location_id, needs = warehouse.location_id, self.stock.needs[warehouse.location_id]
        wanted = {sku: needs.pop(sku) for sku in list(needs)[:100]}
        if not wanted:
            return self.count(warehouse, at_ms, rng)
        cases = {sku: -(-quantity // 12) * 12 for sku, quantity in wanted.items()}
        for sku, quantity in cases.items():
            self.stock.put(location_id, sku, quantity)
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in cases.items()]
        event = {"location_id": location_id, "lines": lines, "reference": f"PO-{next(self._sequence):08d}"}
        return (STOCK_RECEIPTS, location_id, stamp(event, at_ms, rng))

    def replenishment(self, destination: Location, at_ms: int, rng: random.Random) -> Item:
        """A transfer SHIPPED from the nearest warehouse now; its RECEIVED step is scheduled for later."""
        to_id, from_id = destination.location_id, str(self.sources[destination.location_id])
        lines = self._pick(from_id, to_id)
        if not lines:  # the warehouse has none of it: it counts what it has instead
            return self.count(self.network.locations[from_id], at_ms, rng)
        transfer_id = f"TR-{next(self._sequence):08d}"
        transit_h = 10 + distance_km(self.network.locations[from_id], destination) / 60
        expected_ms = at_ms + int(transit_h * _HOUR_MS)
        arrival_ms = self._arrival_ms(destination, expected_ms + rng.randint(-_HOUR_MS, 3 * _HOUR_MS), rng)
        step = {
            "transfer_id": transfer_id,
            "from_location_id": from_id,
            "to_location_id": to_id,
            "lines": lines,
        }
        received = stamp({**step, "status": "RECEIVED", "expected_at": expected_ms}, arrival_ms, rng)
        heapq.heappush(
            self._arrivals, (arrival_ms, next(self._sequence), (STOCK_TRANSFERS, transfer_id, received))
        )
        return (
            STOCK_TRANSFERS,
            transfer_id,
            stamp({**step, "status": "SHIPPED", "expected_at": expected_ms}, at_ms, rng),
        )

    def _pick(self, from_id: str, to_id: str) -> list[dict[str, object]]:
        needs, lines = self.stock.needs[to_id], []
        for sku in list(needs)[:200]:
            quantity = min(needs.pop(sku), max(0, self.stock.on_hand.get((from_id, sku), 0)))
            if quantity > 0:
                self.stock.put(from_id, sku, -quantity)
                self.stock.incoming[(to_id, sku)] = self.stock.incoming.get((to_id, sku), 0) + quantity
                lines.append({"sku": sku, "quantity": quantity})
        return lines

    def _arrival_ms(self, destination: Location, due_ms: int, rng: random.Random) -> int:
        """Goods are received while the destination is open: a closed one takes them after it opens."""
        due = datetime.fromtimestamp(due_ms / 1000, UTC)
        if is_open(destination, due):
            return due_ms
        return to_ms(next_opening(destination, due)) + rng.randint(10, 60) * 60_000

    def arrivals_before(self, end_ms: int) -> list[tuple[int, Item]]:
        """The RECEIVED steps due before `end_ms`, their goods now on hand at the destination."""
        arrived = []
        while self._arrivals and self._arrivals[0][0] < end_ms:
            at_ms, _, item = heapq.heappop(self._arrivals)
            to_id, lines = str(item[2]["to_location_id"]), item[2]["lines"]
            for line in lines if isinstance(lines, list) else ():
                self.stock.put(to_id, line["sku"], line["quantity"])
                self.stock.incoming[(to_id, line["sku"])] -= line["quantity"]
            arrived.append((at_ms, item))
        return arrived
