"""The Redis order store of the worker: orders, their routing decisions, the SLA and allocation
indexes, each batch written in one pipeline round trip, and the daily pick capacity (state/pick_capacity).

Layout (state/order_keys.py): one string per order and per decision, one sorted set of the shipments
waiting to be accepted, one hash per (sku, location) of the lines allocated there, one hash per day of
the lines picked per location (each on its own local date). The pipeline is not a transaction (the
keys live in many Cluster slots): each write's index updates are sent before its order, so a batch cut
short leaves an order at its previous state and a retry with the same `before` repeats idempotent
index writes. Capacity is not written here: it is taken per line when routing (take_capacity), where a
retry finds its lines taken already and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import orjson
import redis

from core.order_codec import order_from_dict, order_to_dict
from core.order_shortage import AllocatedHere
from core.order_types import Order
from state import lean_pipeline
from state import order_keys as k
from state.pick_capacity import GIVE, TAKE, CapacityClaim, CapacityReply, CapacityScript
from state.redis_calls import unavailable

__all__ = ["OrderWrite", "RedisOrderStore"]


@dataclass(frozen=True, slots=True)
class OrderWrite:
    """An order's new state and the state it was loaded in (None: a new order): the indexes are
    maintained from the difference, so `before` must be what `load` returned."""

    before: Order | None
    after: Order


class RedisOrderStore:
    def __init__(self, client: redis.Redis, prefix: str, retention_s: int = 30 * 86400) -> None:
        self._client = client
        self._prefix = prefix
        self.prefix = prefix
        self._retention_s = retention_s
        self._capacity = CapacityScript(client, prefix)

    def load(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """The orders known (unknown ids are absent), in one round trip."""
        return self.load_with_capacity(order_ids, {})[0]

    def load_with_capacity(
        self, order_ids: Sequence[str], days: Mapping[str, str]
    ) -> tuple[dict[str, Order], dict[str, int]]:
        """`load` and `capacity_used` in one round trip: what a batch of order work reads first."""
        commands: list[lean_pipeline.Command] = [("GET", k.order(self._prefix, o)) for o in order_ids]
        by_day = k.locations_by_day(days)
        commands += [("HMGET", k.capacity(self._prefix, day), *ids) for day, ids in by_day.items()]
        with unavailable():
            found = lean_pipeline.run(self._client, commands, raise_on_error=True)
        return _orders(order_ids, found[: len(order_ids)]), _counts(by_day, found[len(order_ids) :])

    def save(
        self,
        writes: Sequence[OrderWrite],
        decisions: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Decisions, then per write its index changes and the order: ONE round trip. Decisions
        (decision_dict(...) plus "order_id") expire after the retention; a finished order too
        (`order_keys.finished`), an open one never."""
        if not writes and not decisions:
            return
        commands: list[lean_pipeline.Command] = []
        for made in decisions:
            key = k.decision(self._prefix, str(made["decision_id"]))
            commands.append(("SET", key, orjson.dumps(made), "EX", self._retention_s))
        for write in writes:
            commands += self._indexes(write)
            value = orjson.dumps(order_to_dict(write.after))
            key = k.order(self._prefix, write.after.order_id)
            finished = k.finished(write.after)
            commands.append(("SET", key, value, "EX", self._retention_s) if finished else ("SET", key, value))
        with unavailable():
            lean_pipeline.run(self._client, commands, raise_on_error=True)

    def _indexes(self, write: OrderWrite) -> list[lean_pipeline.Command]:
        commands: list[lean_pipeline.Command] = []
        before, after = k.sla_members(write.before), k.sla_members(write.after)
        if gone := [m for m in before if m not in after]:
            commands.append(("ZREM", k.sla(self._prefix), *gone))
        if added := {m: at for m, at in after.items() if before.get(m) != at}:
            commands.append(("ZADD", k.sla(self._prefix), *[x for m, at in added.items() for x in (at, m)]))
        was, now = k.allocation_entries(write.before), k.allocation_entries(write.after)
        for place in dict.fromkeys([*was, *now]):
            old, new = was.get(place, {}), now.get(place, {})
            key = k.allocated(self._prefix, *place)
            if removed := [field for field in old if field not in new]:
                commands.append(("HDEL", key, *removed))
            if changed := {field: v for field, v in new.items() if old.get(field) != v}:
                commands.append(("HSET", key, *[x for pair in changed.items() for x in pair]))
        return commands

    def decisions(self, decision_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The decisions still kept (expired or unknown ids are absent), in one round trip."""
        found = self._get([k.decision(self._prefix, decision_id) for decision_id in decision_ids])
        return {
            decision_id: orjson.loads(raw)
            for decision_id, raw in zip(decision_ids, found, strict=True)
            if raw is not None
        }

    def due_shipments(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]:
        """(order_id, shipment_id) of the shipments still REQUESTED past their accept-by, oldest first."""
        with unavailable():
            found = self._client.zrangebyscore(k.sla(self._prefix), "-inf", now_ms, start=0, num=limit)
        members = cast(list[bytes | str], found)  # without withscores, members only
        return [k.split(k.text(m)) for m in members]

    def allocations_at(self, places: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[AllocatedHere]]:
        """Per (sku, location): the order lines allocated there, oldest first (every place asked is a
        key of the answer, with [] where nothing is allocated)."""
        with unavailable():
            pipe = self._client.pipeline(transaction=False)
            for sku, location_id in places:
                pipe.hgetall(k.allocated(self._prefix, sku, location_id))
            hashes = pipe.execute()
        return {
            place: k.by_age([k.allocated_here(f, v) for f, v in fields.items()])
            for place, fields in zip(places, hashes, strict=True)
        }

    def capacity_used(self, days: Mapping[str, str]) -> dict[str, int]:
        """Lines picked per location on the day given for it (location_id -> "YYYY-MM-DD"; 0 when none)."""
        return self.load_with_capacity((), days)[1]

    def take_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]:
        """Each claim's lines taken while the location is under its limit, atomically per location and
        day (one round trip): never past the limit, whatever other workers take meanwhile."""
        return self._capacity.run(TAKE, claims)

    def give_back_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]:
        """The claims' lines returned (those taken; the others are ignored): one round trip."""
        return self._capacity.run(GIVE, claims)

    def _get(self, keys: list[str]) -> list[bytes | None]:
        """GET of each key in one round trip (not MGET: the keys are in different Cluster slots)."""
        with unavailable():
            return lean_pipeline.run(self._client, [("GET", key) for key in keys], raise_on_error=True)


def _orders(order_ids: Sequence[str], found: Sequence[bytes | None]) -> dict[str, Order]:
    return {
        order_id: order_from_dict(orjson.loads(raw))
        for order_id, raw in zip(order_ids, found, strict=True)
        if raw is not None
    }


def _counts(
    by_day: Mapping[str, Sequence[str]], replies: Sequence[Sequence[bytes | str | None]]
) -> dict[str, int]:
    """Lines picked per location from one HMGET per day's capacity hash (0 where none)."""
    return {
        location_id: int(n) if n is not None else 0
        for ids, counts in zip(by_day.values(), replies, strict=True)
        for location_id, n in zip(ids, counts, strict=True)
    }
