"""The SSE id of the availability stream: how far a client got in each stream of the change log it follows.

The log is N streams (state.change_shards) whose ids do not compare across streams, so a position is
one stream id per stream the client's skus are in. Its text, the SSE `id:` a client sends back as
Last-Event-ID: on a log of one stream, the stream id itself (`<ms>-<seq>`, as before sharding); on N
streams, `<N>/<n>:<ms>-<seq>,<n>:<ms>-<seq>...`, the streams in order (for example
`16/3:1733470000000-0,11:1733470000125-4`). N is in the text because another N is another mapping of
skus to streams: such an id cannot be resumed (the stream opens with a reset).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from api.change_hub import ChangeFeed
from api.errors import ApiError
from state.change_stream import START, StreamSpan, id_order, is_stream_id

MAX_STREAMS = 1024
_PAIR = re.compile(r"(\d{1,4}):(\d{1,20}-\d{1,20})")
Cursor = dict[int, str]  # stream -> the id in it after which the client resumes


@dataclass(frozen=True, slots=True)
class SentPosition:
    """A parsed Last-Event-ID: the number of streams of the log that sent it, and its cursor."""

    streams: int
    cursor: Cursor


def token(cursor: Mapping[int, str], streams: int) -> str:
    """The SSE id of `cursor` on a log of `streams` streams."""
    if streams == 1:
        return cursor[0]
    return f"{streams}/" + ",".join(f"{n}:{cursor[n]}" for n in sorted(cursor))


def parse(text: str) -> SentPosition | None:
    """The position a Last-Event-ID names; None for a text this API never sends."""
    if is_stream_id(text):
        return SentPosition(1, {0: text})
    count, slash, pairs = text.partition("/")
    if not slash or not count.isdigit() or not 1 < int(count) <= MAX_STREAMS:
        return None
    cursor: Cursor = {}
    for pair in pairs.split(","):
        found = _PAIR.fullmatch(pair)
        if found is None or int(found[1]) >= int(count) or int(found[1]) in cursor:
            return None
        cursor[int(found[1])] = found[2]
    return SentPosition(int(count), cursor)


@dataclass(frozen=True, slots=True)
class Start:
    cursor: Cursor
    reset_reason: str | None = None


async def starting_point(feed: ChangeFeed, last_event_id: str | None, skus: frozenset[str]) -> Start | None:
    """Where to read from in each stream of `skus`: right after `last_event_id`, or now with a reset
    when it cannot resume; None without one: from the hub's position when the stream subscribes (no
    read of the log)."""
    if last_event_id is None:
        return None
    sent = parse(last_event_id)
    if sent is None:
        message = "Last-Event-ID must be an id this stream sent (<milliseconds>-<sequence>, or N/n:id,...)."
        raise ApiError(400, "invalid_last_event_id", message, last_event_id=last_event_id[:64])
    streams = sorted({feed.stream_of(sku) for sku in skus})
    spans = await feed.spans()
    now = {n: _newest(spans[n]) for n in streams}
    if sent.streams != feed.streams or any(n not in sent.cursor for n in streams):
        return Start(now, "unknown_id")  # another layout of the log, or other skus than it followed
    cursor = {n: sent.cursor[n] for n in streams}
    reasons = [_unresumable(cursor[n], spans[n]) for n in streams]
    reason = next((r for r in reasons if r is not None), None)
    return Start(cursor) if reason is None else Start(now, reason)


def _newest(span: StreamSpan | None) -> str:
    return START if span is None else span.newest


def _unresumable(position: str, span: StreamSpan | None) -> str | None:
    """Why reading a stream after `position` would not give every entry that followed it; None if it would."""
    if span is None:  # the stream was lost (or never written): nothing says what was missed
        return None if position == START else "log_empty"
    if id_order(position) > id_order(span.newest):  # an id of another log (the key was recreated)
        return "unknown_id"
    if span.oldest is not None and id_order(position) >= id_order(span.oldest):
        return None
    if not span.trimmed:  # every entry it ever had is held: after START, all of them
        return None if position == START else "unknown_id"
    return "too_old"  # what followed it may have been trimmed
