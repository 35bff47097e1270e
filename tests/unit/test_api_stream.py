"""The SSE change stream over ASGI, in process, on an in-memory log: events, resume, reset, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.stream import StreamLimits
from core.errors import StoreUnavailable
from core.movements import LocationFigures
from state.change_stream import START, ChangesRead, StreamedChange, StreamSpan, id_order
from tests.support.fake_reader import FakeReader

FAST = StreamLimits(max_skus=3, heartbeat_s=60.0, position_s=60.0, block_ms=5, read_count=100, retry_ms=1500)


class FakeFeed:
    """An in-memory change log with the AsyncChangeStream interface; ids are "<n>-0" in each stream.
    One stream unless `route` names the stream of each sku (others go to stream 0)."""

    def __init__(self, streams: int = 1, route: dict[str, int] | None = None) -> None:
        self.entries: list[StreamedChange] = []
        self.route = route or {}
        self._streams = streams
        self._added = [0] * streams
        self.reads = 0
        self.failure: Exception | None = None
        self.on_read: Callable[[], object] = lambda: None

    @property
    def streams(self) -> int:
        return self._streams

    def stream_of(self, sku: str) -> int:
        return self.route.get(sku, 0)

    def add(self, sku: str, atp: int, location_id: str = "dc-1") -> str:
        stream = self.stream_of(sku)
        self._added[stream] += 1
        entry_id = f"{self._added[stream]}-0"
        figures = LocationFigures(location_id, atp + 1, 0, 1, 0, 0, atp)
        self.entries.append(StreamedChange(entry_id, sku, figures, atp * 10, stream))
        return entry_id

    def trim(self, keep: int) -> None:
        self.entries = self.entries[-keep:]

    def _stream(self, stream: int) -> list[StreamedChange]:
        return [e for e in self.entries if e.stream == stream]

    async def read(
        self, stream: int, after_id: str, skus: Collection[str], block_ms: int | None, count: int
    ) -> ChangesRead:
        self.reads += 1
        self.on_read()
        await asyncio.sleep(0)  # a real read always awaits I/O: let the client's departure through
        if self.failure is not None:
            raise self.failure
        later = [e for e in self._stream(stream) if id_order(e.id) > id_order(after_id)][:count]
        if not later:
            await asyncio.sleep((block_ms or 0) / 1000)
            return ChangesRead(after_id, [])
        return ChangesRead(later[-1].id, [e for e in later if e.sku in skus])

    async def spans(self) -> list[StreamSpan | None]:
        spans: list[StreamSpan | None] = []
        for stream, added in enumerate(self._added):
            held = self._stream(stream)
            oldest = held[0].id if held else None
            spans.append(StreamSpan(oldest, f"{added}-0", len(held) < added) if added else None)
        return spans

    async def last_ids(self) -> list[str]:
        return [held[-1].id if held else START for held in map(self._stream, range(self.streams))]


@dataclass
class Block:
    """One SSE block: its fields (the last of each name) and its comment lines."""

    fields: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    @property
    def data(self) -> Any:
        return orjson.loads(self.fields["data"])


@dataclass
class Session:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    finished: bool = False

    @property
    def blocks(self) -> list[Block]:
        parsed = []
        for text in self.body.decode().split("\n\n")[:-1]:
            block = Block()
            for line in text.split("\n"):
                name, _, value = line.partition(": ")
                if name:
                    block.fields[name] = value
                else:
                    block.comments.append(value)
            parsed.append(block)
        return parsed

    def events(self, kind: str = "availability") -> list[Block]:
        return [b for b in self.blocks if b.fields.get("event") == kind]


async def _stream(
    app: FastAPI, url: str, headers: dict[str, str], done: Callable[[Session], bool], spec: str
) -> Session:
    """GET `url`, collect the body until `done(session)`, then disconnect as a client would."""
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    session, left = Session(), asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            session.status = message["status"]
            session.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            return
        session.body += message.get("body", b"")
        session.finished = not message.get("more_body", False)
        if done(session):
            left.set()

    await asyncio.wait_for(app(scope, receive, send), timeout=5)  # returning at all: it stopped cleanly
    return session


def stream(
    app: FastAPI, url: str, done: Callable[[Session], bool], spec: str = "2.3", **headers: str
) -> Session:
    """Under ASGI spec 2.3 Starlette watches for the disconnect itself; under 2.4 only the route does."""
    return asyncio.run(_stream(app, url, headers, done, spec))


def after_events(n: int, kind: str = "availability") -> Callable[[Session], bool]:
    return lambda session: len(session.events(kind)) >= n


@pytest.fixture
def feed() -> FakeFeed:
    return FakeFeed()


@pytest.fixture
def app(feed: FakeFeed) -> FastAPI:
    return create_app(FakeReader(), change_stream=feed, stream_limits=FAST)


def test_the_stream_sends_the_changes_of_the_asked_skus_only_with_their_log_ids(
    app: FastAPI, feed: FakeFeed
) -> None:
    changes = (("A", 1), ("B", 2), ("C", 3), ("A", 4))
    feed.on_read = lambda: None if feed.entries else [feed.add(sku, atp) for sku, atp in changes]
    session = stream(app, "/v1/availability/stream?skus=A,C", after_events(3))

    events = session.events()
    assert session.status == 200
    assert session.headers["content-type"].startswith("text/event-stream")
    assert session.headers["cache-control"] == "no-cache"
    assert session.blocks[0].fields == {"retry": "1500", "id": "0-0"}  # its position, from the start
    assert [(e.fields["id"], e.data["sku"]) for e in events] == [("1-0", "A"), ("3-0", "C"), ("4-0", "A")]
    assert events[0].data == {
        "sku": "A",
        "location_id": "dc-1",
        "figures": {
            "on_hand": 2,
            "in_transit": 0,
            "reserved": 1,
            "allocated": 0,
            "safety_stock": 0,
            "atp": 1,
        },
        "network_atp": 10,
    }


def test_without_last_event_id_the_stream_starts_from_now(app: FastAPI, feed: FakeFeed) -> None:
    feed.add("A", 1)
    feed.add("A", 2)
    feed.on_read = lambda: None if len(feed.entries) > 2 else feed.add("A", 3)

    session = stream(app, "/v1/availability/stream?sku=A", after_events(1))

    assert [(e.fields["id"], e.data["figures"]["atp"]) for e in session.events()] == [("3-0", 3)]


def test_last_event_id_resumes_right_after_that_id(app: FastAPI, feed: FakeFeed) -> None:
    for atp in range(1, 6):
        feed.add("A", atp)

    session = stream(app, "/v1/availability/stream?sku=A", after_events(3), **{"Last-Event-ID": "2-0"})

    assert [e.fields["id"] for e in session.events()] == ["3-0", "4-0", "5-0"]
    assert session.events("reset") == []


def test_the_header_wins_over_the_query_parameter_which_serves_a_first_connect(
    app: FastAPI, feed: FakeFeed
) -> None:
    for atp in range(1, 5):
        feed.add("A", atp)
    url = "/v1/availability/stream?sku=A&last_event_id=1-0"

    first = stream(app, url, after_events(3))
    reconnected = stream(app, url, after_events(1), **{"Last-Event-ID": "3-0"})

    assert [e.fields["id"] for e in first.events()] == ["2-0", "3-0", "4-0"]
    assert [e.fields["id"] for e in reconnected.events()] == ["4-0"]


def test_an_id_older_than_the_log_holds_opens_with_a_reset_then_goes_on_from_now(
    app: FastAPI, feed: FakeFeed
) -> None:
    for atp in range(1, 8):
        feed.add("A", atp)
    feed.trim(keep=3)  # 5-0 .. 7-0 remain: what followed 2-0 (3-0, 4-0) is gone
    feed.on_read = lambda: None if len(feed.entries) > 3 else feed.add("A", 8)

    session = stream(app, "/v1/availability/stream?sku=A", after_events(1), **{"Last-Event-ID": "2-0"})

    reset = session.blocks[1]
    assert reset.fields["event"] == "reset"
    assert reset.fields["id"] == "7-0"
    assert reset.data["reason"] == "too_old"
    assert "re-read availability" in reset.data["message"]
    assert [e.fields["id"] for e in session.events()] == ["8-0"]


def test_the_oldest_id_still_held_resumes_without_a_reset(app: FastAPI, feed: FakeFeed) -> None:
    for atp in range(1, 5):
        feed.add("A", atp)
    feed.trim(keep=2)

    session = stream(app, "/v1/availability/stream?sku=A", after_events(1), **{"Last-Event-ID": "3-0"})

    assert session.events("reset") == []
    assert [e.fields["id"] for e in session.events()] == ["4-0"]


@pytest.mark.parametrize(
    ("entries", "last_event_id", "reason", "reset_id"),
    [(0, "3-0", "log_empty", "0-0"), (2, "9-0", "unknown_id", "2-0")],
)
def test_an_id_the_log_cannot_place_opens_with_a_reset(
    app: FastAPI, feed: FakeFeed, entries: int, last_event_id: str, reason: str, reset_id: str
) -> None:
    for atp in range(entries):
        feed.add("A", atp)

    session = stream(
        app, "/v1/availability/stream?sku=A", after_events(1, "reset"), **{"Last-Event-ID": last_event_id}
    )

    reset = session.events("reset")[0]
    assert (reset.data["reason"], reset.fields["id"]) == (reason, reset_id)


def test_other_skus_changes_move_the_clients_position_with_an_id_only_block(feed: FakeFeed) -> None:
    app = create_app(FakeReader(), change_stream=feed, stream_limits=StreamLimits(position_s=0.0, block_ms=5))
    feed.on_read = lambda: None if feed.entries else feed.add("B", 1)

    session = stream(
        app, "/v1/availability/stream?sku=A", lambda s: any("id" in b.fields for b in s.blocks[1:])
    )

    marker = next(b for b in session.blocks[1:] if "id" in b.fields)
    assert marker.fields == {"id": "1-0"}
    assert session.events() == []


def test_an_idle_stream_sends_heartbeat_comments(feed: FakeFeed) -> None:
    app = create_app(
        FakeReader(), change_stream=feed, stream_limits=StreamLimits(heartbeat_s=0.0, block_ms=5)
    )

    session = stream(app, "/v1/availability/stream?sku=A", lambda s: len(s.blocks) >= 3)

    assert session.blocks[1].comments == ["heartbeat"]
    assert session.blocks[2].comments == ["heartbeat"]


@pytest.mark.parametrize("spec", ["2.3", "2.4"])
def test_the_stream_stops_reading_once_the_client_has_gone(feed: FakeFeed, spec: str) -> None:
    app = create_app(
        FakeReader(), change_stream=feed, stream_limits=StreamLimits(heartbeat_s=0.0, block_ms=5)
    )

    session = stream(app, "/v1/availability/stream?sku=A", lambda s: len(s.blocks) >= 3, spec)

    # The app returned (within the driver's timeout) and read at most once after the departure.
    heartbeats = sum(1 for block in session.blocks if block.comments == ["heartbeat"])
    assert heartbeats >= 2
    assert feed.reads <= heartbeats + 1


def test_a_store_failure_mid_stream_ends_the_body_so_the_client_reconnects(
    app: FastAPI, feed: FakeFeed
) -> None:
    feed.failure = StoreUnavailable("redis unreachable", error="Connection refused")

    session = stream(app, "/v1/availability/stream?sku=A", lambda s: False)

    assert session.status == 200
    assert session.finished
    assert session.blocks[0].fields == {"retry": "1500", "id": "0-0"}  # where it resumes from


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_no_sku_answers_422(client: TestClient) -> None:
    response = client.get("/v1/availability/stream?skus=,%20,")

    assert response.status_code == 422
    assert response.json()["error"] == "no_skus"


def test_more_skus_than_the_cap_answers_413_naming_the_cap(client: TestClient) -> None:
    response = client.get("/v1/availability/stream?skus=A,B,C&sku=D")

    assert response.status_code == 413
    assert response.json() | {"message": ""} == {
        "error": "too_many_skus",
        "message": "",
        "max_skus": 3,
        "received": 4,
    }


def test_a_last_event_id_this_stream_never_sends_answers_400(client: TestClient) -> None:
    response = client.get("/v1/availability/stream?sku=A", headers={"Last-Event-ID": "yesterday"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_last_event_id"


def test_without_a_configured_change_stream_the_route_answers_503() -> None:
    response = TestClient(create_app(FakeReader())).get("/v1/availability/stream?sku=A")

    assert response.status_code == 503
    assert response.json() == {
        "error": "stream_unavailable",
        "message": "This deployment has no availability change stream configured.",
    }


def test_the_log_down_at_connect_answers_503_store_unavailable(client: TestClient, feed: FakeFeed) -> None:
    async def down() -> list[StreamSpan | None]:
        raise StoreUnavailable("redis unreachable")

    feed.spans = down  # type: ignore[method-assign]
    response = client.get("/v1/availability/stream?sku=A", headers={"Last-Event-ID": "1-0"})

    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable"


def test_the_stream_needs_the_availability_read_scope(feed: FakeFeed) -> None:
    keys = {"k-read": ["availability:read"], "k-ops": ["ops"]}
    client = TestClient(create_app(FakeReader(), change_stream=feed, api_keys=keys))

    assert client.get("/v1/availability/stream?sku=A").status_code == 401
    assert client.get("/v1/availability/stream?sku=A", headers={"X-API-Key": "k-ops"}).status_code == 403
    assert client.get("/v1/availability/stream", headers={"X-API-Key": "k-read"}).status_code == 422


def test_a_sku_route_still_answers_beside_the_stream_route(client: TestClient) -> None:
    assert client.get("/v1/availability/streamed").json()["error"] == "sku_not_found"


# A log of two streams (a Redis Cluster's layout): A's changes in stream 0, B's in stream 1.


@pytest.fixture
def two_streams() -> FakeFeed:
    return FakeFeed(streams=2, route={"A": 0, "B": 1})


def two_stream_app(feed: FakeFeed) -> FastAPI:
    return create_app(FakeReader(), change_stream=feed, stream_limits=FAST)


def test_on_two_streams_each_skus_changes_come_in_order_with_ids_naming_both_streams(
    two_streams: FakeFeed,
) -> None:
    changes = (("A", 1), ("B", 2), ("A", 3), ("B", 4))
    two_streams.on_read = lambda: None if two_streams.entries else [two_streams.add(s, a) for s, a in changes]

    session = stream(two_stream_app(two_streams), "/v1/availability/stream?skus=A,B", after_events(4))

    assert session.blocks[0].fields["id"] == "2/0:0-0,1:0-0"
    events = [(e.data["sku"], e.data["figures"]["atp"]) for e in session.events()]
    assert [atp for sku, atp in events if sku == "A"] == [1, 3]
    assert [atp for sku, atp in events if sku == "B"] == [2, 4]
    assert session.events()[-1].fields["id"] == "2/0:2-0,1:2-0"


def test_on_two_streams_an_id_resumes_each_stream_right_after_its_position(two_streams: FakeFeed) -> None:
    for atp in range(1, 4):
        two_streams.add("A", atp)
        two_streams.add("B", 10 + atp)

    session = stream(
        two_stream_app(two_streams),
        "/v1/availability/stream?skus=A,B",
        after_events(3),
        **{"Last-Event-ID": "2/0:2-0,1:1-0"},
    )

    assert session.events("reset") == []
    assert [(e.data["sku"], e.data["figures"]["atp"]) for e in session.events()] == [
        ("A", 3),
        ("B", 12),
        ("B", 13),
    ]
    assert [e.fields["id"] for e in session.events()] == ["2/0:3-0,1:1-0", "2/0:3-0,1:2-0", "2/0:3-0,1:3-0"]


@pytest.mark.parametrize(
    "last_event_id",
    ["2-0", "4/0:1-0,1:1-0", "2/0:1-0"],  # one stream's id, another count of streams, B's stream missing
)
def test_on_two_streams_an_id_of_another_layout_or_other_skus_opens_with_a_reset(
    two_streams: FakeFeed, last_event_id: str
) -> None:
    two_streams.add("A", 1)
    two_streams.add("B", 2)

    session = stream(
        two_stream_app(two_streams),
        "/v1/availability/stream?skus=A,B",
        after_events(1, "reset"),
        **{"Last-Event-ID": last_event_id},
    )

    reset = session.events("reset")[0]
    assert (reset.data["reason"], reset.fields["id"]) == ("unknown_id", "2/0:1-0,1:1-0")


def test_on_two_streams_a_client_of_one_sku_gets_ids_naming_its_stream_only(two_streams: FakeFeed) -> None:
    two_streams.on_read = lambda: None if two_streams.entries else two_streams.add("B", 5)

    session = stream(two_stream_app(two_streams), "/v1/availability/stream?sku=B", after_events(1))

    assert [e.fields["id"] for e in session.events()] == ["2/1:1-0"]
