"""Produces a stream at a steady rate, runs the scenario's fault at a point of it, and keeps each
partition's end (the last offset the broker acknowledged + 1): Tansu's ListOffsets(LATEST) is wrong."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import orjson
from confluent_kafka import KafkaError, Message, Producer

from tests.support.load import Sent

Ends = dict[tuple[str, int], int]  # (full topic name, partition) -> offset after the last record


@dataclass
class Delivery:
    ends: Ends = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self.failed.append(str(error))
            return
        place = (message.topic(), message.partition())
        self.ends[place] = max(self.ends.get(place, 0), message.offset() + 1)


@dataclass
class SendReport:
    sent: int
    seconds: float
    ends: Ends
    fault_threads: list[threading.Thread]


def fast_producer(bootstrap: str, max_bytes: int = 1_000_000) -> Producer:
    """Batches of a few ms (Tansu's memory storage lists every batch object of a partition per fetch)."""
    config = {"bootstrap.servers": bootstrap, "linger.ms": 20, "message.max.bytes": max_bytes + 4096}
    return Producer(config)


def send_stream(
    producer: Producer,
    topic_prefix: str,
    stream: Sequence[Sent],
    rate_per_s: float,
    faults: dict[int, Callable[[], None]] | None = None,
) -> SendReport:
    """Produce `stream` at `rate_per_s`; `faults[i]` starts in a thread just before record i is sent
    (the stream goes on while it runs). Every record must be acknowledged."""
    delivery, threads = Delivery(), []
    pending = dict(faults or {})
    started = time.monotonic()
    for index, record in enumerate(stream):
        if index in pending:
            threads.append(threading.Thread(target=pending.pop(index), daemon=True))
            threads[-1].start()
        value = orjson.dumps(record.value)
        producer.produce(topic_prefix + record.topic, value, record.key.encode(), on_delivery=delivery)
        producer.poll(0)
        ahead = started + (index + 1) / rate_per_s - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    assert producer.flush(60) == 0, "records still unacknowledged after 60 s"
    assert delivery.failed == [], f"{len(delivery.failed)} records refused: {delivery.failed[:3]}"
    return SendReport(len(stream), time.monotonic() - started, delivery.ends, threads)


def send_raw(producer: Producer, topic: str, key: str, value: bytes, ends: Ends) -> tuple[int, int]:
    """One record as bytes (a poison record): its (partition, offset); its partition's end goes in `ends`."""
    placed: list[tuple[int, int]] = []
    delivery = Delivery(ends)

    def delivered(error: KafkaError | None, message: Message) -> None:
        delivery(error, message)
        placed.append((message.partition(), message.offset()))

    producer.produce(topic, value, key.encode(), on_delivery=delivered)
    assert producer.flush(30) == 0, f"the record for {topic} was not acknowledged"
    assert delivery.failed == [], delivery.failed
    return placed[0]
