"""The API's event publisher on the embedded broker: an awaited publish is on the topic, in Confluent
Avro that the worker's own decoder reads back, keyed as the contract says; a broker that does not
answer fails the publish within its bound. About 3 s with the broker already started."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import uuid4

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from core.publishing import PublishFailed
from omnistock.kafka_admin import create_topics
from streams.event_publisher import KafkaEventPublisher
from topics.catalog import FULFILLMENT_UPDATES, STOCK_COUNTS
from topics.codec import AvroCodec
from topics.decoding import validate_value
from topics.events import INPUT_MODELS
from topics.order_mappers import fulfillment_change
from topics.registry import LocalSchemaList

pytestmark = pytest.mark.broker
T0_MS = 1_796_000_000_000


def _read_back(bootstrap: str, topic: str, timeout_s: float = 15.0) -> tuple[bytes | None, bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"it-{uuid4().hex}"})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                return message.key(), message.value() or b""
    finally:
        consumer.close()
    raise AssertionError(f"nothing on {topic} within {timeout_s} s")


def _publish(publisher: KafkaEventPublisher, topic: str, key: str, record: dict[str, Any]) -> None:
    try:
        asyncio.run(publisher.publish(topic, key, record))
    finally:
        publisher.close()


def test_a_published_store_action_is_read_back_by_the_workers_decoder(broker_bootstrap: str) -> None:
    prefix = f"it-{uuid4().hex}."
    create_topics(broker_bootstrap, [prefix + FULFILLMENT_UPDATES], partitions=1)
    codec = AvroCodec(LocalSchemaList())
    publisher = KafkaEventPublisher({"bootstrap.servers": broker_bootstrap}, codec, prefix)
    record = {
        "event_id": "store:O-1-1:REJECTED:l2",
        "occurred_at": T0_MS,
        "order_id": "O-1",
        "shipment_id": "O-1-1",
        "location_id": "S-1",
        "status": "REJECTED",
        "lines": [{"line_id": "l2", "sku": "SKU-2", "quantity": 1}],
        "reason": "NOT_FOUND",
        "tracking_number": None,
    }

    _publish(publisher, FULFILLMENT_UPDATES, "O-1", record)

    key, value = _read_back(broker_bootstrap, prefix + FULFILLMENT_UPDATES)
    assert key == b"O-1"
    assert value[0] == 0  # Confluent framing, not the JSON fallback
    model = INPUT_MODELS[FULFILLMENT_UPDATES]
    change = fulfillment_change(validate_value(codec, model, FULFILLMENT_UPDATES, value))  # type: ignore[arg-type]
    assert (change.event_id, change.shipment_id, change.location_id) == (
        "store:O-1-1:REJECTED:l2",
        "O-1-1",
        "S-1",
    )
    assert change.status.value == "REJECTED"
    assert change.reason == "NOT_FOUND"
    assert change.lines is not None
    assert [(line.line_id, line.sku, line.quantity) for line in change.lines] == [("l2", "SKU-2", 1)]
    assert change.occurred_at_ms == T0_MS


def test_a_published_count_is_a_stock_count_keyed_by_its_location(broker_bootstrap: str) -> None:
    prefix = f"it-{uuid4().hex}."
    create_topics(broker_bootstrap, [prefix + STOCK_COUNTS], partitions=1)
    codec = AvroCodec(LocalSchemaList())
    publisher = KafkaEventPublisher({"bootstrap.servers": broker_bootstrap}, codec, prefix)
    record = {
        "event_id": "count:S-1:c1",
        "occurred_at": T0_MS,
        "location_id": "S-1",
        "lines": [{"sku": "A", "on_hand": 4}],
    }

    _publish(publisher, STOCK_COUNTS, "S-1", record)

    key, value = _read_back(broker_bootstrap, prefix + STOCK_COUNTS)
    assert key == b"S-1"
    count = validate_value(codec, INPUT_MODELS[STOCK_COUNTS], STOCK_COUNTS, value)
    assert count.model_dump(include={"event_id", "location_id"}) == {
        "event_id": "count:S-1:c1",
        "location_id": "S-1",
    }


def test_a_broker_that_does_not_answer_fails_the_publish_within_its_bound() -> None:
    publisher = KafkaEventPublisher(
        {"bootstrap.servers": "127.0.0.1:1"}, AvroCodec(LocalSchemaList()), timeout_s=0.5
    )
    record = {
        "event_id": "count:S-1:c1",
        "occurred_at": T0_MS,
        "location_id": "S-1",
        "lines": [{"sku": "A", "on_hand": 4}],
    }
    started = time.monotonic()

    with pytest.raises(PublishFailed):
        _publish(publisher, STOCK_COUNTS, "S-1", record)

    assert time.monotonic() - started < 3.0


def test_an_event_for_a_topic_no_worker_has_created_fails_and_creates_no_topic(broker_bootstrap: str) -> None:
    prefix = f"it-{uuid4().hex}."
    publisher = KafkaEventPublisher(
        {"bootstrap.servers": broker_bootstrap}, AvroCodec(LocalSchemaList()), prefix, timeout_s=1.0
    )
    record = {
        "event_id": "count:S-1:early",
        "occurred_at": T0_MS,
        "location_id": "S-1",
        "lines": [{"sku": "A", "on_hand": 4}],
    }
    with pytest.raises(PublishFailed):
        _publish(publisher, STOCK_COUNTS, "S-1", record)

    topics = AdminClient({"bootstrap.servers": broker_bootstrap}).list_topics(timeout=5).topics
    assert prefix + STOCK_COUNTS not in topics
