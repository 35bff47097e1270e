"""The lean pipeline on a real Redis: replies in order, error replies in their place, lost connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from state import lean_pipeline

pytestmark = pytest.mark.redis


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    yield client
    client.close()


@pytest.fixture
def key(client: redis.Redis) -> Iterator[str]:
    name = f"t-lean-{uuid.uuid4().hex}"
    yield name
    client.delete(name, name + ":h")


def test_each_command_gets_its_own_reply_in_order(client: redis.Redis, key: str) -> None:
    replies = lean_pipeline.run(client, [
        ("SET", key, "v", "EX", 60), ("GET", key), ("HSET", key + ":h", "a", 1, "b", "2"),
        ("HGETALL", key + ":h"), ("HMGET", key + ":h", "b", "missing"), ("HINCRBY", key + ":h", "a", 41),
    ])  # fmt: skip
    assert replies == [b"OK", b"v", 2, {b"a": b"1", b"b": b"2"}, [b"2", None], 42]


def test_an_error_reply_stands_in_its_place_and_the_others_still_run(client: redis.Redis, key: str) -> None:
    replies = lean_pipeline.run(client, [
        ("SET", key, "v"), ("HGET", key, "f"), ("EVALSHA", "0" * 40, 0), ("GET", key),
    ])  # fmt: skip
    assert replies[0] == b"OK"
    assert replies[3] == b"v"
    assert isinstance(replies[1], redis.ResponseError)
    assert "WRONGTYPE" in str(replies[1])
    assert isinstance(replies[2], redis.exceptions.NoScriptError)


def test_no_commands_need_no_round_trip(client: redis.Redis) -> None:
    assert lean_pipeline.run(client, []) == []


def test_a_connection_lost_midway_raises_and_the_next_call_gets_a_fresh_one(
    client: redis.Redis, key: str
) -> None:
    (own_id,) = lean_pipeline.run(client, [("CLIENT", "ID")])
    # the server closes this very connection after the SET, before the GET is answered
    lost = [("SET", key, "before"), ("CLIENT", "KILL", "ID", own_id, "SKIPME", "no"), ("GET", key)]
    with pytest.raises(redis.ConnectionError):
        lean_pipeline.run(client, lost)
    assert lean_pipeline.run(client, [("GET", key)]) == [b"before"]
    (new_id,) = lean_pipeline.run(client, [("CLIENT", "ID")])
    assert new_id != own_id


def test_asked_to_raise_it_raises_the_first_error_reply_after_every_command_ran(
    client: redis.Redis, key: str
) -> None:
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        lean_pipeline.run(client, [("SET", key, "v"), ("HGET", key, "f"), ("SET", key, "after")], True)
    assert client.get(key) == b"after"
