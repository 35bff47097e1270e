"""One reader of the change log per API process, fanning each change out to the open streams of its sku.

Each SSE stream used to tail the log itself: one blocking XREAD, hence one pooled Redis connection,
per open stream, and every stream scanned every change of every sku. The hub reads the log once for
all of them and hands each stream only its skus' changes, in a buffer bounded per stream: a stream
that falls `buffer_max` changes behind (a client not reading) is ended, and resumes from the log
with its Last-Event-ID like any reconnection. The log is N streams (state.change_shards): the hub
tails each with a blocking read of its own (XREAD cannot name keys of several slots on a cluster),
so its `position` is one id per stream. The hub runs while streams are open and stops with the last
one; a log stream that stops answering (READ_TRIES reads in a row) ends every SSE stream, and their
clients reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import FIRST_COMPLETED
from collections.abc import Collection
from typing import Protocol

from api.metrics import HttpMetrics
from core.errors import StoreUnavailable
from state.change_stream import START, ChangesRead, StreamedChange, StreamSpan

log = logging.getLogger("omnistock.api")
TOO_SLOW = "too_slow"
STORE_UNAVAILABLE = "store_unavailable"
HUB_FAILED = "hub_failed"
READ_TRIES = 3  # reads of the log in a row that fail before the streams are ended
RETRY_PAUSE_S = 0.2


class ChangeFeed(Protocol):
    """What the hub and the streams read: state.change_stream.AsyncChangeStream, or a fake in tests.
    `streams` streams, each sku's changes in stream `stream_of(sku)`; `read` reads one stream
    (`block_ms` None: what is there, without waiting); `spans` says what each stream holds,
    `last_ids` where each ends."""

    @property
    def streams(self) -> int: ...

    def stream_of(self, sku: str) -> int: ...

    async def read(
        self, stream: int, after_id: str, skus: Collection[str], block_ms: int | None, count: int
    ) -> ChangesRead: ...

    async def spans(self) -> list[StreamSpan | None]: ...

    async def last_ids(self) -> list[str]: ...


class Subscription:
    """One stream's share of the hub: the changes of its skus not yet taken, and why it ended if it did."""

    def __init__(
        self, skus: frozenset[str], buffer_max: int, floor: tuple[str, ...], streams: frozenset[int]
    ) -> None:
        self.skus = skus
        self.streams = streams  # the log's streams its skus' changes are in
        self.floor = floor  # the hub's position when it subscribed: every later change comes to it
        self.buffer_max = buffer_max
        self.ended: str | None = None
        self._changes: list[StreamedChange] = []
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        """How many changes wait to be taken."""
        return len(self._changes)

    def take(self) -> list[StreamedChange]:
        """The changes received since the last take, oldest first."""
        changes, self._changes = self._changes, []
        self._wake.clear()
        return changes

    async def wait(self, timeout_s: float) -> None:
        """Until a change comes, the subscription ends, or `timeout_s` passes."""
        if self._changes or self.ended is not None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout_s)

    def offer(self, change: StreamedChange) -> bool:
        """Called by the hub: False (nothing kept) when the buffer is full."""
        if len(self._changes) >= self.buffer_max:
            return False
        self._changes.append(change)
        self._wake.set()
        return True

    def end(self, reason: str) -> None:
        """Called by the hub: no more changes will come, for `reason`."""
        self.ended = reason
        if reason == TOO_SLOW:
            self._changes = []  # what it missed, it reads again from the log with its Last-Event-ID
        self._wake.set()


