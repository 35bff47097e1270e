"""`omnistock produce TOPIC FILE|-`: JSON lines to a topic, keyed as the contract says.

Each line is checked against the topic's event model (the one the worker validates with) before
anything is sent: a line the worker would send to the DLQ is refused here, with its number and field,
and nothing of the file goes out. A missing file or a broker that does not answer is one line.
"""

from __future__ import annotations

import sys
from typing import IO

import orjson
from confluent_kafka import KafkaException, Producer
from pydantic import ValidationError

from omnistock.settings import Settings
from omnistock.stream_options import kafka_options
from streams.kafka_config import producer_config
from topics.catalog import INPUT_TOPICS, full_name
from topics.decoding import validation_reason
from topics.event_fields import Event
from topics.events import INPUT_MODELS

BROKER_TIMEOUT_S = 5.0


def _read_lines(
    stream: IO[bytes], key_field: str, model: type[Event] | None = None, topic: str = ""
) -> tuple[list[tuple[bytes | None, bytes]], list[str]]:
    """The records to send, and one error per line that is not a valid event of `model`."""
    records, errors = [], []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            errors.append(f"line {number}: not JSON ({error})")
            continue
        if not isinstance(event, dict):
            errors.append(f"line {number}: a JSON object is expected")
            continue
        if model is not None:
            try:
                model.model_validate_json(line)  # as the worker validates JSON
            except ValidationError as error:
                errors.append(f"line {number}: {validation_reason(topic, error)}")
                continue
        key = event.get(key_field)
        records.append((str(key).encode() if key is not None else None, line.strip()))
    return records, errors


def broker_answers(producer: Producer, timeout_s: float) -> bool:
    """Whether the broker answers a metadata request within `timeout_s` (librdkafka retries forever)."""
    try:
        producer.list_topics(timeout=timeout_s)
    except KafkaException:
        return False
    return True


def produce_file(settings: Settings, topic: str, path: str) -> int:
    specs = {spec.name: spec for spec in INPUT_TOPICS}
    if topic not in specs:
        print(f"unknown input topic {topic!r}; one of: {', '.join(sorted(specs))}", file=sys.stderr)
        return 2
    try:
        with open(path, "rb") if path != "-" else sys.stdin.buffer as stream:  # noqa: SIM115
            records, errors = _read_lines(stream, specs[topic].key_field, INPUT_MODELS[topic], topic)
    except OSError as error:
        print(f"cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    if errors:
        print("nothing produced; fix these lines first:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    producer = Producer({**producer_config(kafka_options(settings)), "log_level": 0})
    if not broker_answers(producer, BROKER_TIMEOUT_S):
        message = f"no broker answered at OMNISTOCK_BROKER={settings.broker} within {BROKER_TIMEOUT_S:g} s"
        print(message + "; nothing produced", file=sys.stderr)
        return 1
    name = full_name(settings.topic_prefix, topic)
    for key, value in records:
        producer.produce(name, value, key)
    undelivered = producer.flush(30)
    print(f"produced {len(records) - undelivered} records to {name}")
    return 1 if undelivered else 0
