"""The store marker (epoch): written when the stock table is initialised or rebuilt; gone = store lost.

A Redis restarted empty (no AOF, a failover to an empty replica, a FLUSHALL) leaves every key of the
prefix gone, the marker with them: the worker then holds its batches and the API answers 503 until
`omnistock rebuild` restores the table and writes a new marker. On one Redis the marker is one key
(`{epoch}` hash tag). A Redis Cluster loses its data one master at a time: there the marker is one key
per hash slot, checked on every master (state.shard_markers; `store_marker()` picks the kind).
"""

from __future__ import annotations

import orjson
import redis
import redis.asyncio

from state.redis_calls import unavailable

NEW_DEPLOYMENT = "new_deployment"  # the first worker of a consumer group that never committed
REBUILD = "rebuild"


def marker_key(prefix: str) -> str:
    return f"{prefix}{{epoch}}"


def marker_value(epoch_ms: int, origin: str) -> bytes:
    """What the marker holds: when and by what the table was initialised (for people; only its
    existence is checked)."""
    return orjson.dumps({"epoch_ms": epoch_ms, "origin": origin})


class StoreMarker:
    """The marker of one prefix, on a synchronous client (worker, rebuild)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self.key = marker_key(prefix)

    def present(self) -> bool:
        """One EXISTS; raises StoreUnavailable when Redis cannot be reached (unknown is not lost)."""
        with unavailable():
            return bool(self._client.exists(self.key))

    def read(self) -> dict[str, object] | None:
        value = self._client.get(self.key)
        return None if value is None else dict(orjson.loads(value))

    def write(self, epoch_ms: int, origin: str) -> None:
        self._client.set(self.key, marker_value(epoch_ms, origin))


class AsyncStoreMarker:
    """The marker read by the API's readiness probe."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self._client = client
        self.key = marker_key(prefix)

    async def present(self) -> bool:
        """One EXISTS; a connection failure raises (the probe reports the store as not answering)."""
        return bool(await self._client.exists(self.key))
