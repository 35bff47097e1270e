"""One reader of the change log per API process, fanning each change out to the open streams of its sku.

Each SSE stream used to tail the log itself: one blocking XREAD, hence one pooled Redis connection,
per open stream, and every stream scanned every change of every sku. The hub reads the log once for
all of them and hands each stream only its skus' changes, in a buffer bounded per stream: a stream
that falls `buffer_max` changes behind (a client not reading) is ended, and resumes from the log
with its Last-Event-ID like any reconnection. The hub runs while streams are open and stops with
the last one; a log that stops answering ends every stream (their clients reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Protocol

from core.errors import StoreUnavailable
from state.change_stream import ChangesRead, StreamedChange

log = logging.getLogger("omnistock.api")
TOO_SLOW = "too_slow"
STORE_UNAVAILABLE = "store_unavailable"
HUB_FAILED = "hub_failed"


class ChangeFeed(Protocol):
    """What the hub and the streams read: state.change_stream.AsyncChangeStream, or a fake in tests.
    `block_ms` None reads what is there without waiting."""

    async def read(
        self, after_id: str, skus: Collection[str], block_ms: int | None, count: int
    ) -> ChangesRead: ...

    async def oldest_id(self) -> str | None: ...

    async def last_id(self) -> str: ...


class Subscription:
    """One stream's share of the hub: the changes of its skus not yet taken, and why it ended if it did."""

    def __init__(self, skus: frozenset[str], buffer_max: int) -> None:
        self.skus = skus
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
    """Reads the log after `position` (blocking `block_ms`, `read_count` entries at most) while
    subscriptions are open; `position` is how far every open subscription has been served."""

    def __init__(self, feed: ChangeFeed, block_ms: int, read_count: int, buffer_max: int) -> None:
        self.feed = feed
        self._block_ms = block_ms
        self._read_count = read_count
        self._buffer_max = buffer_max
        self._by_sku: dict[str, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: asyncio.Lock | None = None
        self.position = "0-0"

    def __len__(self) -> int:
        """How many skus open subscriptions follow."""
        return len(self._by_sku)

    async def subscribe(self, skus: frozenset[str]) -> Subscription:
        """A subscription receiving every change of `skus` after `position` as it is right after this
        returns; raises StoreUnavailable when the log cannot be read to start the hub."""
        async with self._starting_lock():
            if self._task is None or self._task.done():
                self.position = await self.feed.last_id()
                self._task = asyncio.get_running_loop().create_task(self._run())
            subscription = Subscription(skus, self._buffer_max)
            for sku in skus:  # no await from the position read (or the running hub's) to here
                self._by_sku.setdefault(sku, set()).add(subscription)
        return subscription

    def _starting_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._starting is None or self._loop is not loop:  # one loop in production; tests run several
            self._loop, self._starting, self._task, self._by_sku = loop, asyncio.Lock(), None, {}
        return self._starting

    def unsubscribe(self, subscription: Subscription) -> None:
        for sku in subscription.skus:
            followers = self._by_sku.get(sku)
            if followers is not None:
                followers.discard(subscription)
                if not followers:
                    del self._by_sku[sku]

    async def _run(self) -> None:
        try:
            while self._by_sku:
                batch = await self.feed.read(self.position, self._by_sku, self._block_ms, self._read_count)
                self._dispatch(batch.changes)
                self.position = batch.last_id
        except StoreUnavailable as error:
            log.warning("change_hub_store_unavailable", extra={"error": error.fields.get("error")})
            self._end_all(STORE_UNAVAILABLE)
        except Exception:  # a bug must not leave streams waiting for ever: end them, the next one restarts
            log.exception("change_hub_failed")
            self._end_all(HUB_FAILED)

    def _dispatch(self, changes: list[StreamedChange]) -> None:
        for change in changes:
            for subscription in tuple(self._by_sku.get(change.sku, ())):
                if not subscription.offer(change):
                    log.warning("change_stream_client_too_slow", extra={"buffer_max": self._buffer_max})
                    self.unsubscribe(subscription)
                    subscription.end(TOO_SLOW)

    def _end_all(self, reason: str) -> None:
        for subscription in {s for followers in self._by_sku.values() for s in followers}:
            subscription.end(reason)
        self._by_sku = {}
