"""The availability change log in capped Redis Streams: the worker appends a batch, the API tails it.

The log is N streams (state.change_shards: one key on single Redis by default, spread over the
masters on a cluster); each sku's changes go to one stream, in order. Positions are per stream: a
reader resumes from one stream id per stream it follows. Entries are compact: sku, loc, oh, it, rs,
al, ss, atp, natp. Each stream is capped with approximate MAXLEN (whole radix nodes are dropped, so
trimming is cheap); size it for rate x the longest reconnection a client should survive without a
reset (the streams share it).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.cluster
from redis.cluster import RedisCluster

from core.movements import LocationFigures
from state import lean_pipeline
from state.change_shards import ChangeShards, changes_key
from state.cluster_calls import ClusterScriptRunner
from state.read_deadline import read_deadline
from state.redis_calls import unavailable

__all__ = [
    "START",
    "AsyncChangeStream",
    "ChangeStream",
    "ChangesRead",
    "StreamSpan",
    "StreamedChange",
    "changes_key",
]

DEFAULT_MAXLEN = 100_000
START = "0-0"  # before any entry
_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")


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
    stream: int = 0  # the log's stream it is in (its id orders it there only)


@dataclass(frozen=True, slots=True)
class ChangesRead:
    """The entries of asked skus in one read of one stream, and `last_id`, how far the read got in that
    stream (resume after it): entries of other skus advance `last_id` without being returned."""

    last_id: str
    changes: list[StreamedChange]


class ChangeStream:
    """The worker's side: appends a batch of changes, each to its sku's stream, in one pipelined round
    trip (on a cluster one per node, through state.cluster_calls: MOVED, ASK and TRYAGAIN resend only
    the redirected XADDs, which were not applied)."""

    def __init__(
        self, client: redis.Redis | RedisCluster, shards: ChangeShards | str, maxlen: int = DEFAULT_MAXLEN
    ) -> None:
        self._shards = shards if isinstance(shards, ChangeShards) else ChangeShards((shards,))
        self._maxlen = -(-maxlen // len(self._shards))  # the log's cap, shared: the same resumable time
        self._single = client if isinstance(client, redis.Redis) else None
        self._cluster = None if isinstance(client, redis.Redis) else ClusterScriptRunner(client)

    def append(self, changes: Sequence[tuple[str, LocationFigures, int]]) -> None:
        """Append (sku, figures, network_atp) changes in order; raises StoreUnavailable if Redis is down."""
        if not changes:
            return
        keys, maxlen = self._shards.keys, self._maxlen
        stream_of = None if len(keys) == 1 else self._shards.stream_of
        # One compact field per entry: a quarter of the arguments to pack, for the worker's hot path
        # (ids cannot contain "|", the event models refuse it).
        commands: list[lean_pipeline.Command] = []
        for sku, f, network_atp in changes:
            numbers = (f.on_hand, f.in_transit, f.reserved, f.allocated, f.safety_stock, f.atp)
            value = "|".join((sku, f.location_id, *map(str, numbers), str(network_atp)))
            key = keys[0] if stream_of is None else keys[stream_of(sku)]
            commands.append(("XADD", key, "MAXLEN", "~", maxlen, "*", "c", value))
        with unavailable():
            if self._single is not None:
                lean_pipeline.run(self._single, commands, raise_on_error=True)
            elif self._cluster is not None:
                self._cluster.read(commands)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


AsyncClient = redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster


@dataclass(frozen=True, slots=True)
class StreamSpan:
    """What one stream of the log holds: its oldest entry's id (None: empty), the newest id it gave,
    and whether it ever dropped entries (capping): a position before `oldest` lost entries only then."""

    oldest: str | None
    newest: str
    trimmed: bool


def _span(answer: Any) -> StreamSpan | None:
    if isinstance(answer, redis.ResponseError) and "no such key" in str(answer):
        return None
    if isinstance(answer, Exception):
        raise answer
    first = answer["first-entry"]
    trimmed = int(answer["entries-added"]) > int(answer["length"])
    return StreamSpan(None if first is None else _text(first[0]), _text(answer["last-generated-id"]), trimmed)


def _change(entry_id: str, fields: dict[bytes, bytes], stream: int) -> StreamedChange:
    sku, location_id, *numbers = fields[b"c"].decode().split("|")
    on_hand, in_transit, reserved, allocated, safety_stock, atp, network_atp = map(int, numbers)
    figures = LocationFigures(location_id, on_hand, in_transit, reserved, allocated, safety_stock, atp)
    return StreamedChange(entry_id, sku, figures, network_atp, stream)


class AsyncChangeStream:
    """The API's side: reads the log's streams for a set of skus (api.change_hub tails each stream for
    every SSE stream of a process). The client, one Redis or a cluster, must answer bytes (the default)
    and have a socket timeout longer than the `block_ms` of its reads. Each read is bounded by
    `deadline_s` (plus its `block_ms`; None: no bound). Blocking reads go through `tail_client` when
    given: connections of their own (one per stream: a blocking XREAD names keys of one slot on a
    cluster), never waiting behind the short reads of a crowd of connecting streams."""

    def __init__(
        self,
        client: AsyncClient,
        shards: ChangeShards | str,
        deadline_s: float | None = None,
        tail_client: AsyncClient | None = None,
    ) -> None:
        self._client = client
        self._shards = shards if isinstance(shards, ChangeShards) else ChangeShards((shards,))
        self._deadline_s = deadline_s
        self._tail_client = tail_client or client

    @property
    def streams(self) -> int:
        return len(self._shards)

    def stream_of(self, sku: str) -> int:
        return self._shards.stream_of(sku)

    async def read(
        self, stream: int, after_id: str, skus: Collection[str], block_ms: int | None, count: int
    ) -> ChangesRead:
        """The entries of `stream` after `after_id` (at most `count` scanned, waiting up to `block_ms`
        for the first; None: not waiting), keeping those of `skus`; raises StoreUnavailable if Redis
        is down."""
        deadline_s = None if self._deadline_s is None else self._deadline_s + (block_ms or 0) / 1000
        key = self._shards.keys[stream]
        async with read_deadline(deadline_s):
            client = self._client if block_ms is None else self._tail_client
            answer: Any = await client.xread({key: after_id}, count=count, block=block_ms)
        if not answer:
            return ChangesRead(after_id, [])
        entries = answer[0][1]
        changes = [
            _change(_text(eid), fields, stream)
            for eid, fields in entries
            if fields.get(b"c", b"").split(b"|", 1)[0].decode() in skus
        ]
        return ChangesRead(_text(entries[-1][0]), changes)

    async def spans(self) -> list[StreamSpan | None]:
        """Per stream, what it holds (None: no such stream): one XINFO STREAM each, in one pipeline
        (on a cluster one per node, concurrently). Redis 7+: `entries-added` says whether any entry
        was ever trimmed."""
        async with read_deadline(self._deadline_s), self._client.pipeline(transaction=False) as pipe:
            for key in self._shards.keys:
                pipe.xinfo_stream(key)
            answers = await pipe.execute(raise_on_error=False)
        return [_span(answer) for answer in answers]

    async def last_ids(self) -> list[str]:
        """Per stream, the id of the newest entry (START when empty): reading after it waits for what
        comes next. Pinned once instead of passing "$" on every read, which would skip entries between
        reads. One call for one stream, else one pipeline (on a cluster one per node, concurrently)."""
        answers: list[Any]
        async with read_deadline(self._deadline_s):
            if len(self._shards) == 1:
                answers = [await self._client.xrevrange(self._shards.keys[0], "+", "-", count=1)]
            else:
                async with self._client.pipeline(transaction=False) as pipe:
                    for key in self._shards.keys:
                        pipe.xrevrange(key, "+", "-", count=1)
                    answers = await pipe.execute()
        return [_text(entries[0][0]) if entries else START for entries in answers]
