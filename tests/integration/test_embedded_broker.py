"""The embedded Tansu broker: starts, serves a produce and a consume, and stops without leaving a process."""

from __future__ import annotations

import os
import time
from pathlib import Path
from uuid import uuid4

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from omnistock.kafka_admin import create_topics
from omnistock.stack.embedded_broker import EmbeddedBroker

pytestmark = pytest.mark.broker


def _consume_one(bootstrap: str, topic: str, timeout_s: float = 30.0) -> tuple[bytes | None, bytes | None]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"it-{uuid4().hex}",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                return message.key(), message.value()
    finally:
        consumer.close()
    raise AssertionError(f"no message consumed from {topic} within {timeout_s}s")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_broker_serves_a_produce_and_a_consume_then_stops_its_process(tmp_path: Path) -> None:
    # No skip: a broker that cannot start fails this test with the reason and the log's tail.
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
    with broker:
        assert broker.process is not None
        pid = broker.process.pid
        topic = f"it-{uuid4().hex}"
        assert create_topics(broker.bootstrap, [topic], partitions=2) == [topic]
        assert create_topics(broker.bootstrap, [topic], partitions=2) == []  # existing topics are fine
        metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(topic, timeout=10)
        assert len(metadata.topics[topic].partitions) == 2
        producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": False})
        producer.produce(topic, b'{"hello": "tansu"}', b"ST-1")
        assert producer.flush(10) == 0
        assert _consume_one(broker.bootstrap, topic) == (b"ST-1", b'{"hello": "tansu"}')
    assert broker.process is None
    assert not _process_exists(pid)
