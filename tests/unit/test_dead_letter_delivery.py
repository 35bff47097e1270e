"""A dead letter the producer refuses never stops the worker; any other output refused still does."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from prometheus_client import CollectorRegistry, Counter

from streams.feed import BatchFeed, DeliveryFailed
from streams.records import OutRecord


class _Producer:
    """Refuses, as librdkafka does, a record above its message.max.bytes; fails deliveries on demand."""

    def __init__(self, max_bytes: int = 1000, fail_delivery_of: str = "") -> None:
        self.max_bytes, self.fail_delivery_of = max_bytes, fail_delivery_of
        self.sent: list[str] = []
        self.callbacks: list[Any] = []

    def produce(self, topic: str, value: bytes, key: bytes | None, headers: Any, on_delivery: Any) -> None:
        if len(value) > self.max_bytes:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        self.sent.append(topic)
        if topic == self.fail_delivery_of:
            self.callbacks.append(lambda: on_delivery(KafkaError(KafkaError._MSG_TIMED_OUT), _Message(topic)))

    def poll(self, _: float) -> int:
        for callback in self.callbacks:
            callback()
        self.callbacks.clear()
        return 0

    def flush(self, _: float) -> int:
        self.poll(0)
        return 0


class _Message:
    def __init__(self, topic: str) -> None:
        self._topic = topic

    def topic(self) -> str:
        return self._topic


class _Consumer:
    def __init__(self) -> None:
        self.committed: list[Any] = []

    def commit(self, offsets: Any, asynchronous: bool) -> None:
        self.committed += offsets


def feed(producer: _Producer) -> tuple[BatchFeed, Counter, _Consumer]:
    counter = Counter("omnistock_dlq_produce_failures_total", "x", registry=CollectorRegistry())
    consumer = _Consumer()
    return BatchFeed(consumer, producer, "p.", counter), counter, consumer  # type: ignore[arg-type]


def test_a_dead_letter_too_large_for_the_producer_is_counted_and_the_batch_goes_on() -> None:
    producer = _Producer()
    batch_feed, lost, consumer = feed(producer)
    batch_feed.produce(
        [OutRecord("pos.sales.v1.dlq", b"k", b"x" * 2000), OutRecord("availability.changes.v1", b"k", b"v")]
    )
    batch_feed._done[("p.pos.sales.v1", 0)] = 7
    assert batch_feed.commit() == 1
    assert producer.sent == ["p.availability.changes.v1"]
    assert lost._value.get() == 1
    assert len(consumer.committed) == 1


def test_a_dead_letter_whose_delivery_fails_does_not_stop_the_commit() -> None:
    batch_feed, lost, _ = feed(_Producer(fail_delivery_of="p.pos.sales.v1.dlq"))
    batch_feed.produce([OutRecord("pos.sales.v1.dlq", b"k", b"bad")])
    batch_feed._done[("p.pos.sales.v1", 0)] = 7
    assert batch_feed.commit() == 1
    assert lost._value.get() == 1


def test_any_other_output_the_producer_refuses_stops_before_the_commit() -> None:
    batch_feed, _, consumer = feed(_Producer())
    with pytest.raises(DeliveryFailed):
        batch_feed.produce([OutRecord("availability.changes.v1", b"k", b"x" * 2000)])
    assert consumer.committed == []


def test_any_other_output_whose_delivery_fails_stops_before_the_commit() -> None:
    batch_feed, _, consumer = feed(_Producer(fail_delivery_of="p.availability.changes.v1"))
    batch_feed.produce([OutRecord("availability.changes.v1", b"k", b"v")])
    batch_feed._done[("p.pos.sales.v1", 0)] = 7
    with pytest.raises(DeliveryFailed):
        batch_feed.commit()
    assert consumer.committed == []
