"""The store marker on a Redis Cluster: one marker key in every hash slot, checked on every master.

One Redis loses its data whole; a cluster loses it one master at a time (restarted empty, failed over
to a replica that had nothing, a fresh node given slots). One marker key would only watch the master
that holds it, so the marker is written once per hash slot (16,384 small keys: `{prefix}epoch:{tag}`,
each tag chosen so that its slot is that slot) and read on every master: one EXISTS per slot range a
master owns (the first slot of the range), sent as one pipeline per node. A wiped master loses the
markers of all its slots; the check finds it.

Why per slot and not per node: slots move. Resharding (`CLUSTER SETSLOT` + `MIGRATE`, as
`redis-cli --cluster reshard` or `add-node` then `rebalance` do) carries every key of a slot, its
marker with it, so a newly added master that received slots with their keys is covered and found
whole; a node given slots without their keys (`ADDSLOTS` on an empty node) is found lost, as it is.
The slots checked follow the client's slot map (read again after MOVED or a node out of reach).
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
import redis
import redis.asyncio
import redis.asyncio.cluster
from redis.cluster import RedisCluster

from state.cluster_calls import ClusterScriptRunner
from state.epoch import AsyncStoreMarker, StoreMarker, marker_value
from state.lean_pipeline import Command
from state.redis_calls import unavailable

SLOTS = 16384


@functools.cache
def slot_tags() -> tuple[str, ...]:
    """A hash tag for each slot, by number: the first decimal number whose CRC16 falls in that slot
    (about 110,000 tried, 0.15 s once per process; only a cluster needs them)."""
    tags: list[str | None] = [None] * SLOTS
    left, number = SLOTS, 0
    while left:
        tag = str(number)
        slot = binascii.crc_hqx(tag.encode(), 0) % SLOTS
        if tags[slot] is None:
            tags[slot] = tag
            left -= 1
        number += 1
    return tuple(tag for tag in tags if tag is not None)


def slot_marker_key(prefix: str, slot: int) -> str:
    return f"{prefix}epoch:{{{slot_tags()[slot]}}}"


def checked_slots(slots_cache: Mapping[int, Sequence[Any]]) -> list[int]:
    """The first slot of every range of consecutive slots one master owns (three on a fresh 3-master
    cluster): a master that lost its data lost the markers of all its slots, one of them is enough."""
    found: list[int] = []
    owner = None
    for slot in range(SLOTS):
        nodes = slots_cache.get(slot)
        name = nodes[0].name if nodes else None
        if name is not None and name != owner:
            found.append(slot)
        owner = name
    return found


class _CheckedSlots:
    """The checked slots of the current slot map, computed again only when the client re-reads it
    (redis-py replaces its `slots_cache` dict then): nothing to compute per batch."""

    def __init__(self) -> None:
        self._map: object = None
        self._slots: list[int] = []

    def of(self, slots_cache: Mapping[int, Sequence[Any]]) -> list[int]:
        if slots_cache is not self._map:
            self._map, self._slots = slots_cache, checked_slots(slots_cache)
        return self._slots


class ClusterStoreMarker:
    """The marker of one prefix on a cluster, for the worker and rebuild (state.epoch.StoreMarker's
    methods). `present()` is one EXISTS per checked slot, grouped as one pipeline per node."""

    def __init__(self, client: RedisCluster, prefix: str) -> None:
        self._client, self._prefix, self.prefix = client, prefix, prefix
        self._runner = ClusterScriptRunner(client)
        self._checked = _CheckedSlots()
        self.key = f"{prefix}epoch:{{...}} (one per slot)"

    def lost_slots(self) -> list[int]:
        """The checked slots whose marker is gone (empty: the store is whole); StoreUnavailable when a
        node cannot be reached (unknown is not lost)."""
        slots = self._checked.of(self._client.nodes_manager.slots_cache)
        commands: list[Command] = [("EXISTS", slot_marker_key(self._prefix, slot)) for slot in slots]
        with unavailable():  # an error reply such as CLUSTERDOWN (a failover under way) is "not now"
            found = self._runner.read(commands)
        return [slot for slot, exists in zip(slots, found, strict=True) if not exists]

    def present(self) -> bool:
        return not self.lost_slots()

    def read(self) -> dict[str, object] | None:
        """One slot's marker (the first checked): when and by what the table was initialised."""
        slots = self._checked.of(self._client.nodes_manager.slots_cache)
        with unavailable():
            value = self._client.get(slot_marker_key(self._prefix, slots[0] if slots else 0))
        return None if value is None else dict(orjson.loads(value))

    def write(self, epoch_ms: int, origin: str) -> None:
        """The marker in every slot: 16,384 SETs, one pipeline per node and chunk. The checked slots'
        go last: a write cut short leaves the store lost, never found whole with slots unmarked."""
        value = marker_value(epoch_ms, origin)
        checked = self._checked.of(self._client.nodes_manager.slots_cache)
        last = set(checked)
        slots = [slot for slot in range(SLOTS) if slot not in last] + checked
        for chunk in _chunks(slots, 4096):
            with unavailable():
                self._runner.read([("SET", slot_marker_key(self._prefix, slot), value) for slot in chunk])

    def remove(self) -> None:
        """Every slot's marker deleted (tests, and `rebuild` clearing the prefix does it anyway)."""
        for chunk in _chunks(list(range(SLOTS)), 4096):
            self._runner.read([("UNLINK", slot_marker_key(self._prefix, slot)) for slot in chunk])


class AsyncClusterStoreMarker:
    """The marker read by the API's readiness probe on a cluster: the same slots, one async cluster
    pipeline (redis-py sends it per node, the nodes in parallel)."""

    def __init__(self, client: redis.asyncio.cluster.RedisCluster, prefix: str) -> None:
        self._client, self._prefix = client, prefix
        self._checked = _CheckedSlots()

    async def present(self) -> bool:
        if not self._client.nodes_manager.slots_cache:
            await self._client.initialize()
        slots = self._checked.of(self._client.nodes_manager.slots_cache)
        pipe = self._client.pipeline()
        for slot in slots:
            pipe.exists(slot_marker_key(self._prefix, slot))
        return all(await pipe.execute())


def _chunks(slots: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(slots), size):
        yield slots[start : start + size]


def store_marker(client: redis.Redis | RedisCluster, prefix: str) -> StoreMarker | ClusterStoreMarker:
    """The marker for the client: one key on one Redis (as before), one per slot on a cluster."""
    if isinstance(client, RedisCluster):
        return ClusterStoreMarker(client, prefix)
    return StoreMarker(client, prefix)


def async_store_marker(
    client: redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster, prefix: str
) -> AsyncStoreMarker | AsyncClusterStoreMarker:
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        return AsyncClusterStoreMarker(client, prefix)
    return AsyncStoreMarker(client, prefix)
