"""delete_prefix removes every key of one run and nothing of anyone else's."""

from __future__ import annotations

import uuid

import pytest
import redis
from redis.cluster import RedisCluster

from omnistock.stack.redis_keys import delete_prefix

pytestmark = pytest.mark.redis


def test_delete_prefix_removes_the_runs_keys_and_keeps_the_others(redis_url: str):
    client = redis.Redis.from_url(redis_url)
    run, other = f"t-{uuid.uuid4().hex}:", f"t-{uuid.uuid4().hex}:"
    client.mset({f"{run}{n}": 1 for n in range(2500)} | {f"{other}keep": 1})
    delete_prefix(client, run, chunk=1000)
    assert list(client.scan_iter(match=run + "*", count=1000)) == []
    assert client.get(f"{other}keep") == b"1"
    client.delete(f"{other}keep")


def test_on_a_cluster_delete_prefix_removes_the_runs_keys_on_every_master_and_keeps_the_others(
    redis_cluster_url: str,
) -> None:
    client = RedisCluster.from_url(redis_cluster_url)
    run, other = f"t-{uuid.uuid4().hex}:", f"t-{uuid.uuid4().hex}:"
    for n in range(300):  # 300 hash tags: every master holds some
        client.set(f"{run}{{{n}}}", 1)
    client.set(f"{other}keep", 1)
    delete_prefix(client, run, chunk=100)
    assert list(client.scan_iter(match=run + "*", count=1000)) == []
    assert client.get(f"{other}keep") == b"1"
    client.delete(f"{other}keep")
    client.close()
