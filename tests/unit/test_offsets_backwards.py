"""Offsets that go backwards on a partition (a broker that lost its log) are logged as errors and
counted, and consuming goes on from there; records of a partition revoked mid-poll are left to the
new owner."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from streams.feed import BatchFeed
from streams.metrics import WorkerMetrics
from streams.offset_watch import OffsetWatch

TOPIC = "shop.pos.sales.v1"


class _Message:
    def __init__(self, partition: int, offset: int, error: KafkaError | None = None) -> None:
        self._partition, self._offset, self._error = partition, offset, error

    def topic(self) -> str:
        return TOPIC

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def error(self) -> KafkaError | None:
        return self._error


class _Consumer:
    """Each consume() call gives the next scripted list; a callable in the script runs instead."""

    def __init__(self, script: list[Any]) -> None:
        self.script, self.commits = script, []  # type: ignore[var-annotated]
        self.refuse = False  # commits refused: this member is no longer in the group
        self.group: dict[tuple[str, int], int] = {}  # offsets the group holds from before

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [
            TopicPartition(p.topic, p.partition, self.group.get((p.topic, p.partition), -1001))
            for p in partitions
        ]

    def subscribe(self, topics: list[str], on_assign: Any, on_revoke: Any) -> None:
        self.on_assign, self.on_revoke = on_assign, on_revoke

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        step = self.script.pop(0) if self.script else []
        return step(self) if callable(step) else step

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        if self.refuse:
            raise KafkaException(KafkaError(KafkaError.UNKNOWN_MEMBER_ID))
        self.commits += [(tp.topic, tp.partition, tp.offset) for tp in offsets]


class _Producer:
    def flush(self, _: float) -> int:
        return 0


def _feed(script: list[Any]) -> tuple[BatchFeed, _Consumer, WorkerMetrics]:
    metrics = WorkerMetrics.create(CollectorRegistry())
    consumer = _Consumer(script)
    feed = BatchFeed(consumer, _Producer(), "shop.", offsets=OffsetWatch(metrics.offsets_reset, "shop."))  # type: ignore[arg-type]
    feed.subscribe([TOPIC])
    return feed, consumer, metrics


def _resets(metrics: WorkerMetrics) -> float:
    return metrics.offsets_reset.labels("pos.sales.v1")._value.get()


def _run(feed: BatchFeed, polls: int) -> None:
    for _ in range(polls):
        feed.mark_done(feed.poll(100, 0.0))


def test_offsets_that_go_backwards_are_logged_counted_and_consumed_from_the_reset_position(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = [_Message(0, n) for n in range(100)]
    after = [_Message(0, n) for n in range(10)]  # the broker lost its log: it starts again at 0
    feed, consumer, metrics = _feed([before, [], after, []])

    with caplog.at_level(logging.ERROR, logger="omnistock.feed"):
        _run(feed, 2)

    (error,) = [r for r in caplog.records if r.getMessage() == "offsets_went_backwards"]
    assert (error.topic, error.partition, error.expected, error.got) == (TOPIC, 0, 100, 9)  # type: ignore[attr-defined]
    assert _resets(metrics) == 1
    feed.commit()
    assert consumer.commits == [(TOPIC, 0, 10)]  # it goes on from where the broker's log is now


def test_offsets_moving_forward_on_every_partition_count_nothing() -> None:
    batches = [[_Message(p, n) for p in (0, 1) for n in range(k * 10, k * 10 + 10)] for k in range(3)]
    feed, _, metrics = _feed([step for batch in batches for step in (batch, [])])

    _run(feed, 3)

    assert _resets(metrics) == 0


def _reassigned_from(offset: int) -> Any:
    def reassigned(consumer: _Consumer) -> list[Any]:
        consumer.on_revoke(consumer, [TopicPartition(TOPIC, 0)])
        consumer.on_assign(consumer, [TopicPartition(TOPIC, 0)])
        return [_Message(0, n) for n in range(offset, offset + 10)]

    return reassigned


def test_after_a_rebalance_a_partition_may_start_again_where_the_group_committed() -> None:
    first, second = [_Message(0, n) for n in range(40)], [_Message(0, n) for n in range(40, 100)]
    feed, consumer, metrics = _feed([first, [], second, [], _reassigned_from(40), []])
    _run(feed, 1)
    feed.commit()  # 40 committed
    _run(feed, 1)
    consumer.refuse = True  # 100 consumed, never committed: the group moved on first

    _run(feed, 1)

    assert _resets(metrics) == 0


def test_a_partition_given_back_below_what_this_worker_committed_went_backwards() -> None:
    # A broker that lost its log loses the group too: the worker is assigned its partitions again, at 0.
    feed, _, metrics = _feed([[_Message(0, n) for n in range(100)], [], _reassigned_from(0), []])
    _run(feed, 1)
    feed.commit()

    _run(feed, 1)

    assert _resets(metrics) == 1


def test_an_offset_out_of_range_reported_by_the_consumer_is_logged_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out_of_range = _Message(0, -1001, KafkaError(KafkaError._AUTO_OFFSET_RESET, "offset reset"))
    feed, _, metrics = _feed([[out_of_range], []])

    with caplog.at_level(logging.ERROR, logger="omnistock.feed"):
        assert feed.poll(100, 0.0) == []

    assert [r.getMessage() for r in caplog.records] == ["offsets_reset_by_broker"]
    assert _resets(metrics) == 1


def test_records_of_a_partition_revoked_during_the_poll_are_left_to_its_new_owner() -> None:
    def revoked(consumer: _Consumer) -> list[Any]:
        consumer.on_revoke(consumer, [TopicPartition(TOPIC, 0)])
        return []

    in_hand = [_Message(p, n) for p in (0, 1) for n in range(5)]
    feed, consumer, _ = _feed([in_hand, revoked])

    kept = feed.poll(100, 0.0, top_up_s=0.005)  # the top-up's consume runs the revoke

    assert {(m.partition(), m.offset()) for m in kept} == {(1, n) for n in range(5)}
    feed.mark_done(kept)
    feed.commit()
    assert consumer.commits == [(TOPIC, 1, 5)]


def test_a_worker_started_where_the_group_committed_beyond_the_log_end_sees_the_reset() -> None:
    # The group's offset is 1000, the log holds 10 records: librdkafka starts again at 0, silently.
    feed, consumer, metrics = _feed([[], _reassigned_from(0), []])
    consumer.group[(TOPIC, 0)] = 1000

    _run(feed, 1)

    assert _resets(metrics) == 1


def test_records_of_a_partition_given_back_in_the_same_poll_are_applied() -> None:
    feed, _, _ = _feed([[], _reassigned_from(0), []])

    kept = feed.poll(100, 0.0)

    assert [m.offset() for m in kept] == list(range(10))


class _SlowCommits(_Consumer):
    """The first commit takes 0.2 s before the group holds it, the others none."""

    def __init__(self) -> None:
        super().__init__([])
        self.delays = [0.2]

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        time.sleep(self.delays.pop(0) if self.delays else 0.0)
        super().commit(offsets, asynchronous)


def test_a_revoke_commit_waits_for_the_background_commit_so_the_group_never_goes_back() -> None:
    consumer = _SlowCommits()
    feed = BatchFeed(consumer, _Producer(), "")  # type: ignore[arg-type]
    feed.subscribe([TOPIC])
    feed.mark_done([_Message(0, 99)])
    background = threading.Thread(target=feed.commit_offsets, args=(feed.take_done(),))
    background.start()  # the worker's commit of offset 100, under way
    time.sleep(0.05)
    feed.mark_done([_Message(0, 149)])

    consumer.on_revoke(consumer, [TopicPartition(TOPIC, 0)])  # commits 150
    background.join()

    assert consumer.commits == [(TOPIC, 0, 100), (TOPIC, 0, 150)]
