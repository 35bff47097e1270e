"""Removes the keys of one run (dev stack, benches, tests, rebuild): everything under a prefix."""

from __future__ import annotations

import contextlib
from itertools import islice

import redis
from redis.cluster import RedisCluster


def delete_prefix(
    client: redis.Redis | RedisCluster, prefix: str, chunk: int = 1000, strict: bool = False
) -> None:
    """UNLINK every key that starts with `prefix` (SCAN, so the server is never blocked); best effort,
    unless `strict` (rebuild: a key left behind would be counted twice), which raises Redis's errors.
    On a cluster each master is scanned on its own connection and its keys unlinked there, one key
    per UNLINK in one pipeline per chunk (a multi-key UNLINK must stay within one slot)."""
    errors = () if strict else (redis.RedisError,)
    if isinstance(client, RedisCluster):
        for node in client.get_primaries():  # type: ignore[no-untyped-call]
            with contextlib.suppress(*errors):
                _delete_on_node(client.get_redis_connection(node), prefix, chunk)
        return
    with contextlib.suppress(*errors):
        keys = client.scan_iter(match=prefix + "*", count=chunk)
        while batch := list(islice(keys, chunk)):
            client.unlink(*batch)


def _delete_on_node(node: redis.Redis, prefix: str, chunk: int) -> None:
    keys = node.scan_iter(match=prefix + "*", count=chunk)
    while batch := list(islice(keys, chunk)):
        pipe = node.pipeline(transaction=False)
        for key in batch:
            pipe.unlink(key)
        pipe.execute()
