"""Hash tags for a key family split into buckets, so its writes spread over every node of a Cluster.

A table-wide index kept in one key (the SLA index of the orders, a day's pick capacity) puts every
write of the table on the one node that owns its slot: the hot shard of a Cluster. Split into BUCKETS
keys, each entry going to the bucket of a stable hash of its id, the writes spread; a reader of the
whole index reads every bucket (one command each, in the same round trip) and merges.

A random tag per bucket would leave the spread to chance (16 random slots can leave a node of 3 with
2 buckets and another with 8). Each bucket's tag is chosen instead so its slot falls in the middle of
its own 1/16th of the 16,384 slots: a cluster that splits the slots in equal ranges, as `redis-cli
--cluster create` and the test fixture do, gives each of its M masters the buckets whose middles it
owns (3 masters: 5, 6, 5; 4: 4 each; 8: 2 each). The tags are computed, not stored: the same on
every process, whatever the cluster.
"""

from __future__ import annotations

import zlib
from functools import cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

BUCKETS = 16


def bucket_of(item_id: str) -> int:
    """The bucket of an id: stable across processes and releases (CRC-32, not Python's hash)."""
    return zlib.crc32(item_id.encode()) % BUCKETS


@cache
def tags(family: str) -> tuple[str, ...]:
    """The hash tag (without braces) of each bucket of a key family, bucket b's slot in the middle
    1/16th of the b-th 1/BUCKETS of the slot space: "<family>:<b>.<n>" with the first n that lands
    there (a few hundred CRC16s per bucket, once per process)."""
    width = REDIS_CLUSTER_HASH_SLOTS // BUCKETS
    middle = width // 16
    found = []
    for bucket in range(BUCKETS):
        n = 0
        while key_slot(f"{family}:{bucket}.{n}".encode()) // middle != bucket * 16 + 8:
            n += 1
        found.append(f"{family}:{bucket}.{n}")
    return tuple(found)


def tag_of(family: str, item_id: str) -> str:
    """The hash tag of the bucket an id belongs to."""
    return tags(family)[bucket_of(item_id)]
