"""A stopping worker finishes the batch in hand and commits it; one that cannot finish drops it
uncommitted within its bound, and an agent stops retrying a batch the feed gave up."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

from prometheus_client import CollectorRegistry

from core.errors import StoreUnavailable
from streams.batch import BatchOutcome
from streams.feed import BatchFeed
from streams.metrics import WorkerMetrics
from streams.stock_agents import BatchJob, apply_with_retry
from streams.stopping import FeedStopper
from streams.worker import BatchWorker
from tests.support.records import FakeRecord


class _Feed:
    """Gives one batch of three records, then nothing; records what is marked done and the close."""

    def __init__(self) -> None:
        self.batches = [[FakeRecord("pos.sales.v1", b"{}", n) for n in range(3)]]
        self.done: list[int] = []
        self.closed_with_done: list[int] | None = None
        self.polled = asyncio.Event()

    def poll(self, max_records: int, timeout_s: float, top_up_s: float = 0.0) -> list[Any]:
        if self.batches:
            return self.batches.pop(0)
        time.sleep(0.01)
        return []

    def produce(self, _: Any) -> None: ...

    def mark_done(self, records: list[FakeRecord]) -> None:
        self.done += [record.offset() for record in records]

    def take_done(self) -> dict[Any, int]:
        return {}

    def commit_offsets(self, *_: Any) -> int:
        return 0

    def close(self, flush_timeout_s: float = 30.0) -> None:
        self.closed_with_done = list(self.done)


class _Agent:
    """Takes batch jobs; resolves them at once, or never (an agent faust has already stopped)."""

    def __init__(self, answers: bool) -> None:
        self.answers, self.jobs = answers, []  # type: ignore[var-annotated]
        self.received = asyncio.Event()

    async def send(self, value: BatchJob) -> None:
        self.jobs.append(value)
        self.received.set()
        if self.answers:
            value.done.set_result(BatchOutcome())


def _worker(feed: _Feed, agent: _Agent) -> BatchWorker:
    return BatchWorker(feed, {"pos.sales.v1": agent}, "", 1000, 60.0)  # type: ignore[arg-type]


async def _stop_once_the_batch_is_sent(answers: bool, timeout_s: float) -> tuple[_Feed, float]:
    feed, agent = _Feed(), _Agent(answers)
    worker = _worker(feed, agent)
    running = asyncio.ensure_future(worker.run())
    await agent.received.wait()
    began = time.monotonic()
    await worker.shutdown(timeout_s)
    await asyncio.wait_for(running, 1.0)
    return feed, time.monotonic() - began


def test_a_stopping_worker_finishes_the_batch_in_hand_then_commits_and_closes() -> None:
    feed, _ = asyncio.run(_stop_once_the_batch_is_sent(answers=True, timeout_s=5.0))

    assert feed.closed_with_done == [0, 1, 2]


def test_a_batch_no_agent_finishes_is_dropped_uncommitted_once_the_bound_has_passed() -> None:
    feed, took = asyncio.run(_stop_once_the_batch_is_sent(answers=False, timeout_s=0.2))

    assert feed.closed_with_done == []  # closed, and nothing of the dropped batch marked done
    assert 0.2 <= took < 1.0


async def _abandon_at_once() -> tuple[_Feed, list[BatchJob]]:
    feed, agent = _Feed(), _Agent(answers=False)
    worker = _worker(feed, agent)
    running = asyncio.ensure_future(worker.run())
    await agent.received.wait()
    worker.abandon()  # a second signal while stopping
    await asyncio.wait_for(running, 1.0)
    return feed, agent.jobs


def test_a_second_signal_drops_the_batch_in_hand_at_once_and_cancels_its_jobs() -> None:
    feed, jobs = asyncio.run(_abandon_at_once())

    assert feed.closed_with_done == []
    assert [job.done.cancelled() for job in jobs] == [True]


class _DownStore:
    def __init__(self) -> None:
        self.calls = 0

    def run(self, topic: str, records: Any) -> BatchOutcome:
        self.calls += 1
        raise StoreUnavailable("redis unreachable")


async def _retry_until_given_up() -> tuple[BatchOutcome | None, int]:
    store = _DownStore()
    job = BatchJob("pos.sales.v1", [], asyncio.get_running_loop().create_future())
    retrying = asyncio.ensure_future(apply_with_retry(store, job, WorkerMetrics.create(CollectorRegistry())))
    await asyncio.sleep(0.1)
    job.done.cancel()
    return await asyncio.wait_for(retrying, 2.0), store.calls


def test_an_agent_stops_retrying_a_batch_the_feed_has_given_up() -> None:
    outcome, calls = asyncio.run(_retry_until_given_up())

    assert outcome is None
    assert calls >= 2  # it was retrying while the store was down


class _Stoppable:
    def __init__(self, closed: bool) -> None:
        self.stopped, self.abandoned = asyncio.Event(), False
        if closed:
            self.stopped.set()

    def abandon(self) -> None:
        self.abandoned = True


def _second_signal(closed: bool) -> tuple[_Stoppable, list[int]]:
    exits: list[int] = []
    stopper = FeedStopper(5.0, exit_now=exits.append)
    worker = _Stoppable(closed)
    stopper.worker = worker  # type: ignore[assignment]
    stopper.on_second_signal(signal.SIGTERM)
    return worker, exits


def test_a_second_signal_while_the_feed_runs_drops_its_batch_in_hand() -> None:
    worker, exits = _second_signal(closed=False)

    assert (worker.abandoned, exits) == (True, [])


def test_a_second_signal_once_the_feed_is_closed_ends_the_process_at_once() -> None:
    worker, exits = _second_signal(closed=True)

    assert (worker.abandoned, exits) == (False, [0])


class _CountingProducer:
    def __init__(self) -> None:
        self.flushes = 0

    def flush(self, _: float) -> int:
        self.flushes += 1
        return 0


class _ClosingConsumer:
    def close(self) -> None: ...


def test_closing_the_feed_flushes_outputs_tied_to_no_offset() -> None:
    producer = _CountingProducer()
    feed = BatchFeed(_ClosingConsumer(), producer, "")  # type: ignore[arg-type]
    # e.g. the expired holds of the last sweep: produced, and no record of theirs to commit

    feed.close()

    assert producer.flushes >= 1
