"""The worker sizes its polls by bytes, and a commit refused because the group moved on is not fatal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from streams.feed import TOP_UP_S, BatchFeed
from streams.worker import FIRST_POLL, BatchWorker


class _Record:
    def __init__(self, size: int) -> None:
        self._value = b"x" * size

    def value(self) -> bytes:
        return self._value


def _worker(batch_max_events: int = 1000, batch_max_bytes: int = 100_000) -> BatchWorker:
    return BatchWorker(None, {}, "", batch_max_events, 0.5, batch_max_bytes=batch_max_bytes)  # type: ignore[arg-type]


def test_the_first_poll_is_small_until_record_sizes_are_known() -> None:
    assert _worker().next_poll == FIRST_POLL
    assert _worker(batch_max_events=10).next_poll == 10


def test_big_records_shrink_the_next_poll_and_small_ones_grow_it_to_the_event_cap() -> None:
    worker = _worker()

    assert worker.poll_size([_Record(10_000)] * 3) == 10  # type: ignore[list-item]
    assert worker.poll_size([_Record(50)] * 3) == 1000  # type: ignore[list-item]
    assert worker.poll_size([_Record(1_000_000)]) == 1  # type: ignore[list-item]


class _Consumer:
    def __init__(self, code: int) -> None:
        self.code = code

    def commit(self, **_: Any) -> None:
        raise KafkaException(KafkaError(self.code))


class _Producer:
    def flush(self, _: float) -> int:
        return 0


def _feed_with_done(code: int) -> BatchFeed:
    feed = BatchFeed(_Consumer(code), _Producer(), "")  # type: ignore[arg-type]
    feed._done[("pos.sales.v1", 0)] = 42
    return feed


def test_a_commit_refused_because_the_member_left_the_group_is_dropped_for_redelivery() -> None:
    feed = _feed_with_done(KafkaError.UNKNOWN_MEMBER_ID)

    assert feed.commit() == 1
    assert feed.commit() == 0  # nothing left to commit: the new owner gets the records again


def test_any_other_commit_failure_still_stops_the_worker() -> None:
    with pytest.raises(KafkaException):
        _feed_with_done(KafkaError._TRANSPORT).commit()


class _Queue:
    """A consumer whose local queue holds `ready` records now and `later` ones after a wait."""

    def __init__(self, ready: list[str], later: list[str]) -> None:
        self.ready, self.later, self.calls = ready, later, []  # type: ignore[var-annotated]

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        self.calls.append((num_messages, timeout))
        if not self.ready and timeout > 0:
            self.ready, self.later = self.later, []
        taken, self.ready = self.ready[:num_messages], self.ready[num_messages:]
        return [_Message(value) for value in taken]


class _Message:
    def __init__(self, value: str) -> None:
        self._value = value

    def error(self) -> None:
        return None


def test_a_poll_under_load_takes_what_is_fetched_and_tops_it_up_briefly() -> None:
    queue = _Queue(ready=["a", "b"], later=[])
    feed = BatchFeed(queue, _Producer(), "")  # type: ignore[arg-type]

    assert len(feed.poll(100, 0.1, top_up_s=0.005)) == 2
    assert queue.calls == [(100, 0), (98, 0.005)]  # then only a short top-up, never the whole timeout


def test_a_poll_without_a_top_up_takes_what_is_fetched_at_once() -> None:
    queue = _Queue(ready=["a", "b"], later=["c"])
    feed = BatchFeed(queue, _Producer(), "")  # type: ignore[arg-type]

    assert len(feed.poll(100, 0.1)) == 2
    assert queue.calls == [(100, 0)]


class _ScriptedFeed:
    """A feed whose polls return the next of `batches` and record the top-up each was allowed."""

    def __init__(self, batches: list[int], worker: list[BatchWorker]) -> None:
        self.batches, self.top_ups, self._worker = batches, [], worker  # type: ignore[var-annotated]

    def poll(self, max_records: int, timeout_s: float, top_up_s: float = 0.0) -> list[Any]:
        self.top_ups.append(top_up_s)
        if not self.batches:
            self._worker[0].stop()
            return []
        return [_Record(10)] * self.batches.pop(0)

    def produce(self, _: Any) -> None: ...
    def mark_done(self, _: Any) -> None: ...
    def take_done(self) -> dict[Any, int]:
        return {}

    def commit_offsets(self, *_: Any) -> int:
        return 0

    def close(self, *_: Any) -> None: ...


def test_only_a_poll_after_a_large_batch_may_wait_to_top_it_up() -> None:
    holder: list[BatchWorker] = []
    feed = _ScriptedFeed([2, 300, 3], holder)
    worker = BatchWorker(feed, {}, "", 1000, 60.0, batch_max_bytes=100_000)  # type: ignore[arg-type]
    holder.append(worker)
    worker._apply = _no_apply  # type: ignore[method-assign]

    asyncio.run(worker.run())

    # quiet start; 2 of 50 is a small batch; 300 of 1000 is load; 3 is quiet again
    assert feed.top_ups == [0.0, 0.0, TOP_UP_S, 0.0]


async def _no_apply(_: Any) -> None: ...


def test_a_poll_of_a_quiet_feed_waits_for_the_first_record_then_takes_what_came_with_it() -> None:
    queue = _Queue(ready=[], later=["a", "b", "c"])
    feed = BatchFeed(queue, _Producer(), "")  # type: ignore[arg-type]

    assert len(feed.poll(100, 0.1)) == 3
    assert queue.calls == [(100, 0), (1, 0.1), (99, 0)]  # no top-up: latency first when quiet
