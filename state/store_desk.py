"""The store desk: what the API last published for each shipment, so a double click publishes once.

The API answers an action before the worker has applied it. The desk remembers, per order, the last
status the API published for each of its shipments (hash `{prefix}desk:{<order_id>}`, in the order's
slot, so it lives beside the order on a Redis Cluster). A claim is one compare-and-set script: it
takes the field only if it still holds what the caller read, so of two concurrent clicks one wins and
the other sees the first's status (a duplicate). A claim whose publish fails is released, so the
retry is free to publish. Counts are deduplicated by their own key, SET NX EX.
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
    """String "1" while a count of that id at that location has been published."""
    return f"{prefix}count:{location_id}:{count_id}"


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

    async def published(self, order_id: str, field: str) -> ShipmentStatus | None:
        """The status last published for `field` (a shipment id) of the order; None when none."""
        async with read_deadline(self._deadline_s):
            raw = await self._client.hget(desk_key(self._prefix, order_id), field)
        text = _text(raw)
        return ShipmentStatus(text) if text else None

    async def published_many(self, shipments: Sequence[tuple[str, str]]) -> list[ShipmentStatus | None]:
        """`published` of many (order_id, shipment_id) in one pipelined round trip (one per node)."""
        if not shipments:
            return []
        async with read_deadline(self._deadline_s), self._client.pipeline(transaction=False) as pipe:
            for order_id, shipment_id in shipments:
                pipe.hget(desk_key(self._prefix, order_id), shipment_id)
            found: list[bytes | None] = await pipe.execute()
        return [ShipmentStatus(text) if (text := _text(raw)) else None for raw in found]

    async def claim(self, order_id: str, field: str, expected: str | None, new: str | None) -> Claim:
        """Set `field` to `new` (None: remove it) only if it still holds `expected` (None: absent)."""
        args: list[str | int] = [field, expected or "", new or "", self._ttl_s]
        async with read_deadline(self._deadline_s):
            won, current = await self._claim(keys=[desk_key(self._prefix, order_id)], args=args)
        return Claim(bool(won), _text(current) or None)

    async def release(self, order_id: str, field: str, claimed: str, previous: str | None) -> bool:
        """Undo a claim whose event did not go out; False when the field has moved on since."""
        return (await self.claim(order_id, field, claimed, previous)).won

    async def claim_count(self, location_id: str, count_id: str) -> bool:
        """True for the first claim of this count id at this location; False for a repeat."""
        key = count_key(self._prefix, location_id, count_id)
        async with read_deadline(self._deadline_s):
            return bool(await self._client.set(key, "1", nx=True, ex=self._ttl_s))

    async def release_count(self, location_id: str, count_id: str) -> None:
        """Forget a count whose event did not go out, so its retry publishes."""
        async with read_deadline(self._deadline_s):
            await self._client.delete(count_key(self._prefix, location_id, count_id))
