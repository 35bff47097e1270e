"""The store desk: what the API last published for each shipment, so a double click publishes once.

The API answers an action before the worker has applied it. The desk remembers, per order, the last
status the API published for each of its shipments (hash `{prefix}desk:{<order_id>}`, in the order's
slot, so it lives beside the order on a Redis Cluster). A claim is one compare-and-set script: it
takes the field only if it still holds what the caller read, so of two concurrent clicks one wins and
the other sees the first's status (a duplicate). A claim whose publish fails is released, so the
retry is free to publish. Counts are deduplicated by their own key, with the same script.

A claim is first marked in flight (`~ACCEPTED@<claimed at ms>`), and only once the broker has the
event marked published (`ACCEPTED`): a repeat that finds it in flight waits for the outcome rather
than answering "done" for an event that may yet fail. A mark left in flight by a process that died
mid-publish goes stale (the caller says when): then nobody knows whether the event went out, so the
action may be published again, under the same event id, which the worker applies once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import redis.asyncio
from redis.asyncio.cluster import RedisCluster

from core.order_types import ShipmentStatus
from state.read_deadline import read_deadline

DEFAULT_TTL_S = 30 * 86400  # the order store's default retention: the desk outlives no order
_SCRIPT = (resources.files("state") / "lua" / "desk_claim.lua").read_text()


def desk_key(prefix: str, order_id: str) -> str:
    """Hash shipment_id (or a partial reject's event id) -> the status last published by the API."""
    return f"{prefix}desk:{{{order_id}}}"


def count_key(prefix: str, location_id: str, count_id: str) -> str:
    """String: the count's mark ("1" once published, in flight before), expiring after the desk's TTL."""
    return f"{prefix}count:{location_id}:{count_id}"


IN_FLIGHT = "~"
PUBLISHED_COUNT = "1"


@dataclass(frozen=True, slots=True)
class DeskMark:
    """What the desk holds for a shipment (or a count): `raw` as stored (what a compare-and-set
    expects), the status it stands for (None for a count), and when it was claimed while its event is
    in flight (None once published)."""

    raw: str
    status: ShipmentStatus | None
    claimed_at_ms: int | None = None

    def in_flight(self, now_ms: int, stale_after_ms: int) -> bool:
        """Claimed, its event not yet confirmed, and not so long ago that its process must have died."""
        return self.claimed_at_ms is not None and now_ms - self.claimed_at_ms < stale_after_ms

    def stale(self, now_ms: int, stale_after_ms: int) -> bool:
        return self.claimed_at_ms is not None and not self.in_flight(now_ms, stale_after_ms)


def in_flight_mark(status: ShipmentStatus | None, now_ms: int) -> str:
    """The mark of a claim whose event is being published (a count's has no status)."""
    return f"{IN_FLIGHT}{status.value if status else ''}@{now_ms}"


def parse_mark(raw: str) -> DeskMark:
    if raw.startswith(IN_FLIGHT):
        status, _, at_ms = raw[1:].rpartition("@")
        return DeskMark(raw, ShipmentStatus(status) if status else None, int(at_ms))
    return DeskMark(raw, None if raw == PUBLISHED_COUNT else ShipmentStatus(raw))


@dataclass(frozen=True, slots=True)
class Claim:
    """`won`: the field now holds what was asked; else `current` is what another request put there."""

    won: bool
    current: str | None


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


class StoreDesk:
    """The desk on Redis or a Redis Cluster; each call bounded by `deadline_s` (StoreUnavailable past it)."""

    def __init__(
        self,
        client: redis.asyncio.Redis | RedisCluster,
        prefix: str,
        ttl_s: int = DEFAULT_TTL_S,
        deadline_s: float | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._deadline_s = deadline_s
        self._claim = client.register_script(_SCRIPT)

    async def mark(self, order_id: str, field: str) -> DeskMark | None:
        """The mark of `field` (a shipment id, or a partial reject's event id) of the order, or None."""
        async with read_deadline(self._deadline_s):
            raw = await self._client.hget(desk_key(self._prefix, order_id), field)
        text = _text(raw)
        return parse_mark(text) if text else None

    async def marks(self, shipments: Sequence[tuple[str, str]]) -> list[DeskMark | None]:
        """`mark` of many (order_id, shipment_id) in one pipelined round trip (one per node)."""
        if not shipments:
            return []
        async with read_deadline(self._deadline_s), self._client.pipeline(transaction=False) as pipe:
            for order_id, shipment_id in shipments:
                pipe.hget(desk_key(self._prefix, order_id), shipment_id)
            found: list[bytes | None] = await pipe.execute()
        return [parse_mark(text) if (text := _text(raw)) else None for raw in found]

    async def claim(self, order_id: str, field: str, expected: str | None, new: str | None) -> Claim:
        """Set `field` to `new` (None: remove it) only if it still holds `expected` (None: absent)."""
        return await self._swap(desk_key(self._prefix, order_id), field, expected, new)

    async def release(self, order_id: str, field: str, claimed: str, previous: str | None) -> bool:
        """Undo a claim whose event did not go out; False when the field has moved on since."""
        return (await self.claim(order_id, field, claimed, previous)).won

    async def count_mark(self, location_id: str, count_id: str) -> DeskMark | None:
        """The mark of a count id at a location: in flight, published, or None."""
        async with read_deadline(self._deadline_s):
            raw = await self._client.get(count_key(self._prefix, location_id, count_id))
        text = _text(raw)
        return parse_mark(text) if text else None

    async def claim_count(
        self, location_id: str, count_id: str, expected: str | None, new: str | None
    ) -> Claim:
        """The count's mark set to `new` (None: removed) only if it still holds `expected` (None: absent)."""
        return await self._swap(count_key(self._prefix, location_id, count_id), "", expected, new)

    async def _swap(self, key: str, field: str, expected: str | None, new: str | None) -> Claim:
        args: list[str | int] = [field, expected or "", new or "", self._ttl_s]
        async with read_deadline(self._deadline_s):
            won, current = await self._claim(keys=[key], args=args)
        return Claim(bool(won), _text(current) or None)
