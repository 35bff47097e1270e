"""The change log on real Redis: append and filtered reads, resume, capping; SSE over a real HTTP server."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest
import redis
import redis.asyncio as aioredis
import uvicorn

from api.app import create_app
from api.routes.stream import StreamLimits
from core.errors import StoreUnavailable
from core.movements import LocationFigures
from state.change_stream import START, AsyncChangeStream, ChangesRead, ChangeStream, changes_key, id_order
from tests.support.fake_reader import FakeReader

pytestmark = pytest.mark.redis


def figures(atp: int, location_id: str = "dc-1") -> LocationFigures:
    return LocationFigures(
        location_id, on_hand=atp + 2, in_transit=1, reserved=1, allocated=1, safety_stock=0, atp=atp
    )


@pytest.fixture
def key(redis_url: str) -> Iterator[str]:
    name = changes_key(f"t-{uuid4().hex}:")
    yield name
    redis.Redis.from_url(redis_url).delete(name)


@pytest.fixture
def writer(redis_url: str, key: str) -> ChangeStream:
    return ChangeStream(redis.Redis.from_url(redis_url), key, maxlen=100_000)


def read(redis_url: str, key: str, after_id: str, skus: set[str], count: int = 100) -> ChangesRead:
    async def once() -> ChangesRead:
        client = aioredis.Redis.from_url(redis_url)
        try:
            return await AsyncChangeStream(client, key).read(0, after_id, frozenset(skus), 10, count)
        finally:
            await client.aclose()

    return asyncio.run(once())


def edges(redis_url: str, key: str) -> tuple[str | None, str]:
    async def both() -> tuple[str | None, str]:
        client = aioredis.Redis.from_url(redis_url)
        try:
            stream = AsyncChangeStream(client, key)
            [span] = await stream.spans()
            return None if span is None else span.oldest, (await stream.last_ids())[0]
        finally:
            await client.aclose()

    return asyncio.run(both())


def test_key_is_one_global_stream_under_the_prefix() -> None:
    assert changes_key("os:") == "os:changes"


def test_a_read_returns_the_asked_skus_changes_decoded_and_how_far_it_got(
    redis_url: str, key: str, writer: ChangeStream
) -> None:
    writer.append(
        [("A", figures(5), 50), ("B", figures(6), 60), ("A", figures(4, "store-9"), 49), ("C", figures(1), 1)]
    )

    got = read(redis_url, key, START, {"A"})

    assert [(c.sku, c.figures, c.network_atp) for c in got.changes] == [
        ("A", figures(5), 50),
        ("A", figures(4, "store-9"), 49),
    ]
    assert got.last_id == edges(redis_url, key)[1]  # the C entry was scanned, not returned
    assert id_order(got.changes[0].id) < id_order(got.changes[1].id) < id_order(got.last_id)


def test_entries_are_stored_as_one_compact_field(redis_url: str, key: str, writer: ChangeStream) -> None:
    writer.append([("A", figures(5), 50)])

    entries: Any = redis.Redis.from_url(redis_url).xrange(key)
    [(_, fields)] = entries

    # sku | location | on_hand | in_transit | reserved | allocated | safety_stock | atp | network_atp
    assert fields == {b"c": b"A|dc-1|7|1|1|1|0|5|50"}


def test_reading_after_an_id_returns_only_later_entries(
    redis_url: str, key: str, writer: ChangeStream
) -> None:
    writer.append([("A", figures(n), n) for n in range(5)])
    second = read(redis_url, key, START, {"A"}).changes[1].id

    later = read(redis_url, key, second, {"A"})

    assert [c.network_atp for c in later.changes] == [2, 3, 4]


def test_a_read_of_nothing_new_keeps_the_position(redis_url: str, key: str, writer: ChangeStream) -> None:
    writer.append([("A", figures(1), 1)])
    last = edges(redis_url, key)[1]

    assert read(redis_url, key, last, {"A"}) == ChangesRead(last, [])


def test_a_batch_is_appended_in_one_round_trip(redis_url: str, key: str) -> None:
    client = redis.Redis.from_url(redis_url)
    writes: list[int] = []  # per write to the socket: the XADDs in it
    original = client.connection_pool.get_connection

    def counting_connection(*args: Any, **kwargs: Any) -> Any:
        connection = original(*args, **kwargs)
        real_send = connection.send_packed_command

        def send(command: Any, *a: Any, **k: Any) -> Any:
            writes.append(sum(bytes(part).count(b"XADD") for part in command))
            return real_send(command, *a, **k)

        connection.send_packed_command = send  # type: ignore[method-assign]
        return connection

    client.connection_pool.get_connection = counting_connection  # type: ignore[method-assign]
    ChangeStream(client, key, maxlen=1000).append([("A", figures(n), n) for n in range(50)])
    ChangeStream(client, key, maxlen=1000).append([])

    assert writes == [50]
    assert client.xlen(key) == 50


def test_the_capped_stream_drops_its_oldest_entries(redis_url: str, key: str) -> None:
    capped = ChangeStream(redis.Redis.from_url(redis_url), key, maxlen=100)
    for start in range(0, 1000, 100):
        capped.append([("A", figures(n), n) for n in range(start, start + 100)])

    held = redis.Redis.from_url(redis_url).xlen(key)
    oldest, newest = edges(redis_url, key)
    remaining = read(redis_url, key, START, {"A"}, count=1000).changes

    assert 100 <= held < 300  # approximate trimming drops whole nodes (100 entries each by default)
    assert oldest == remaining[0].id
    assert remaining[0].network_atp == 1000 - held
    assert remaining[-1].network_atp == 999
    assert newest == remaining[-1].id


def test_an_empty_log_has_no_oldest_id_and_starts_at_the_beginning(redis_url: str, key: str) -> None:
    assert edges(redis_url, key) == (None, START)


def test_redis_down_is_store_unavailable_on_both_sides(key: str) -> None:
    dead = "redis://127.0.0.1:1/0"
    with pytest.raises(StoreUnavailable):
        ChangeStream(redis.Redis.from_url(dead), key, maxlen=10).append([("A", figures(1), 1)])
    with pytest.raises(StoreUnavailable):
        read(dead, key, START, {"A"})


# SSE through uvicorn on a real socket: the client reads N events, then closes the connection.


class Server:
    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()
        return f"http://{host}:{port}"

    def __enter__(self) -> Server:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            threading.Event().wait(0.01)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture
def server(redis_url: str, key: str) -> Iterator[Server]:
    feed = AsyncChangeStream(aioredis.Redis.from_url(redis_url, socket_timeout=5), key)
    limits = StreamLimits(block_ms=50, position_s=60.0)
    with Server(create_app(FakeReader(), change_stream=feed, stream_limits=limits)) as running:
        yield running


def sse_blocks(
    server: Server, query: str, wanted: int, then: Any = None, **headers: str
) -> list[dict[str, str]]:
    """Blocks of the stream until `wanted` availability or reset events; `then()` runs once connected."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    url = f"{server.url}/v1/availability/stream?{query}"
    with httpx.stream("GET", url, headers=headers, timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line:
                name, _, value = line.partition(": ")
                current[name] = value
                continue
            blocks.append(current)
            current = {}
            if "retry" in blocks[-1] and then is not None:
                then()  # the stream's position is fixed before its first byte: appends now come after it
            if sum(1 for b in blocks if b.get("event") in ("availability", "reset")) >= wanted:
                break
    return blocks


def test_over_http_a_client_receives_its_skus_changes_appended_after_it_connected(
    server: Server, writer: ChangeStream
) -> None:
    writer.append([("A", figures(9), 9)])  # before the connection: not sent (the stream starts from now)

    def changes() -> None:
        writer.append(
            [("A", figures(1), 10), ("B", figures(2), 20), ("C", figures(3), 30), ("A", figures(4), 40)]
        )

    blocks = sse_blocks(server, "skus=A,C", 3, then=changes)

    events = [b for b in blocks if b.get("event") == "availability"]
    assert [orjson.loads(e["data"])["network_atp"] for e in events] == [10, 30, 40]
    assert orjson.loads(events[0]["data"]) == {
        "sku": "A",
        "location_id": "dc-1",
        "figures": {
            "on_hand": 3,
            "in_transit": 1,
            "reserved": 1,
            "allocated": 1,
            "safety_stock": 0,
            "atp": 1,
        },
        "network_atp": 10,
    }


def test_over_http_last_event_id_resumes_right_after_it(
    server: Server, writer: ChangeStream, redis_url: str, key: str
) -> None:
    writer.append([("A", figures(n), n) for n in range(4)])
    first = read(redis_url, key, START, {"A"}).changes[0].id

    blocks = sse_blocks(server, "sku=A", 3, **{"Last-Event-ID": first})

    assert [orjson.loads(b["data"])["network_atp"] for b in blocks if b.get("event") == "availability"] == [
        1,
        2,
        3,
    ]


def test_over_http_an_id_the_capped_log_no_longer_follows_gets_a_reset_then_new_changes(
    server: Server, redis_url: str, key: str
) -> None:
    capped = ChangeStream(redis.Redis.from_url(redis_url), key, maxlen=100)
    capped.append([("A", figures(0), 0)])
    first = edges(redis_url, key)[1]
    for start in range(1, 1000, 100):
        capped.append([("A", figures(n), n) for n in range(start, start + 100)])
    newest = edges(redis_url, key)[1]

    blocks = sse_blocks(
        server, "sku=A", 2, then=lambda: capped.append([("A", figures(5), 5000)]), **{"Last-Event-ID": first}
    )

    reset, change = (b for b in blocks if "event" in b)
    assert (reset["event"], reset["id"], orjson.loads(reset["data"])["reason"]) == (
        "reset",
        newest,
        "too_old",
    )
    assert orjson.loads(change["data"])["network_atp"] == 5000
