"""The Redis order store of the worker: orders, their routing decisions, the SLA, store queue and allocation
indexes, each batch written in one pipeline round trip, and the daily pick capacity (state/pick_capacity).

Layout (state/order_keys.py): one string per order and per decision, the shipments waiting to be accepted
in 16 sorted sets (the order's bucket), the shipments open at each store in one sorted set per location
(its screen's queue), one hash per (sku, location) of the lines allocated there (index writes:
state/order_indexes), the lines picked per location and day in 16 hashes a day (the location's bucket;
each location on its own local date). The table-wide indexes are buckets so that no node of a Redis
Cluster takes every write. On one Redis every call of a step is one pipeline; on a Cluster, one per node
(state/cluster_calls), chosen once at construction. The pipeline is not a transaction (the keys live in
many Cluster slots): each write's index updates are sent before its order, so a batch cut short leaves an
order at its previous state and a retry with the same `before` repeats idempotent index writes. Capacity
is not written here: it is taken per line when routing (take_capacity), where a retry finds its lines
taken already and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis
from redis.cluster import RedisCluster

from core.order_codec import order_from_dict, order_to_dict
from core.order_shortage import AllocatedHere
from core.order_types import Order
from state import lean_pipeline
from state import order_keys as k
from state.cluster_calls import ClusterScriptRunner
from state.order_indexes import index_commands
from state.pick_capacity import GIVE, TAKE, CapacityClaim, CapacityReply, CapacityScript
from state.redis_calls import ScriptRunner, unavailable
from state.replica_wait import NO_WAIT, ReplicaWait

__all__ = ["OrderWrite", "RedisOrderStore"]


@dataclass(frozen=True, slots=True)
class OrderWrite:
    """An order's new state and the state it was loaded in (None: a new order): the indexes are
    maintained from the difference, so `before` must be what `load` returned."""

    before: Order | None
    after: Order


class RedisOrderStore:
    def __init__(
        self,
        client: redis.Redis | RedisCluster,
        prefix: str,
        retention_s: int = 30 * 86400,
        wait: ReplicaWait = NO_WAIT,
    ) -> None:
        self._prefix = prefix
        self.prefix = prefix
        self._retention_s = retention_s
        # One branch, here: one Redis keeps its one lean pipeline per step, a cluster one per node.
        self._runner: ScriptRunner | ClusterScriptRunner
        if isinstance(client, RedisCluster):
            self._runner = ClusterScriptRunner(client, wait)
        else:
            self._runner = ScriptRunner(client, wait)  # WAIT ends the writes: save, capacity calls
        self._capacity = CapacityScript(self._runner, prefix)

    def load(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """The orders known (unknown ids are absent), in one round trip."""
        return self.load_with_capacity(order_ids, {})[0]

    def load_with_capacity(
        self, order_ids: Sequence[str], days: Mapping[str, str]
    ) -> tuple[dict[str, Order], dict[str, int]]:
        """`load` and `capacity_used` in one round trip: what a batch of order work reads first."""
        commands: list[lean_pipeline.Command] = [("GET", k.order(self._prefix, o)) for o in order_ids]
        by_key = k.capacity_reads(self._prefix, days)
        commands += [("HMGET", key, *ids) for key, ids in by_key.items()]
        found = self._read(commands)
        return _orders(order_ids, found[: len(order_ids)]), _counts(by_key, found[len(order_ids) :])

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
            commands += index_commands(self._prefix, write.before, write.after)
            value = orjson.dumps(order_to_dict(write.after))
            key = k.order(self._prefix, write.after.order_id)
            finished = k.finished(write.after)
            commands.append(("SET", key, value, "EX", self._retention_s) if finished else ("SET", key, value))
        with unavailable():
            self._runner.write(commands)

    def decisions(self, decision_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The decisions still kept (expired or unknown ids are absent), in one round trip."""
        found = self._read([("GET", k.decision(self._prefix, decision_id)) for decision_id in decision_ids])
        return {
            decision_id: orjson.loads(raw)
            for decision_id, raw in zip(decision_ids, found, strict=True)
            if raw is not None
        }

    def due_shipments(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]:
        """(order_id, shipment_id) of the shipments still REQUESTED past their accept-by, oldest first:
        the oldest `limit` of each bucket, merged (one round trip; one per node on a Cluster)."""
        reads: list[lean_pipeline.Command] = [
            ("ZRANGEBYSCORE", key, "-inf", now_ms, "WITHSCORES", "LIMIT", 0, limit)
            for key in k.sla_buckets(self._prefix)
        ]
        due = sorted(entry for reply in self._read(reads) for entry in _scored(reply))
        return [k.split(k.text(member)) for _, member in due[:limit]]

    def store_queue(self, location_id: str, limit: int = 500) -> list[tuple[str, str]]:
        """(order_id, shipment_id) of the shipments open at the location, oldest request first, at
        most `limit`: the index as written (the API's reader, state/store_queue, drops stale entries)."""
        (members,) = self._read([("ZRANGE", k.store_queue(self._prefix, location_id), 0, limit - 1)])
        return [k.split(k.text(member)) for member in members]

    def allocations_at(self, places: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[AllocatedHere]]:
        """Per (sku, location): the order lines allocated there, oldest first (every place asked is a
        key of the answer, with [] where nothing is allocated)."""
        hashes = self._read([("HGETALL", k.allocated(self._prefix, sku, loc)) for sku, loc in places])
        return {
            place: k.by_age([k.allocated_here(f, v) for f, v in _pairs(fields)])
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

    def _read(self, commands: list[lean_pipeline.Command]) -> list[Any]:
        """Single-key commands in one round trip (one per node on a Cluster; no MGET: the keys are in
        different slots); the first error reply raised, "not now" as StoreUnavailable."""
        with unavailable():
            return self._runner.read(commands)


def _orders(order_ids: Sequence[str], found: Sequence[bytes | None]) -> dict[str, Order]:
    return {
        order_id: order_from_dict(orjson.loads(raw))
        for order_id, raw in zip(order_ids, found, strict=True)
        if raw is not None
    }


def _counts(
    by_key: Mapping[str, Sequence[str]], replies: Sequence[Sequence[bytes | str | None]]
) -> dict[str, int]:
    """Lines picked per location from one HMGET per capacity hash read (0 where none)."""
    return {
        location_id: int(n) if n is not None else 0
        for ids, counts in zip(by_key.values(), replies, strict=True)
        for location_id, n in zip(ids, counts, strict=True)
    }


def _pairs(reply: Any) -> list[tuple[Any, Any]]:
    """A raw HGETALL reply as (field, value) pairs: a dict (RESP3) or a flat list (RESP2)."""
    if isinstance(reply, dict):
        return list(reply.items())
    return list(zip(reply[::2], reply[1::2], strict=True))


def _scored(reply: Any) -> list[tuple[float, bytes]]:
    """A raw ZRANGEBYSCORE WITHSCORES reply as (score, member) pairs: flat (RESP2) or pairs (RESP3)."""
    if reply and isinstance(reply[0], list):
        return [(float(score), member) for member, score in reply]
    return [(float(score), member) for member, score in zip(reply[::2], reply[1::2], strict=True)]
