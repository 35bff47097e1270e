"""The async order reader for the API: an order and the routing decisions that placed its shipments."""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio
from redis.asyncio.cluster import RedisCluster

from core.order_codec import order_from_dict
from core.order_types import Order
from state import order_keys as k
from state.read_deadline import read_deadline
from state.redis_calls import REDIS_DOWN


def decision_ids(order: Order) -> list[str]:
    """The order's decisions, each once: those it records, oldest first (those that placed nothing
    too), then any of its shipments' not among them (an order stored before it recorded them)."""
    return list(dict.fromkeys([*order.decisions, *(s.decision_id for s in order.shipments)]))


class AsyncRedisOrderReader:
    """Two round trips: the order, then its decisions (their ids are in the order). A decision that
    expired before its order (an open order outlives the retention) is left out. Both round trips
    together are bounded by `deadline_s` (None: no bound), past which StoreUnavailable is raised.
    On a Redis Cluster the decisions (one slot each) go in redis-py's cluster pipeline: one
    pipeline per node, the nodes in parallel."""

    def __init__(
        self, client: redis.asyncio.Redis | RedisCluster, prefix: str, deadline_s: float | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._deadline_s = deadline_s

    async def order(self, order_id: str) -> tuple[Order, list[dict[str, Any]]] | None:
        async with read_deadline(self._deadline_s):
            raw = await self._client.get(k.order(self._prefix, order_id))
            if raw is None:
                return None
            found = order_from_dict(orjson.loads(raw))
            ids = decision_ids(found)
            if not ids:
                return found, []
            async with self._client.pipeline(transaction=False) as pipe:
                for decision_id in ids:
                    pipe.get(k.decision(self._prefix, decision_id))
                decisions: list[bytes | None] = await pipe.execute()
        return found, [orjson.loads(d) for d in decisions if d is not None]

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except REDIS_DOWN:
            return False
