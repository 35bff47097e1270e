"""The in-memory order store: the fake of RedisOrderStore and AsyncRedisOrderReader for tests.

It keeps orders and decisions as the same JSON bytes Redis would, and derives the indexes (SLA, store
queues, allocations) from the orders it holds instead of maintaining them from diffs: the contract
suite checks that the Redis store's diff-maintained indexes give the same answers. Nothing expires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from core.order_codec import order_from_dict, order_to_dict
from core.order_shortage import AllocatedHere
from core.order_types import Order
from state import order_keys as k
from state.order_reader import decision_ids
from state.order_store import OrderWrite
from state.pick_capacity import GIVE, TAKE, CapacityClaim, CapacityReply, take_in_memory


class InMemoryOrderStore:
    def __init__(self) -> None:
        self._orders: dict[str, bytes] = {}
        self._decisions: dict[str, bytes] = {}
        self._capacity: dict[tuple[str, str], int] = {}
        self._taken: set[tuple[str, str, str]] = set()  # (day, location_id, line member)

    def load(self, order_ids: Sequence[str]) -> dict[str, Order]:
        return {o: order_from_dict(orjson.loads(self._orders[o])) for o in order_ids if o in self._orders}

    def save(
        self,
        writes: Sequence[OrderWrite],
        decisions: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        for made in decisions:
            self._decisions[str(made["decision_id"])] = orjson.dumps(made)
        for write in writes:
            self._orders[write.after.order_id] = orjson.dumps(order_to_dict(write.after))

    def decisions(self, decision_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {d: orjson.loads(self._decisions[d]) for d in decision_ids if d in self._decisions}

    def due_shipments(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]:
        due = sorted(
            (at, member)
            for found in self._all()
            for member, at in k.sla_members(found).items()
            if at <= now_ms
        )
        return [k.split(member) for _, member in due[:limit]]

    def store_queue(self, location_id: str, limit: int = 500) -> list[tuple[str, str]]:
        queued = sorted(
            (at, member)
            for found in self._all()
            for member, at in k.store_queue_members(found).get(location_id, {}).items()
        )
        return [k.split(member) for _, member in queued[:limit]]

    def allocations_at(self, places: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[AllocatedHere]]:
        found: dict[tuple[str, str], list[AllocatedHere]] = {place: [] for place in places}
        for order in self._all():
            for place, fields in k.allocation_entries(order).items():
                if place in found:
                    found[place] += [k.allocated_here(f, v) for f, v in fields.items()]
        return {place: k.by_age(lines) for place, lines in found.items()}

    def capacity_used(self, days: Mapping[str, str]) -> dict[str, int]:
        return {loc: self._capacity.get((day, loc), 0) for loc, day in days.items()}

    def take_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]:
        return [take_in_memory(self._capacity, self._taken, TAKE, claim) for claim in claims]

    def give_back_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]:
        return [take_in_memory(self._capacity, self._taken, GIVE, claim) for claim in claims]

    def load_with_capacity(
        self, order_ids: Sequence[str], days: Mapping[str, str]
    ) -> tuple[dict[str, Order], dict[str, int]]:
        return self.load(order_ids), self.capacity_used(days)

    async def order(self, order_id: str) -> tuple[Order, list[dict[str, Any]]] | None:
        """The reader's answer, for API tests."""
        if order_id not in self._orders:
            return None
        found = self.load([order_id])[order_id]
        ids = decision_ids(found)
        return found, list(self.decisions(ids).values())

    async def ping(self) -> bool:
        return True

    def _all(self) -> list[Order]:
        return list(self.load(list(self._orders)).values())
