"""`omnistock produce TOPIC FILE|-`: JSON lines to a topic, keyed as the contract says."""

from __future__ import annotations

import sys
from typing import IO

import orjson
from confluent_kafka import Producer

from omnistock.settings import Settings
from omnistock.stream_options import kafka_options
from streams.kafka_config import producer_config
from topics.catalog import INPUT_TOPICS, full_name


def _read_lines(stream: IO[bytes], key_field: str) -> tuple[list[tuple[bytes | None, bytes]], list[str]]:
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
        key = event.get(key_field)
        records.append((str(key).encode() if key is not None else None, line.strip()))
    return records, errors


def produce_file(settings: Settings, topic: str, path: str) -> int:
    specs = {spec.name: spec for spec in INPUT_TOPICS}
    if topic not in specs:
        print(f"unknown input topic {topic!r}; one of: {', '.join(sorted(specs))}", file=sys.stderr)
        return 2
    with open(path, "rb") if path != "-" else sys.stdin.buffer as stream:  # noqa: SIM115
        records, errors = _read_lines(stream, specs[topic].key_field)
    if errors:
        print("nothing produced; fix these lines first:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    producer = Producer(producer_config(kafka_options(settings)))
    name = full_name(settings.topic_prefix, topic)
    for key, value in records:
        producer.produce(name, value, key)
    undelivered = producer.flush(30)
    print(f"produced {len(records) - undelivered} records to {name}")
    return 1 if undelivered else 0
