"""Removes the keys of one run (dev stack, benchmarks, tests): everything under a prefix, nothing else."""

from __future__ import annotations

import contextlib
from itertools import islice

import redis
from redis.cluster import RedisCluster


def delete_prefix(client: redis.Redis | RedisCluster, prefix: str, chunk: int = 1000) -> None:
    """UNLINK every key that starts with `prefix` (SCAN, so the server is never blocked); best effort.
    On a cluster the client scans every master and splits UNLINK by slot."""
    with contextlib.suppress(redis.RedisError):
        keys = client.scan_iter(match=prefix + "*", count=chunk)
        while batch := list(islice(keys, chunk)):
            client.unlink(*batch)
