"""Consumer lag per partition: the cached high watermark less what the worker has done, read at
scrape time; a closed consumer gives no series rather than an error."""

from __future__ import annotations

from typing import Any

from confluent_kafka import TopicPartition
from prometheus_client import CollectorRegistry

from streams.feed import BatchFeed
from streams.metrics import WorkerMetrics

PREFIX = "shop."


class _Consumer:
    def __init__(self, watermarks: dict[int, tuple[int, int]]) -> None:
        self.watermarks = watermarks
        self.closed = False

    def assignment(self) -> list[TopicPartition]:
        if self.closed:
            raise RuntimeError("Consumer closed")
        return [TopicPartition(PREFIX + "pos.sales.v1", p) for p in self.watermarks]

    def get_watermark_offsets(self, partition: TopicPartition, cached: bool = False) -> tuple[int, int]:
        assert cached, "lag must not cost a broker round trip"
        return self.watermarks[partition.partition]


class _Record:
    def __init__(self, partition: int, offset: int) -> None:
        self._partition, self._offset = partition, offset

    def topic(self) -> str:
        return PREFIX + "pos.sales.v1"

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset


def _feed(consumer: Any) -> BatchFeed:
    return BatchFeed(consumer, producer=None, topic_prefix=PREFIX)  # type: ignore[arg-type]


def test_lag_is_the_high_watermark_less_the_next_offset_done() -> None:
    consumer = _Consumer({0: (0, 100), 1: (10, 50)})
    feed = _feed(consumer)
    feed.mark_done([_Record(0, 59)])  # done up to offset 59 -> next is 60
    assert feed.lag() == {("pos.sales.v1", 0): 40, ("pos.sales.v1", 1): 40}  # 1: nothing done, from low 10


def test_a_partition_without_a_fetch_answer_yet_has_no_lag_series() -> None:
    feed = _feed(_Consumer({0: (-1001, -1001), 1: (0, 0)}))
    assert feed.lag() == {("pos.sales.v1", 1): 0}


def test_the_lag_metric_has_one_series_per_held_partition() -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics.create(registry)
    consumer = _Consumer({0: (0, 7), 3: (0, 0)})
    metrics.lag.watch(_feed(consumer).lag)
    lag = "omnistock_consumer_lag_records"
    assert registry.get_sample_value(lag, {"topic": "pos.sales.v1", "partition": "0"}) == 7
    assert registry.get_sample_value(lag, {"topic": "pos.sales.v1", "partition": "3"}) == 0

    consumer.closed = True
    assert registry.get_sample_value(lag, {"topic": "pos.sales.v1", "partition": "0"}) is None
