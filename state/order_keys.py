"""Keys and index entries of the order store, shared by the Redis store, its async reader and the fake.

The indexes are derived from an order alone (`sla_members`, `store_queue_members`,
`allocation_entries`), so the Redis store maintains them from a before/after diff and the fake can
recompute them from its orders: the contract suite then checks the diff against the truth.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.allocation import OrderStatus
from core.order_shortage import AllocatedHere
from core.order_types import Order, ShipmentStatus, Unplaced
from core.stock import SkuLocation
from core.store_queue import open_at_store
from state.key_buckets import tag_of, tags

SEP = "|"
CAPACITY_TTL_S = 3 * 86400


def order(prefix: str, order_id: str) -> str:
    """String: orjson of order_to_dict. (`{p}order:{id}` is the old order book's hash.)"""
    return f"{prefix}ord:{{{order_id}}}"


def decision(prefix: str, decision_id: str) -> str:
    """String: orjson of decision_dict(...) plus "order_id", expiring after the retention."""
    return f"{prefix}dec:{{{decision_id}}}"


def sla(prefix: str, order_id: str) -> str:
    """Sorted set member(order_id, shipment_id) -> accept_by_ms of the shipments still REQUESTED, in
    the order's bucket (state/key_buckets: 16 keys per table, spread over the Cluster's nodes; every
    shipment of one order in the same one)."""
    return f"{prefix}{{{tag_of('ordsla', order_id)}}}"


def sla_buckets(prefix: str) -> list[str]:
    """Every bucket of the SLA index: what `due_shipments` reads and merges."""
    return [f"{prefix}{{{tag}}}" for tag in tags("ordsla")]


def store_queue(prefix: str, location_id: str) -> str:
    """Sorted set member(order_id, shipment_id) -> requested_at_ms of the shipments open at the
    location (core.store_queue.open_at_store): what the store associate's screen lists. One key per
    location, in the location's own slot: a store's writes and its screen's reads go to one node."""
    return f"{prefix}storeq:{{{location_id}}}"


def allocated(prefix: str, sku: str, location_id: str) -> str:
    """Hash member(order_id, line_id) -> "<quantity>|<requested_at_ms>|<picked 0/1>" of the lines
    allocated at (sku, location) in live, unshipped shipments; in the sku's slot, beside its stock."""
    return f"{prefix}oalloc:{{{sku}}}:{location_id}"


def capacity(prefix: str, day: str, location_id: str) -> str:
    """Hash location_id -> lines picked that day ("YYYY-MM-DD", the location's own local date), of
    the locations in the location's bucket (state/key_buckets: at most 16 keys a day, spread over the
    Cluster's nodes; a location's day is one key, so its check-and-take stays one atomic call);
    expires CAPACITY_TTL_S after a write."""
    return f"{prefix}cap:{{{tag_of('cap', location_id)}}}:{day}"


def capacity_reads(prefix: str, days: Mapping[str, str]) -> dict[str, list[str]]:
    """location_id -> day regrouped as capacity key -> location_ids: one HMGET per key read (a
    network spans one or two local dates at a time: at most 32 keys, whatever its size)."""
    grouped: dict[str, list[str]] = {}
    for location_id, day in days.items():
        grouped.setdefault(capacity(prefix, day, location_id), []).append(location_id)
    return grouped


def member(order_id: str, tail: str) -> str:
    """Order id and a shipment or line id in one string that splits back whatever either contains
    (the same length-prefixed form as the stock store's allocation fields)."""
    return f"{len(order_id)}:{order_id}{tail}"


def split(value: str) -> tuple[str, str]:
    length, rest = value.split(":", 1)
    n = int(length)
    return rest[:n], rest[n:]


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sla_members(found: Order | None) -> dict[str, int]:
    """The order's shipments that wait to be accepted: member -> accept_by_ms."""
    if found is None or found.status is OrderStatus.CANCELLED:
        return {}
    return {
        member(found.order_id, s.shipment_id): s.accept_by_ms
        for s in found.shipments
        if s.status is ShipmentStatus.REQUESTED and s.live
    }


def store_queue_members(found: Order | None) -> dict[str, dict[str, int]]:
    """The order's shipments open at their store: location_id -> member -> requested_at_ms."""
    members: dict[str, dict[str, int]] = {}
    if found is None:
        return members
    for s in found.shipments:
        if open_at_store(found, s):
            members.setdefault(s.location_id, {})[member(found.order_id, s.shipment_id)] = s.requested_at_ms
    return members


def allocation_entries(found: Order | None) -> dict[SkuLocation, dict[str, str]]:
    """The order's lines allocated in live, unshipped shipments: place -> field -> value."""
    entries: dict[SkuLocation, dict[str, str]] = {}
    if found is None:
        return entries
    for s in found.shipments:
        if not s.live or s.shipped:
            continue
        picked = "1" if s.status in (ShipmentStatus.PICKED, ShipmentStatus.READY_FOR_PICKUP) else "0"
        for line in s.lines:
            value = SEP.join((str(line.quantity), str(s.requested_at_ms), picked))
            entries.setdefault((line.sku, s.location_id), {})[member(found.order_id, line.line_id)] = value
    return entries


def allocated_here(field: bytes | str, value: bytes | str) -> AllocatedHere:
    order_id, line_id = split(text(field))
    quantity, at_ms, picked = text(value).split(SEP)
    return AllocatedHere(order_id, line_id, int(quantity), int(at_ms), picked == "1")


def by_age(lines: list[AllocatedHere]) -> list[AllocatedHere]:
    return sorted(lines, key=lambda a: (a.allocated_at_ms, a.order_id, a.line_id))


def finished(found: Order) -> bool:
    """Nothing left to fulfil or route: the order may expire after the retention. An open order
    never expires, however long it waits (a backorder can outlive the retention)."""
    if any(s.live and not s.shipped for s in found.shipments):
        return False
    waiting = (Unplaced.REROUTE, Unplaced.BACKORDERED)
    return found.status is not None and not any(why in waiting for why in found.unplaced.values())