class ChangeHub:
    """Tails each stream of the log after its `position` there (blocking `block_ms`, `read_count`
    entries at most per read) while subscriptions are open; `position`, one id per stream, is how far
    every open subscription has been served."""

    def __init__(
        self,
        feed: ChangeFeed,
        block_ms: int,
        read_count: int,
        buffer_max: int,
        metrics: HttpMetrics | None = None,
    ) -> None:
        self.feed = feed
        self._metrics = metrics
        self._open: set[Subscription] = set()
        if metrics is not None:
            metrics.streams_open.set_function(lambda: len(self._open))
        self._block_ms = block_ms
        self._read_count = read_count
        self._buffer_max = buffer_max
        self._by_sku: dict[str, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: asyncio.Lock | None = None
        self.position = [START] * feed.streams  # per stream of the log: served up to there

    def __len__(self) -> int:
        """How many skus open subscriptions follow."""
        return len(self._by_sku)

    async def subscribe(self, skus: frozenset[str]) -> Subscription:
        """A subscription receiving every change of `skus` after its `floor` (the hub's position then);
        raises StoreUnavailable when the log cannot be read to start the hub."""
        async with self._starting_lock():
            if self._task is None or self._task.done():
                self.position = list(await self.feed.last_ids())
                self._task = asyncio.get_running_loop().create_task(self._run())
            streams = frozenset(self.feed.stream_of(sku) for sku in skus)
            subscription = Subscription(skus, self._buffer_max, tuple(self.position), streams)
            self._open.add(subscription)
            for sku in skus:  # no await from the position read (or the running hub's) to here
                self._by_sku.setdefault(sku, set()).add(subscription)
        return subscription

    def _starting_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._starting is None or self._loop is not loop:  # one loop in production; tests run several
            self._loop, self._starting, self._task, self._by_sku = loop, asyncio.Lock(), None, {}
            self._open = set()
        return self._starting

    def unsubscribe(self, subscription: Subscription) -> None:
        self._open.discard(subscription)
        for sku in subscription.skus:
            followers = self._by_sku.get(sku)
            if followers is not None:
                followers.discard(subscription)
                if not followers:
                    del self._by_sku[sku]

    async def _run(self) -> None:
        """Tails every stream of the log while subscriptions are open; a tail that gives up ends them all.
        The tails are cancelled in the step that finds no subscription left, so a subscription made
        after it starts a new hub (no await between this check and the task's end)."""
        loop = asyncio.get_running_loop()
        tails = [loop.create_task(self._tail(stream)) for stream in range(len(self.position))]
        try:
            while self._by_sku:
                done, _ = await asyncio.wait(
                    tails, timeout=self._block_ms / 1000, return_when=FIRST_COMPLETED
                )
                if done:  # a tail gave up (or failed): its reason
                    tail = next(iter(done))
                    self._end_all(HUB_FAILED if tail.exception() is not None else tail.result())
                    return
        finally:
            for tail in tails:
                tail.cancel()

    async def _tail(self, stream: int) -> str:
        """Reads one stream of the log after the hub's position in it until cancelled; the reason why
        every subscription must end if the stream stops answering."""
        failures = 0
        while True:
            try:
                batch = await self.feed.read(
                    stream, self.position[stream], self._by_sku, self._block_ms, self._read_count
                )
            except StoreUnavailable as error:
                failures += 1
                extra = {"failures": failures, "stream": stream, **error.fields}
                log.warning("change_hub_store_unavailable", extra=extra)
                if failures >= READ_TRIES:  # the log is down: end every stream, their clients reconnect
                    return STORE_UNAVAILABLE
                await asyncio.sleep(RETRY_PAUSE_S)  # one slow or lost read must not end every stream
                continue
            except Exception:  # a bug must not leave streams waiting for ever: end them, the next restarts
                log.exception("change_hub_failed")
                return HUB_FAILED
            failures = 0
            self._dispatch(batch.changes)
            self.position[stream] = batch.last_id

    def _dispatch(self, changes: list[StreamedChange]) -> None:
        for change in changes:
            for subscription in tuple(self._by_sku.get(change.sku, ())):
                if not subscription.offer(change):
                    log.warning("change_stream_client_too_slow", extra={"buffer_max": self._buffer_max})
                    self.unsubscribe(subscription)
                    self._ended(subscription, TOO_SLOW)

    def _end_all(self, reason: str) -> None:
        for subscription in self._open:
            self._ended(subscription, reason)
        self._by_sku, self._open = {}, set()

    def _ended(self, subscription: Subscription, reason: str) -> None:
        subscription.end(reason)
        if self._metrics is not None:
            self._metrics.streams_ended.labels(reason).inc()
