"""The change log in N streams on one Redis (4 streams) and on a 3-master Redis Cluster (16): appended
by the worker's side in one pipeline per node, read in order per sku, resumed over SSE from an id."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster
from redis.crc import key_slot

from api.app import create_app
from api.routes.stream import StreamLimits
from core.movements import LocationFigures
from state import lean_pipeline
from state.change_shards import ChangeShards
from state.change_stream import START, AsyncChangeStream, ChangeStream, StreamedChange
from tests.integration.test_change_stream import Server, sse_blocks
from tests.support.fake_reader import FakeReader

pytestmark = pytest.mark.redis
SKUS = [f"SKU-{n}" for n in range(200)]  # enough for every stream of 16 to hold some


@dataclass
class Log:
    """One backend's log: its sync client (the worker's), its URL, its streams under a fresh prefix."""

    client: redis.Redis | RedisCluster
    url: str
    shards: ChangeShards

    def async_client(self) -> aioredis.Redis | AsyncRedisCluster:
        if isinstance(self.client, RedisCluster):
            return AsyncRedisCluster.from_url(self.url)
        return aioredis.Redis.from_url(self.url)

    def writer(self) -> ChangeStream:
        return ChangeStream(self.client, self.shards, maxlen=100_000)


@pytest.fixture(params=["redis", "cluster"])
def log(request: pytest.FixtureRequest) -> Iterator[Log]:
    prefix = f"t-{uuid.uuid4().hex}:"
    client: redis.Redis | RedisCluster
    if request.param == "cluster":
        url = request.getfixturevalue("redis_cluster_url")
        client, streams = RedisCluster.from_url(url), 16
    else:
        url = request.getfixturevalue("redis_url")
        client, streams = redis.Redis.from_url(url), 4
    shards = ChangeShards.of(prefix, streams)
    yield Log(client, url, shards)
    for key in shards.keys:
        client.delete(key)
    client.close()


def figures(atp: int) -> LocationFigures:
    return LocationFigures("dc-1", atp, 0, 0, 0, 0, atp)


def read_all(log: Log) -> list[StreamedChange]:
    """Every entry of every stream, stream after stream, as the API reads them."""

    async def every_stream() -> list[StreamedChange]:
        client = log.async_client()
        feed = AsyncChangeStream(client, log.shards)
        found: list[StreamedChange] = []
        try:
            for stream in range(feed.streams):
                found += (await feed.read(stream, START, frozenset(SKUS), None, 10_000)).changes
        finally:
            await client.aclose()
        return found

    return asyncio.run(every_stream())


def test_each_skus_changes_are_in_its_stream_in_the_order_appended(log: Log) -> None:
    appended = [(SKUS[n % len(SKUS)], figures(n), n) for n in range(400)]

    log.writer().append(appended)

    found = read_all(log)
    assert sorted(c.network_atp for c in found) == list(range(400))  # each change once
    assert all(c.stream == log.shards.stream_of(c.sku) for c in found)
    for sku in SKUS:
        assert [c.network_atp for c in found if c.sku == sku] == [n for s, _, n in appended if s == sku]


def test_the_streams_holding_changes_are_spread_over_the_nodes(log: Log) -> None:
    log.writer().append([(sku, figures(1), 1) for sku in SKUS])

    held = {c.stream for c in read_all(log)}
    slots = {key_slot(log.shards.keys[n].encode()) for n in held}
    if isinstance(log.client, RedisCluster):
        nodes = {log.client.nodes_manager.get_node_from_slot(slot).name for slot in slots}
        assert len(nodes) == 3
    assert len(held) == len(log.shards)


def test_a_batch_is_appended_in_one_round_trip_per_node(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    pipelines: list[int] = []  # every pipeline is one write of its commands (one Redis and a cluster)
    real_send = lean_pipeline.send

    def counted(connection: Any, commands: Any) -> None:
        pipelines.append(len(commands))
        real_send(connection, commands)

    monkeypatch.setattr(lean_pipeline, "send", counted)

    log.writer().append([(sku, figures(1), 1) for sku in SKUS])

    nodes = 3 if isinstance(log.client, RedisCluster) else 1
    assert len(pipelines) == nodes
    assert sum(pipelines) == len(SKUS)


@pytest.fixture
def server(log: Log) -> Iterator[Server]:
    """The API's SSE route on the backend's log (its own clients, used on the server's loop)."""
    feed = AsyncChangeStream(log.async_client(), log.shards, tail_client=log.async_client())
    limits = StreamLimits(block_ms=50, position_s=60.0)
    with Server(create_app(FakeReader(), change_stream=feed, stream_limits=limits)) as running:
        yield running


def two_skus_of_two_streams(shards: ChangeShards) -> tuple[str, str]:
    first = SKUS[0]
    return first, next(sku for sku in SKUS if shards.stream_of(sku) != shards.stream_of(first))


def changes_of(blocks: list[dict[str, str]]) -> list[tuple[str, int, str]]:
    """(sku, network_atp, id) of each availability event."""
    events = [b for b in blocks if b.get("event") == "availability"]
    return [(orjson.loads(e["data"])["sku"], orjson.loads(e["data"])["network_atp"], e["id"]) for e in events]


def test_over_http_a_client_of_skus_in_two_streams_resumes_exactly_from_an_id(
    log: Log, server: Server
) -> None:
    a, b = two_skus_of_two_streams(log.shards)
    appended = [(a, 1), (b, 2), (a, 3), (b, 4), (a, 5), (b, 6)]
    writer = log.writer()

    first = changes_of(
        sse_blocks(
            server, f"skus={a},{b}", 6, then=lambda: writer.append([(s, figures(n), n) for s, n in appended])
        )
    )
    resumed_blocks = sse_blocks(server, f"skus={a},{b}", 4, **{"Last-Event-ID": first[1][2]})

    assert [n for sku, n, _ in first if sku == a] == [1, 3, 5]
    assert [n for sku, n, _ in first if sku == b] == [2, 4, 6]
    assert first[-1][2].startswith(f"{len(log.shards)}/")  # a position in each of the two streams
    assert not any(block.get("event") == "reset" for block in resumed_blocks)
    resumed = [(sku, n) for sku, n, _ in changes_of(resumed_blocks)]
    for sku in (a, b):  # exactly what followed the id, in order per sku (the two streams interleave freely)
        assert [n for s, n in resumed if s == sku] == [n for s, n, _ in first[2:] if s == sku]
