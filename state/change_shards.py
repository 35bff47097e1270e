"""The change log's streams: how many, their keys, and which stream each sku's changes go to.

One stream is one key, hence one shard on Redis Cluster: every change of the deployment would land on
one node. The log is therefore N streams; a sku always goes to the same one (its changes keep their
order), chosen by the sku's slot, and stream n's key carries a hash tag picked so its slot lies in
the n-th of N equal slot ranges: on masters that split the slots evenly, the streams spread evenly
(16 streams on 3 masters: 5, 5 and 6), which tags like `{0}`..`{15}` would only do by luck.
N = 1 keeps the one key `{prefix}changes` of before (single Redis: no change of key or speed).
Workers and API processes must use the same N (OMNISTOCK_CHANGE_STREAMS).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.crc import REDIS_CLUSTER_HASH_SLOTS as SLOTS
from redis.crc import key_slot

_TAG_TRIES = 10_000  # a tag in a range of SLOTS/N slots is found in about N tries


def changes_key(prefix: str) -> str:
    """The one stream of a log of one stream (the key of before sharding)."""
    return f"{prefix}changes"


def stream_key(prefix: str, stream: int, streams: int) -> str:
    """Stream `stream` of `streams`: `{prefix}changes:{<n>.<i>}`, the first tag whose slot lies in the
    stream's share of the slots (a prefix with a hash tag of its own keeps every stream on its slot)."""
    if streams == 1:
        return changes_key(prefix)
    first, end = stream * SLOTS // streams, (stream + 1) * SLOTS // streams
    for attempt in range(_TAG_TRIES):
        key = f"{prefix}changes:{{{stream}.{attempt}}}"
        if first <= key_slot(key.encode()) < end:
            return key
    return f"{prefix}changes:{{{stream}.0}}"


@dataclass(frozen=True, slots=True)
class ChangeShards:
    """The keys of the log's streams, in stream order, and the stream of each sku."""

    keys: tuple[str, ...]

    @classmethod
    def of(cls, prefix: str, streams: int = 1) -> ChangeShards:
        if streams < 1:
            raise ValueError(f"the change log needs at least one stream, not {streams}")
        return cls(tuple(stream_key(prefix, n, streams) for n in range(streams)))

    def __len__(self) -> int:
        return len(self.keys)

    def stream_of(self, sku: str) -> int:
        """The stream of the sku's changes: its slot's share of the slots (always 0 for one stream)."""
        streams = len(self.keys)
        return 0 if streams == 1 else key_slot(sku.encode()) * streams // SLOTS
