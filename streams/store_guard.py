"""Keeps the worker off a lost store: one marker check per batch, and a hold until `omnistock rebuild` ends.

Why the hold is exact: when the worker finds the marker gone it commits what it has done (those
events were applied to the lost store, or onto the empty one; either way `omnistock rebuild` reads
every input topic up to the group's committed offsets, after clearing the prefix), then holds the batch
in hand unapplied and uncommitted. Rebuild writes the marker last; the worker then applies the held
batch and goes on from there. Events before the committed offsets come from rebuild, events after them
from the worker: each exactly once, no dedupe memory needed.

A wipe between the check and the batch's writes is harmless for the same reason: the batch lands on
the empty store, rebuild clears the prefix first, and the events are re-applied from the topics.
The check comes before the batch, not in its pipeline: a batch applied onto a wiped master would
publish figures (and route orders) computed from nothing. On a Redis Cluster the marker is one key
per hash slot and a check reads every master (state.shard_markers): one master wiped alone is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from confluent_kafka import Consumer
from prometheus_client import CollectorRegistry, Gauge

from core.errors import StoreUnavailable
from state.epoch import NEW_DEPLOYMENT
from streams.group_offsets import committed_offsets

log = logging.getLogger("omnistock.worker")


class Marker(Protocol):
    def present(self) -> bool: ...

    def write(self, epoch_ms: int, origin: str) -> None: ...


class StoreGuard:
    """The worker's view of the store marker; `omnistock_store_lost` is 1 while it is missing."""

    def __init__(self, marker: Marker, registry: CollectorRegistry, wait_s: float = 1.0) -> None:
        self._marker = marker
        self._wait_s = wait_s
        self.lost_gauge = Gauge(
            "omnistock_store_lost",
            "1 while the store marker is missing (Redis lost its data): the worker holds until a rebuild",
            registry=registry,
        )
        self._seen_lost = False

    def lost(self) -> bool:
        """One EXISTS (on a cluster, one per master's slot range, a pipeline per node). Redis
        unreachable is not 'lost': the batch's own retry waits for it."""
        try:
            lost = not self._marker.present()
        except StoreUnavailable:
            return False
        if lost is not self._seen_lost:  # the gauge follows every check, without a write per batch
            self._seen_lost = lost
            self.lost_gauge.set(int(lost))
        return lost

    def initialise(self, consumer: Consumer, topics: Sequence[str]) -> None:
        """At start: a group that never committed an offset is a new deployment (its workers read
        every topic from the start), so the empty store is right and gets its marker; a group that
        did commit, without a marker, finds its store lost."""
        if not self.lost():
            return
        if committed_offsets(consumer, topics):
            log.error("store_lost", extra={"at": "start", "marker": getattr(self._marker, "key", "")})
            return
        self._marker.write(time.time_ns() // 1_000_000, NEW_DEPLOYMENT)
        self._seen_lost = False
        self.lost_gauge.set(0)
        log.info("store_initialised", extra={"origin": NEW_DEPLOYMENT})

    async def hold(self, stopping: asyncio.Event, keep_alive: Callable[[], Awaitable[None]]) -> None:
        """Wait until the marker is back (rebuild ended) or the worker stops; `keep_alive` runs every
        `wait_s` (the paused consumer's poll)."""
        log.error("store_lost", extra={"at": "batch", "action": "holding until omnistock rebuild"})
        started = time.monotonic()
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._wait_s)
            await keep_alive()
            if not self.lost():
                log.warning("store_restored", extra={"held_s": round(time.monotonic() - started, 1)})
                return

    def seen_lost(self) -> bool:
        """What the last check found (no Redis call): for the worker's /readyz."""
        return self._seen_lost
