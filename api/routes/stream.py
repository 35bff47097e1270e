"""The availability change stream: Server-Sent Events of a set of skus, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.params import Depends
from starlette.responses import StreamingResponse

from api.change_hub import ChangeFeed, ChangeHub, Subscription
from api.errors import ApiError
from api.metrics import HttpMetrics
from api.schemas import ErrorBody
from api.stream_cursor import Cursor, Start, starting_point, token
from core.errors import StoreUnavailable
from state.change_stream import StreamedChange, id_order

log = logging.getLogger("omnistock.api")
STREAM_PATH = "/v1/availability/stream"
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering of events
_DESCRIPTION = (
    "Server-Sent Events (`text/event-stream`) of the availability changes of the skus asked "
    "(`?skus=A,B` and/or repeated `?sku=A`). Each change is `event: availability` with `id:` its "
    'position in the change log and `data:` `{"sku", "location_id", "figures": {on_hand, in_transit, '
    'reserved, allocated, safety_stock, atp}, "network_atp"}`. A client reconnecting with the '
    "Last-Event-ID header (or `?last_event_id=` on a first connect) resumes right after that id; "
    "without one it starts from now; the first block gives the stream's position (`id:`). An id is "
    "opaque: on a change log of one stream it is `<ms>-<seq>`; on a log of N streams (Redis Cluster) "
    "it names a position in each stream the skus' changes are in, `<N>/<n>:<ms>-<seq>,...`. Changes "
    "of one sku come in order; changes of skus in different streams may interleave differently "
    "from one connection to the next. When the log no longer holds what followed that id, or the "
    "id is of another layout of the log, the stream "
    "opens with `event: reset`: re-read availability, then apply the events that follow. Comment "
    "lines are heartbeats; blocks with only an `id:` advance the client's position past other skus' changes."
)


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """Caps and timings of the stream; the defaults suit production, tests shorten them."""

    max_skus: int = 500
    heartbeat_s: float = 15.0  # a comment when nothing else was written, so proxies keep the connection
    position_s: float = 1.0  # quiet time before an `id:`-only block moves the client past others' changes
    block_ms: int = 1000  # each log read waits this long; also how soon a client's departure is noticed
    read_count: int = 1000  # log entries scanned per read
    retry_ms: int = 2000  # the reconnection delay suggested to EventSource
    buffer_max: int = 1000  # changes held for a stream not sending them; past it the stream is ended


DEFAULT_LIMITS = StreamLimits()


def change_event(change: StreamedChange, event_id: str) -> bytes:
    fig = change.figures
    body = {
        "sku": change.sku,
        "location_id": fig.location_id,
        "figures": {
            "on_hand": fig.on_hand,
            "in_transit": fig.in_transit,
            "reserved": fig.reserved,
            "allocated": fig.allocated,
            "safety_stock": fig.safety_stock,
            "atp": fig.atp,
        },
        "network_atp": change.network_atp,
    }
    return b"id: %s\nevent: availability\ndata: %s\n\n" % (event_id.encode(), orjson.dumps(body))


def reset_event(start: Start, streams: int) -> bytes:
    body = {
        "reason": start.reset_reason,
        "message": "Changes after your Last-Event-ID are no longer held: re-read availability, "
        "then apply the events that follow.",
    }
    return b"id: %s\nevent: reset\ndata: %s\n\n" % (token(start.cursor, streams).encode(), orjson.dumps(body))


def asked_skus(skus: str | None, sku: Sequence[str] | None, max_skus: int) -> frozenset[str]:
    names = [*(skus.split(",") if skus else ()), *(sku or ())]
    wanted = frozenset(name.strip() for name in names if name.strip())
    if not wanted:
        raise ApiError(422, "no_skus", "Name at least one sku: ?skus=A,B or ?sku=A&sku=B.")
    if len(wanted) > max_skus:
        message = f"A stream may follow at most {max_skus} skus; this request names {len(wanted)}."
        raise ApiError(413, "too_many_skus", message, max_skus=max_skus, received=len(wanted))
    return wanted


async def sse_events(
    hub: ChangeHub, skus: frozenset[str], start: Start | None, limits: StreamLimits, request: Request
) -> AsyncIterator[bytes]:
    """The body: events of `skus` from `start` until the client leaves or the log stops answering.
    The first block gives the client its position (a reset's id, else `id:`), so that a stream ended
    before any change still resumes exactly."""
    try:
        subscription = await hub.subscribe(skus)
    except StoreUnavailable as error:
        log.warning("change_stream_unavailable", extra={"phase": "subscribe", **error.fields})
        return
    try:
        streams = hub.feed.streams
        if start is None:
            start = Start({n: subscription.floor[n] for n in subscription.streams})
        if start.reset_reason is None:
            yield b"retry: %d\nid: %s\n\n" % (limits.retry_ms, token(start.cursor, streams).encode())
        else:
            yield b"retry: %d\n\n" % limits.retry_ms + reset_event(start, streams)
        async for chunk in _served(hub, subscription, dict(start.cursor), limits, request):
            yield chunk
    finally:
        hub.unsubscribe(subscription)


async def _served(
    hub: ChangeHub, subscription: Subscription, cursor: Cursor, limits: StreamLimits, request: Request
) -> AsyncIterator[bytes]:
    """Sends the changes after `cursor` (updated as they go) and what moves the client's position."""
    streams = hub.feed.streams
    try:  # the log from `cursor` to where the hub took over; the hub's changes up to there are skipped
        caught_up = await _catch_up(hub, subscription, cursor, limits)
    except StoreUnavailable as error:
        log.warning("change_stream_unavailable", extra={"phase": "catch_up", **error.fields})
        return
    if caught_up:
        yield caught_up
    floor, written = {n: id_order(position) for n, position in cursor.items()}, monotonic()
    while not await request.is_disconnected():
        changes = [c for c in subscription.take() if id_order(c.id) > floor[c.stream]]
        now = monotonic()
        if changes:
            for change in changes:
                floor[change.stream] = id_order(change.id)
            yield b"".join(_advanced(cursor, change, streams) for change in changes)
            written = now
        elif subscription.ended is not None:  # the log stopped answering, or this client fell behind
            return
        elif now - written >= limits.position_s and _moved(hub.position, cursor, floor):
            written = now  # served up to the hub's position in its streams
            yield b"id: %s\n\n" % token(cursor, streams).encode()
        elif now - written >= limits.heartbeat_s:
            yield b": heartbeat\n\n"
            written = now
        await subscription.wait(limits.block_ms / 1000)


def _advanced(cursor: Cursor, change: StreamedChange, streams: int) -> bytes:
    """The event of `change`, whose id is the cursor moved past it in its stream."""
    cursor[change.stream] = change.id
    return change_event(change, token(cursor, streams))


def _moved(position: Sequence[str], cursor: Cursor, floor: dict[int, tuple[int, int]]) -> bool:
    """Moves `cursor` to the hub's `position` in the streams where the hub is further; True if any."""
    moved = False
    for n in cursor:
        if id_order(position[n]) > floor[n]:
            cursor[n], floor[n], moved = position[n], id_order(position[n]), True
    return moved


async def _catch_up(
    hub: ChangeHub, subscription: Subscription, cursor: Cursor, limits: StreamLimits
) -> bytes:
    """Reads each stream from `cursor` (a resumed client's) up to the hub's position when it
    subscribed, the streams concurrently; the events found, stream after stream, each with the
    cursor as it stands after it. `cursor` ends where the reads got."""
    streams = sorted(cursor)
    reads = (_read_up_to(hub.feed, n, cursor[n], subscription, limits.read_count) for n in streams)
    found = await asyncio.gather(*reads)
    events = []
    for n, (changes, last) in zip(streams, found, strict=True):
        events += [_advanced(cursor, change, hub.feed.streams) for change in changes]
        cursor[n] = last
    return b"".join(events)


async def _read_up_to(
    feed: ChangeFeed, stream: int, after_id: str, subscription: Subscription, count: int
) -> tuple[list[StreamedChange], str]:
    """The changes of the subscription's skus in `stream` after `after_id`, up to its floor there."""
    target, found = id_order(subscription.floor[stream]), []
    while id_order(after_id) < target:
        batch = await feed.read(stream, after_id, subscription.skus, None, count)
        if batch.last_id == after_id:
            break
        after_id = batch.last_id
        found += batch.changes
    return found, after_id


def stream_router(
    feed: ChangeFeed | None,
    *,
    limits: StreamLimits = DEFAULT_LIMITS,
    metrics: HttpMetrics | None = None,
    dependencies: Sequence[Depends] = (),
    responses: Mapping[int | str, dict[str, Any]] | None = None,
) -> APIRouter:
    """GET /v1/availability/stream; mount it before the `/{sku}` route, which would otherwise take it."""
    router = APIRouter(tags=["availability"], dependencies=dependencies, responses=dict(responses or {}))
    hub = (
        None
        if feed is None
        else ChangeHub(feed, limits.block_ms, limits.read_count, limits.buffer_max, metrics)
    )

    @router.get(
        STREAM_PATH,
        summary="Stream of availability changes",
        description=f"{_DESCRIPTION} At most {limits.max_skus} skus per stream.",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "The event stream"},
            400: {"model": ErrorBody, "description": "A Last-Event-ID this stream never sends"},
            413: {"model": ErrorBody, "description": "More skus than the stream cap"},
            422: {"model": ErrorBody, "description": "No sku named"},
            503: {"model": ErrorBody, "description": "No change stream configured, or the store is down"},
        },
    )
    async def stream_availability(
        request: Request,
        skus: Annotated[str | None, Query(description="Comma-separated skus")] = None,
        sku: Annotated[list[str] | None, Query(description="A sku (repeatable)")] = None,
        last_event_id: Annotated[str | None, Query(description="Resume after this id")] = None,
        last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    ) -> StreamingResponse:
        if feed is None or hub is None:
            message = "This deployment has no availability change stream configured."
            raise ApiError(503, "stream_unavailable", message)
        wanted = asked_skus(skus, sku, limits.max_skus)
        # The header wins: EventSource sends it on reconnection, with the first URL's query unchanged.
        start = await starting_point(feed, last_event_id_header or last_event_id, wanted)
        events = sse_events(hub, wanted, start, limits, request)
        return StreamingResponse(events, media_type="text/event-stream", headers=_HEADERS)

    return router
