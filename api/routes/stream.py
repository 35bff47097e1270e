"""The availability change stream: Server-Sent Events of a set of skus, resumable with Last-Event-ID."""

from __future__ import annotations

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
from core.errors import StoreUnavailable
from state.change_stream import START, StreamedChange, id_order, is_stream_id

log = logging.getLogger("omnistock.api")
STREAM_PATH = "/v1/availability/stream"
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering of events
_DESCRIPTION = (
    "Server-Sent Events (`text/event-stream`) of the availability changes of the skus asked "
    "(`?skus=A,B` and/or repeated `?sku=A`). Each change is `event: availability` with `id:` its "
    'position in the change log and `data:` `{"sku", "location_id", "figures": {on_hand, in_transit, '
    'reserved, allocated, safety_stock, atp}, "network_atp"}`. A client reconnecting with the '
    "Last-Event-ID header (or `?last_event_id=` on a first connect) resumes right after that id; "
    "without one it starts from now; the first block gives the stream's position (`id:`). When the "
    "log no longer holds what followed that id, the stream "
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


@dataclass(frozen=True, slots=True)
class Start:
    cursor: str
    reset_reason: str | None = None


def change_event(change: StreamedChange) -> bytes:
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
    return b"id: %s\nevent: availability\ndata: %s\n\n" % (change.id.encode(), orjson.dumps(body))


def reset_event(start: Start) -> bytes:
    body = {
        "reason": start.reset_reason,
        "message": "Changes after your Last-Event-ID are no longer held: re-read availability, "
        "then apply the events that follow.",
    }
    return b"id: %s\nevent: reset\ndata: %s\n\n" % (start.cursor.encode(), orjson.dumps(body))


def asked_skus(skus: str | None, sku: Sequence[str] | None, max_skus: int) -> frozenset[str]:
    names = [*(skus.split(",") if skus else ()), *(sku or ())]
    wanted = frozenset(name.strip() for name in names if name.strip())
    if not wanted:
        raise ApiError(422, "no_skus", "Name at least one sku: ?skus=A,B or ?sku=A&sku=B.")
    if len(wanted) > max_skus:
        message = f"A stream may follow at most {max_skus} skus; this request names {len(wanted)}."
        raise ApiError(413, "too_many_skus", message, max_skus=max_skus, received=len(wanted))
    return wanted


async def starting_point(feed: ChangeFeed, last_event_id: str | None) -> Start | None:
    """Where to read from: right after `last_event_id`, or now with a reset when it cannot resume;
    None without one: from the hub's position when the stream subscribes (no read of the log)."""
    if last_event_id is None:
        return None
    if not is_stream_id(last_event_id):
        message = "Last-Event-ID must be an id this stream sent (<milliseconds>-<sequence>)."
        raise ApiError(400, "invalid_last_event_id", message, last_event_id=last_event_id[:64])
    oldest = await feed.oldest_id()
    if oldest is None:  # the log was lost (or never written): nothing says what the client missed
        return Start(START, "log_empty")
    if id_order(last_event_id) < id_order(oldest):  # what followed it may have been trimmed
        return Start(await feed.last_id(), "too_old")
    newest = await feed.last_id()
    if id_order(last_event_id) > id_order(newest):  # an id of another log (the key was recreated)
        return Start(newest, "unknown_id")
    return Start(last_event_id)


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
        start = start if start is not None else Start(subscription.floor)
        if start.reset_reason is None:
            yield b"retry: %d\nid: %s\n\n" % (limits.retry_ms, start.cursor.encode())
        else:
            yield b"retry: %d\n\n" % limits.retry_ms + reset_event(start)
        async for chunk in _served(hub, subscription, start.cursor, limits, request):
            yield chunk
    finally:
        hub.unsubscribe(subscription)


async def _served(
    hub: ChangeHub, subscription: Subscription, cursor: str, limits: StreamLimits, request: Request
) -> AsyncIterator[bytes]:
    try:  # the log from `cursor` to where the hub took over; the hub's changes up to there are skipped
        cursor, caught_up = await _catch_up(hub, subscription, cursor, limits)
    except StoreUnavailable as error:
        log.warning("change_stream_unavailable", extra={"phase": "catch_up", **error.fields})
        return
    if caught_up:
        yield caught_up
    sent, floor, written = cursor, id_order(cursor), monotonic()
    while not await request.is_disconnected():
        changes = [c for c in subscription.take() if id_order(c.id) > floor]
        now = monotonic()
        if changes:
            yield b"".join(change_event(change) for change in changes)
            sent, floor, written = changes[-1].id, id_order(changes[-1].id), now
        elif subscription.ended is not None:  # the log stopped answering, or this client fell behind
            return
        elif now - written >= limits.position_s and id_order(hub.position) > floor:
            sent, floor, written = hub.position, id_order(hub.position), now  # served up to there
            yield b"id: %s\n\n" % sent.encode()
        elif now - written >= limits.heartbeat_s:
            yield b": heartbeat\n\n"
            written = now
        await subscription.wait(limits.block_ms / 1000)


async def _catch_up(
    hub: ChangeHub, subscription: Subscription, cursor: str, limits: StreamLimits
) -> tuple[str, bytes]:
    """Reads the log from `cursor` (a resumed client's) up to the hub's position when it subscribed:
    the events found, and how far they got."""
    target, found = id_order(subscription.floor), []
    while id_order(cursor) < target:
        batch = await hub.feed.read(cursor, subscription.skus, None, limits.read_count)
        if batch.last_id == cursor:
            break
        cursor = batch.last_id
        found += [change_event(change) for change in batch.changes]
    return cursor, b"".join(found)


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
        start = await starting_point(feed, last_event_id_header or last_event_id)
        events = sse_events(hub, wanted, start, limits, request)
        return StreamingResponse(events, media_type="text/event-stream", headers=_HEADERS)

    return router
