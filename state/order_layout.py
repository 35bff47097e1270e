"""Moves the order indexes of the former layout into their buckets, once when a worker starts.

Before the indexes were split into buckets (state/key_buckets), the SLA index was one sorted set
(`{p}{ordsla}`) and each day's pick capacity one hash (`{p}cap:<day>`). A store upgraded with
shipments waiting to be accepted would otherwise never sweep them (nobody reads the old index), and
would count today's capacity from zero. Each entry is copied only where its bucket lacks it (ZADD NX,
HSETNX), then removed from the old key: running it again, or from two workers starting together, moves
nothing twice. Plain commands on a few keys: it runs the same on one Redis and on a Cluster. Stop every
worker of the former version before starting the new one: a former worker still writing the old keys
would write where nobody reads.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis
from redis.cluster import RedisCluster

from state import order_keys as k
from state.redis_calls import unavailable


def former_sla(prefix: str) -> str:
    return f"{prefix}{{ordsla}}"


def former_capacity(prefix: str, day: str) -> str:
    return f"{prefix}cap:{day}"


def adopt_former_layout(client: redis.Redis | RedisCluster, prefix: str, days: Iterable[str]) -> int:
    """Moves the former SLA index and the former capacity hashes of `days` (the network's local
    dates now: earlier days are never read again) into their buckets; returns the entries moved."""
    with unavailable():
        return _move_sla(client, prefix) + sum(_move_capacity(client, prefix, day) for day in set(days))


def _move_sla(client: redis.Redis | RedisCluster, prefix: str) -> int:
    old = former_sla(prefix)
    entries: list[tuple[bytes, float]] = client.zrange(old, 0, -1, withscores=True)  # type: ignore[assignment]
    by_bucket: dict[str, dict[bytes, float]] = {}
    for member, score in entries:
        order_id, _ = k.split(k.text(member))
        by_bucket.setdefault(k.sla(prefix, order_id), {})[member] = score
    for key, scored in by_bucket.items():
        client.zadd(key, scored, nx=True)
    if entries:
        client.zrem(old, *[member for member, _ in entries])
    return len(entries)


def _move_capacity(client: redis.Redis | RedisCluster, prefix: str, day: str) -> int:
    old = former_capacity(prefix, day)
    fields: dict[bytes, bytes] = client.hgetall(old)  # type: ignore[assignment]
    for field, value in fields.items():
        location_id = k.text(field).split(k.SEP, 1)[0]  # "<loc>" (the count) or "<loc>|<line>"
        key = k.capacity(prefix, day, location_id)
        client.hsetnx(key, field, value)
        client.expire(key, k.CAPACITY_TTL_S)
    if fields:
        client.delete(old)
    return len(fields)
