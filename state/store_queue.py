"""The store queue reader of the API (core.store_queue.StoreQueueReader) on Redis or a Redis Cluster.

The worker keeps the index of the shipments open at each location (order_keys.store_queue, written
from each order's before/after diff); this reads it with the orders and decisions it names. Three
round trips for a queue: the index, the orders, their decisions (the decision ids are in the orders);
on a Cluster the orders and decisions (one slot each) go in redis-py's cluster pipeline, one pipeline
per node, the nodes in parallel. Every read is bounded by `deadline_s` (None: no bound), past which
StoreUnavailable is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import redis.asyncio
from redis.asyncio.cluster import RedisCluster

from core.order_codec import order_from_dict
from core.order_types import Order
from core.store_queue import OpenShipment
from state import order_keys as k
from state.read_deadline import read_deadline
from state.redis_calls import REDIS_DOWN
from state.store_queue_entries import open_entry, with_promise


class AsyncRedisStoreQueue:
    def __init__(
        self, client: redis.asyncio.Redis | RedisCluster, prefix: str, deadline_s: float | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._deadline_s = deadline_s

    async def open_shipments(self, location_id: str, limit: int = 500) -> list[OpenShipment]:
        """The oldest `limit` entries of the location's index, less those whose order no longer has
        the shipment open there (stale: left out, not counted)."""
        async with read_deadline(self._deadline_s):
            key = k.store_queue(self._prefix, location_id)
            members: list[bytes] = await self._client.zrange(key, 0, limit - 1)  # type: ignore[assignment]
            entries = [k.split(k.text(member)) for member in members]
            orders = await self._orders(list(dict.fromkeys(order_id for order_id, _ in entries)))
            open_now = [
                (orders[order_id], shipment)
                for order_id, shipment_id in entries
                if order_id in orders and (shipment := open_entry(orders[order_id], shipment_id, location_id))
            ]
            decisions = await self._decisions(list(dict.fromkeys(s.decision_id for _, s in open_now)))
        return [with_promise(order, s, decisions.get(s.decision_id)) for order, s in open_now]

    async def shipment(self, order_id: str, shipment_id: str) -> OpenShipment | None:
        async with read_deadline(self._deadline_s):
            found = (await self._orders([order_id])).get(order_id)
            shipment = found.shipment(shipment_id) if found is not None else None
            if found is None or shipment is None:
                return None
            decisions = await self._decisions([shipment.decision_id])
        return with_promise(found, shipment, decisions.get(shipment.decision_id))

    async def capacity_used(self, location_id: str, day: str) -> int:
        async with read_deadline(self._deadline_s):
            used = await self._client.hget(k.capacity(self._prefix, day, location_id), location_id)
        return int(used) if used is not None else 0

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except REDIS_DOWN:
            return False

    async def _orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        found = await self._get([k.order(self._prefix, order_id) for order_id in order_ids])
        return {o: order_from_dict(orjson.loads(raw)) for o, raw in zip(order_ids, found, strict=True) if raw}

    async def _decisions(self, decision_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found = await self._get([k.decision(self._prefix, d) for d in decision_ids])
        return {d: orjson.loads(raw) for d, raw in zip(decision_ids, found, strict=True) if raw is not None}

    async def _get(self, keys: Sequence[str]) -> list[bytes | None]:
        """GET of each key in one pipeline (no MGET: the keys are in different slots)."""
        if not keys:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
            found: list[bytes | None] = await pipe.execute()
        return found
