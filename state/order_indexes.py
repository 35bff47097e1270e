"""The index writes of one order write: what differs between the indexes of its before and its after.

Each index is derived from an order alone (state/order_keys), so a write touches only the entries that
changed; writing the same difference twice changes nothing (a retried batch is safe).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.order_types import Order
from state import lean_pipeline
from state import order_keys as k


def index_commands(prefix: str, before: Order | None, after: Order) -> list[lean_pipeline.Command]:
    """The SLA index, the store queues and the allocation index, from `before` to `after`."""
    sla = k.sla(prefix, after.order_id)
    commands = _scored(sla, k.sla_members(before), k.sla_members(after))
    was, now = k.store_queue_members(before), k.store_queue_members(after)
    for location_id in dict.fromkeys([*was, *now]):
        key = k.store_queue(prefix, location_id)
        commands += _scored(key, was.get(location_id, {}), now.get(location_id, {}))
    return commands + _allocations(prefix, before, after)


def _scored(key: str, before: Mapping[str, int], after: Mapping[str, int]) -> list[lean_pipeline.Command]:
    commands: list[lean_pipeline.Command] = []
    if gone := [m for m in before if m not in after]:
        commands.append(("ZREM", key, *gone))
    if added := {m: score for m, score in after.items() if before.get(m) != score}:
        commands.append(("ZADD", key, *[x for m, score in added.items() for x in (score, m)]))
    return commands


def _allocations(prefix: str, before: Order | None, after: Order) -> list[lean_pipeline.Command]:
    commands: list[lean_pipeline.Command] = []
    was, now = k.allocation_entries(before), k.allocation_entries(after)
    for place in dict.fromkeys([*was, *now]):
        old, new = was.get(place, {}), now.get(place, {})
        key = k.allocated(prefix, *place)
        if removed := [field for field in old if field not in new]:
            commands.append(("HDEL", key, *removed))
        if changed := {field: v for field, v in new.items() if old.get(field) != v}:
            commands.append(("HSET", key, *[x for pair in changed.items() for x in pair]))
    return commands
