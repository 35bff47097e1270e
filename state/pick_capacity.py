"""Daily pick capacity taken and given back per order line, atomically per location and day (capacity.lua).

A claim names the order lines (their `order_keys.member`) a location is asked to pick on its local day.
TAKE grants each line while the location is under its limit and consumes it in the same step, so any
number of workers together never exceed the limit; a line already taken there that day is granted again
without counting twice (a retried batch, a save cut short). GIVE returns lines whose allocation was
refused. Every claim is one script call on one key (the hash of the location's bucket that day,
order_keys.capacity): one pipelined round trip per batch on one Redis, one per node on a Cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from state import order_keys as k
from state.redis_calls import Request, unavailable

__all__ = ["CapacityClaim", "CapacityReply", "CapacityScript", "TAKE", "GIVE"]

TAKE, GIVE = "TAKE", "GIVE"


@dataclass(frozen=True, slots=True)
class CapacityClaim:
    day: str  # "YYYY-MM-DD", the location's own local date
    location_id: str
    limit: int | None  # the location's daily_pick_capacity (None: unlimited, only counted)
    members: tuple[str, ...]  # order_keys.member(order_id, line_id) of each line


@dataclass(frozen=True, slots=True)
class CapacityReply:
    used: int  # lines taken at the location that day, after the call
    granted: tuple[bool, ...]  # per member: taken (TAKE) or given back (GIVE)


class ScriptCalls(Protocol):
    """The store's script runner: state.redis_calls.ScriptRunner (one Redis, one pipeline) or
    state.cluster_calls.ClusterScriptRunner (one pipeline per node); both reload after NOSCRIPT."""

    def run(self, requests: list[Request]) -> list[Any]: ...


class CapacityScript:
    """capacity.lua (`capacity` in state/scripts.py), each claim one call on one key."""

    def __init__(self, runner: ScriptCalls, prefix: str) -> None:
        self._runner, self._prefix = runner, prefix

    def run(self, op: str, claims: Sequence[CapacityClaim]) -> list[CapacityReply]:
        """One reply per claim, in one round trip per node (one more after a restart or a failover
        emptied a node's script cache)."""
        if not claims:
            return []
        replies = self._runner.run([self._call(op, claim) for claim in claims])
        with unavailable():  # an error reply: "not now" is StoreUnavailable, a script error is raised
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
        return [CapacityReply(int(r[0]), tuple(bool(x) for x in r[1:])) for r in replies]

    def _call(self, op: str, claim: CapacityClaim) -> Request:
        limit = -1 if claim.limit is None else claim.limit
        key = k.capacity(self._prefix, claim.day, claim.location_id)
        return ("capacity", (1, key, op, claim.location_id, limit, k.CAPACITY_TTL_S, *claim.members))


def take_in_memory(
    counts: dict[tuple[str, str], int], taken: set[tuple[str, str, str]], op: str, claim: CapacityClaim
) -> CapacityReply:
    """capacity.lua's rule on dicts, for the in-memory order store."""
    place = (claim.day, claim.location_id)
    n, granted = counts.get(place, 0), []
    for member in claim.members:
        line = (claim.day, claim.location_id, member)
        if op == TAKE:
            ok = line in taken or claim.limit is None or n < claim.limit
            if ok and line not in taken:
                taken.add(line)
                n += 1
        else:
            ok = line in taken
            if ok:
                taken.discard(line)
                n -= 1
        granted.append(ok)
    counts[place] = n
    return CapacityReply(n, tuple(granted))
