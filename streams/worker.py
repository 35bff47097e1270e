"""The worker loop: poll a batch, hand each topic's records to its agent, produce outputs, commit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message

from streams.batch import BatchOutcome
from streams.feed import TOP_UP_S, BatchFeed
from streams.metrics import WorkerMetrics
from streams.records import ConsumedRecord, OutRecord
from streams.stock_agents import BatchJob
from streams.store_guard import StoreGuard

log = logging.getLogger("omnistock.worker")
FIRST_POLL = 50
# A batch of at least this share of its poll means load: the next poll may wait TOP_UP_S for more.
BUSY_SHARE = 0.1


class BatchDropped(Exception):
    """The batch in hand was given up while stopping: it is not marked done, so never committed."""


class BatchWorker:
    """Drives the feed and the agents until `stop()`; commits at most every `commit_interval_s`.

    The agents are the stock, cart and order flows alike: the worker only batches, applies and commits.

    A poll takes at most `batch_max_events` records and, from the sizes of the last poll's values,
    about `batch_max_bytes` of them: a batch of 200-line receipts is as much work as 200 times as many
    one-line sales, and a batch must finish well within the consumer's max.poll.interval or the group
    drops the worker. The first poll is small, until sizes are known.

    Stopping (`shutdown`): the batch in hand is finished, its outputs flushed, what is done
    committed, and the consumer closed (it leaves the group). A batch that cannot finish within the
    bound, or a second stop signal (`abandon`), is dropped uncommitted: the next owner of its
    partitions gets it again, and the store's event_id dedupe makes what was applied change nothing.

    Under load (the last batch filled at least BUSY_SHARE of its poll) a poll tops up what is already
    fetched for TOP_UP_S, for fuller batches; on a quieter feed each record is taken as soon as it is
    fetched (the wait would add to every order's latency for a batch of a few records more).
    """

    def __init__(
        self,
        feed: BatchFeed,
        agents: Mapping[str, Any],
        topic_prefix: str,
        batch_max_events: int,
        commit_interval_s: float,
        batch_max_bytes: int = 500_000,
        periodic: Callable[[], list[OutRecord]] | None = None,
        periodic_interval_s: float = 1.0,
        metrics: WorkerMetrics | None = None,
        guard: StoreGuard | None = None,
    ) -> None:
        self._feed = feed
        self._guard = guard  # the store marker, checked once per batch (streams.store_guard)
        self._agents = agents
        self._prefix_len = len(topic_prefix)
        self._batch_max, self._batch_bytes = batch_max_events, batch_max_bytes
        self.next_poll = min(FIRST_POLL, batch_max_events)
        self.busy = False
        self._commit_interval_s = commit_interval_s
        self._periodic, self._periodic_interval_s = periodic, periodic_interval_s
        self._metrics = metrics
        self._stopping = asyncio.Event()
        self.stopped = asyncio.Event()
        self._abandoned = False
        self._in_flight: list[asyncio.Future[BatchOutcome]] = []
        self.close_flush_timeout_s = 30.0

    def stop(self) -> None:
        """Stop after the batch in hand (its outputs delivered, its offsets committed)."""
        self._stopping.set()

    def abandon(self) -> None:
        """Stop now: the batch in hand is dropped uncommitted (the agents may never finish it)."""
        self._stopping.set()
        self._abandoned = True
        if self._in_flight:
            log.warning("batch_in_hand_dropped", extra={"jobs": len(self._in_flight)})
            for job in self._in_flight:
                job.cancel()

    async def shutdown(self, timeout_s: float) -> None:
        """`stop()`, then `abandon()` if not stopped within `timeout_s`; returns when the consumer is
        closed (the last flush before the last commit is bounded by `timeout_s` too)."""
        self.close_flush_timeout_s = timeout_s
        self.stop()
        try:
            await asyncio.wait_for(self.stopped.wait(), timeout_s)
        except TimeoutError:
            self.abandon()
            await self.stopped.wait()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last_commit = last_periodic = time.monotonic()
        # A commit (flush the outputs, then commit the offsets: tens of ms on a broker) runs in the
        # background while batches go on; one at a time, and a failed one stops the loop.
        committing: asyncio.Future[int] | None = None
        try:
            while not self._stopping.is_set():
                # The consume runs in a thread: it blocks up to 100 ms waiting for records.
                top_up_s = TOP_UP_S if self.busy else 0.0
                records = await loop.run_in_executor(None, self._feed.poll, self.next_poll, 0.1, top_up_s)
                if self._metrics is not None:
                    self._metrics.pulse.turned()
                self.busy = len(records) >= BUSY_SHARE * self.next_poll
                if records:
                    self.next_poll = self.poll_size(records)
                    if not await self._store_ready(committing):
                        break  # stopped while the store was lost: the batch was neither applied nor committed
                    await self._apply(records)
                if (
                    self._periodic
                    and time.monotonic() - last_periodic >= self._periodic_interval_s
                    and not (self._guard and self._guard.lost())
                ):
                    self._feed.produce(self._periodic())
                    last_periodic = time.monotonic()
                if time.monotonic() - last_commit >= self._commit_interval_s:
                    if committing is not None and committing.done():
                        committing.result()  # raises what the last commit raised
                        committing = None
                    if committing is None:
                        committing = loop.run_in_executor(
                            None, self._feed.commit_offsets, self._feed.take_done()
                        )
                        last_commit = time.monotonic()
        except BatchDropped:
            pass  # abandon() said so; nothing of the batch is marked done
        finally:
            try:
                if committing is not None:
                    await committing
            finally:
                await loop.run_in_executor(None, self._feed.close, self.close_flush_timeout_s)
                self.stopped.set()

    async def _store_ready(self, committing: asyncio.Future[int] | None) -> bool:
        """True when the store marker is there. Without it: commit what is done (rebuild replays up to
        the committed offsets), then hold until the marker is back; False if the worker stopped meanwhile."""
        if self._guard is None or not self._guard.lost():
            return True
        if committing is not None:
            await committing
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._feed.commit)
        self._feed.pause()  # the group keeps this member (and its partitions) while it waits
        try:
            await self._guard.hold(self._stopping, lambda: loop.run_in_executor(None, self._keep_alive))
        finally:
            self._feed.resume()
        return not self._stopping.is_set()

    def _keep_alive(self) -> None:
        self._feed.keep_alive()
        if self._metrics is not None:
            self._metrics.pulse.turned()

    async def _outcomes(self, jobs: list[asyncio.Future[BatchOutcome]]) -> list[BatchOutcome]:
        """The agents' outcomes; BatchDropped when `abandon()` came first (the jobs are cancelled)."""
        if not self._abandoned:
            try:
                return await asyncio.gather(*jobs)
            except asyncio.CancelledError:
                if not self._abandoned:
                    raise  # the worker's own task is cancelled
        for job in jobs:
            job.cancel()
        raise BatchDropped

    def poll_size(self, records: list[Message]) -> int:
        """How many records of the sizes just seen make about `batch_max_bytes` (within 1..max)."""
        size = sum(len(record.value() or b"") for record in records) / len(records)
        return max(1, min(self._batch_max, int(self._batch_bytes / max(size, 1.0))))

    async def _apply(self, records: list[Message]) -> None:
        by_topic: dict[str, list[ConsumedRecord]] = defaultdict(list)
        oldest: dict[str, int] = {}  # topic -> the earliest producer timestamp of the batch, in ms
        cut = self._prefix_len
        for record in records:
            topic = record.topic()[cut:]  # type: ignore[index]
            by_topic[topic].append(record)
            kind, stamp = record.timestamp()
            if kind != TIMESTAMP_NOT_AVAILABLE and stamp < oldest.get(topic, stamp + 1):
                oldest[topic] = stamp
        loop = asyncio.get_running_loop()
        jobs = self._in_flight = []
        try:
            for topic, topic_records in by_topic.items():
                done: asyncio.Future[BatchOutcome] = loop.create_future()
                jobs.append(done)
                await self._agents[topic].send(value=BatchJob(topic, topic_records, done))
            outcomes = await self._outcomes(jobs)
        finally:
            self._in_flight = []
        for outcome in outcomes:
            self._feed.produce(outcome.outputs)
        self._feed.mark_done(records)
        if self._metrics is not None:
            self._metrics.pulse.applied()
            now_ms = time.time() * 1000
            for topic, stamp in oldest.items():
                self._metrics.event_age.labels(topic).observe(max(0.0, now_ms - stamp) / 1000)
