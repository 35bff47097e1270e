"""The availability change log in a capped Redis Stream: the worker appends a batch, the API tails it.

One global key (`changes_key`), NOT sku-hash-tagged: on Redis Cluster the whole log lives on one shard,
which is what lets a reader resume from a single stream id. Entries are compact: sku, loc, oh, it, rs,
al, ss, atp, natp. The stream is capped with approximate MAXLEN (whole radix nodes are dropped, so
trimming is cheap); size it for rate x the longest reconnection a client should survive without a reset.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio

from core.movements import LocationFigures
from state import lean_pipeline
from state.read_deadline import read_deadline
from state.redis_calls import unavailable

DEFAULT_MAXLEN = 100_000
START = "0-0"  # before any entry
_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")


def changes_key(prefix: str) -> str:
    """The one stream of every availability change of the deployment (one shard on Redis Cluster)."""
    return f"{prefix}changes"


def is_stream_id(text: str) -> bool:
    """True for a full Redis stream id `<ms>-<seq>`, the only form the API hands out."""
    return _STREAM_ID.fullmatch(text) is not None


def id_order(stream_id: str) -> tuple[int, int]:
    """A stream id as a sortable pair (ids do not sort as strings: "9-0" < "10-0")."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass(frozen=True, slots=True)
class StreamedChange:
    """One entry of the log: what changed at one (sku, location), and the sku's network ATP then."""

    id: str
    sku: str
    figures: LocationFigures
    network_atp: int


@dataclass(frozen=True, slots=True)
class ChangesRead:
    """The entries of asked skus in one read, and `last_id`, how far the read got (resume after it):
    entries of other skus advance `last_id` without being returned."""

    last_id: str
    changes: list[StreamedChange]


class ChangeStream:
    """The worker's side: appends a batch of changes in one pipelined round trip."""

    def __init__(self, client: redis.Redis, key: str, maxlen: int = DEFAULT_MAXLEN) -> None:
        self._client = client
        self._key = key
        self._maxlen = maxlen

    def append(self, changes: Sequence[tuple[str, LocationFigures, int]]) -> None:
        """Append (sku, figures, network_atp) changes in order; raises StoreUnavailable if Redis is down."""
        if not changes:
            return
        key, maxlen = self._key, self._maxlen
        # One compact field per entry: a quarter of the arguments to pack, for the worker's hot path
        # (ids cannot contain "|", the event models refuse it).
        commands: list[lean_pipeline.Command] = []
        for sku, f, network_atp in changes:
            numbers = (f.on_hand, f.in_transit, f.reserved, f.allocated, f.safety_stock, f.atp)
            value = "|".join((sku, f.location_id, *map(str, numbers), str(network_atp)))
            commands.append(("XADD", key, "MAXLEN", "~", maxlen, "*", "c", value))
        with unavailable():
            lean_pipeline.run(self._client, commands, raise_on_error=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _change(entry_id: str, fields: dict[bytes, bytes]) -> StreamedChange:
    sku, location_id, *numbers = fields[b"c"].decode().split("|")
    on_hand, in_transit, reserved, allocated, safety_stock, atp, network_atp = map(int, numbers)
    figures = LocationFigures(location_id, on_hand, in_transit, reserved, allocated, safety_stock, atp)
    return StreamedChange(entry_id, sku, figures, network_atp)


class AsyncChangeStream:
    """The API's side: tails the log for a set of skus (api.change_hub reads it for every stream of a
    process). The client must answer bytes (the default) and have a socket timeout longer than the
    `block_ms` of its reads. Each read is bounded by `deadline_s` (plus its `block_ms`; None: no bound).
    Blocking reads go through `tail_client` when given: a connection of their own, never waiting behind
    the short reads of a crowd of connecting streams."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        key: str,
        deadline_s: float | None = None,
        tail_client: redis.asyncio.Redis | None = None,
    ) -> None:
        self._client = client
        self._key = key
        self._deadline_s = deadline_s
        self._tail_client = tail_client or client

    async def read(
        self, after_id: str, skus: Collection[str], block_ms: int | None, count: int
    ) -> ChangesRead:
        """The entries after `after_id` (at most `count` scanned, waiting up to `block_ms` for the first;
        None: not waiting), keeping those of `skus`; raises StoreUnavailable if Redis is down."""
        deadline_s = None if self._deadline_s is None else self._deadline_s + (block_ms or 0) / 1000
        async with read_deadline(deadline_s):
            client = self._client if block_ms is None else self._tail_client
            answer: Any = await client.xread({self._key: after_id}, count=count, block=block_ms)
        if not answer:
            return ChangesRead(after_id, [])
        entries = answer[0][1]
        changes = [
            _change(_text(eid), fields)
            for eid, fields in entries
            if fields.get(b"c", b"").split(b"|", 1)[0].decode() in skus
        ]
        return ChangesRead(_text(entries[-1][0]), changes)

    async def oldest_id(self) -> str | None:
        """The id of the oldest entry still held; None when the log is empty (or was never written)."""
        return await self._edge(self._client.xrange(self._key, "-", "+", count=1))

    async def last_id(self) -> str:
        """The id of the newest entry (START when empty): reading after it waits for what comes next.
        Pinned once instead of passing "$" on every read, which would skip entries between reads."""
        newest = await self._edge(self._client.xrevrange(self._key, "+", "-", count=1))
        return START if newest is None else newest

    async def _edge(self, pending: Any) -> str | None:
        async with read_deadline(self._deadline_s):
            entries = await pending
        return _text(entries[0][0]) if entries else None
