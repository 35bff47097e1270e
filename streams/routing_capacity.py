"""A batch's daily pick capacity: what each node has left, taken per order line before it is allocated.

Capacity is read with the batch's orders; the router plans on what is left, then takes each chosen line
at its node (state/pick_capacity: atomic per node and day, refused past the limit, a line taken before
granted again without counting twice), allocates only the lines granted, and gives back the lines whose
allocation the store refused. A node is therefore never past its limit, whatever the number of workers:
only briefly under it, between a take and its give-back. Every reply carries the node's count, so the
next round plans on the fresh figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from core.allocation import OrderLine
from core.network import Network
from state.order_keys import member
from state.pick_capacity import CapacityClaim, CapacityReply

Line = tuple[str, str, str]  # (location_id, order_id, line_id)
Refused = tuple[OrderLine, str, str]  # a planned line not allocated: (line, location_id, who refused it)
BY_CAPACITY = "its daily pick capacity (taken meanwhile by another order or worker)"
BY_STOCK = "the allocation (its ATP was taken meanwhile by another order, worker or a sale)"
BY_EARLIER_ATTEMPT = "the allocation (an earlier attempt at this order had allocated it: released)"


class CapacityStore(Protocol):
    def take_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]: ...
    def give_back_capacity(self, claims: Sequence[CapacityClaim]) -> list[CapacityReply]: ...


class BatchCapacity:
    def __init__(self, store: CapacityStore, days: Mapping[str, str], used: Mapping[str, int]) -> None:
        self._store, self._days = store, days
        self.used = dict(used)  # location_id -> lines taken on its day, as last read or taken

    def left(self, network: Network) -> dict[str, int | None]:
        """Lines each node may still pick today (None: no limit)."""
        return {
            node_id: None
            if (limit := node.daily_pick_capacity) is None
            else max(0, limit - self.used.get(node_id, 0))
            for node_id, node in network.locations.items()
        }

    def take(self, lines: Sequence[Line], network: Network) -> list[bool]:
        """Per line: taken at its node (True) or refused, its node at its limit. One round trip."""
        return self._run(lines, network, give_back=False)

    def give_back(self, lines: Sequence[Line], network: Network) -> None:
        """The lines returned to their nodes (their allocation was refused). One round trip."""
        self._run(lines, network, give_back=True)

    def _run(self, lines: Sequence[Line], network: Network, give_back: bool) -> list[bool]:
        if not lines:
            return []
        by_node: dict[str, list[int]] = {}
        for index, (location_id, _, _) in enumerate(lines):
            by_node.setdefault(location_id, []).append(index)
        claims = [
            CapacityClaim(
                day=self._days[node_id],
                location_id=node_id,
                limit=_limit(network, node_id),
                members=tuple(member(lines[i][1], lines[i][2]) for i in indexes),
            )
            for node_id, indexes in by_node.items()
        ]
        run = self._store.give_back_capacity if give_back else self._store.take_capacity
        granted = [False] * len(lines)
        for (node_id, indexes), reply in zip(by_node.items(), run(claims), strict=True):
            self.used[node_id] = reply.used
            for i, ok in zip(indexes, reply.granted, strict=True):
                granted[i] = ok
        return granted


def _limit(network: Network, location_id: str) -> int | None:
    node = network.locations.get(location_id)
    return node.daily_pick_capacity if node is not None else None
