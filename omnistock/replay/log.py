"""The event log `omnistock replay` runs: JSON lines from a file or stdin, or the input topics from the start.

File format, one record per line (blank lines skipped):
    {"topic": "orders.v1", "key": "O-1", "value": {"event_id": "...", "occurred_at": "...", ...}}
`topic` is a base input topic name (no prefix); `value` is the event as the contract writes it in JSON;
`key` is optional (default: the topic's key field of the value, as `omnistock produce` keys it).
Records are replayed in file order; `occurred_at` (ISO-8601 with offset, or epoch ms) drives the
replay clock, which never goes back.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

import orjson

from topics.catalog import INPUT_TOPICS, full_name
from topics.codec import AvroCodec
from topics.event_fields import epoch_ms

if TYPE_CHECKING:
    from confluent_kafka import Message

KEY_FIELDS = {spec.name: spec.key_field for spec in INPUT_TOPICS}


class LogRecord:
    """One recorded event, shaped as a consumed record (streams.records.ConsumedRecord) for the pipelines."""

    __slots__ = ("_key", "_offset", "_partition", "_topic", "_value", "at_ms", "stamp_ms")

    def __init__(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        at_ms: int | None,
        offset: int,
        partition: int = 0,
        stamp_ms: int | None = None,
    ) -> None:
        """`at_ms` is the event's occurred_at (else the broker's timestamp); `stamp_ms` the broker's."""
        self._topic, self._key, self._value, self._offset, self.at_ms = topic, key, value, offset, at_ms
        self._partition, self.stamp_ms = partition, stamp_ms

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes:
        return self._value

    def headers(self) -> list[tuple[str, str | bytes | None]]:
        return []

    def with_value(self, value: bytes) -> LogRecord:
        return LogRecord(
            self._topic, self._key, value, self.at_ms, self._offset, self._partition, self.stamp_ms
        )


def occurred_ms(event: dict[str, Any]) -> int | None:
    """The event's occurred_at as epoch ms, None when absent or unreadable (the pipeline will say why)."""
    try:
        value = epoch_ms(event.get("occurred_at"))
    except ValueError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_log(stream: IO[bytes]) -> tuple[list[LogRecord], list[str]]:
    """The records, and one message per line that is not a replayable record (nothing is replayed then)."""
    records: list[LogRecord] = []
    errors: list[str] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            errors.append(f"line {number}: not JSON ({error})")
            continue
        problem = _problem(item)
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        topic, value = item["topic"], item["value"]
        key = item.get("key", value.get(KEY_FIELDS[topic]))
        raw_key = str(key).encode() if key is not None else None
        records.append(LogRecord(topic, raw_key, orjson.dumps(value), occurred_ms(value), number))
    return records, errors


def _problem(item: object) -> str | None:
    if not isinstance(item, dict):
        return 'expected {"topic": ..., "key": ..., "value": {...}}'
    if item.get("topic") not in KEY_FIELDS:
        return f"unknown input topic {item.get('topic')!r}; one of: {', '.join(sorted(KEY_FIELDS))}"
    if not isinstance(item.get("value"), dict):
        return "`value` must be a JSON object (the event)"
    return None


def read_log_file(path: str) -> tuple[list[LogRecord], list[str]]:
    """`path`, or standard input for `-`."""
    if path == "-":
        return read_log(sys.stdin.buffer)
    with open(path, "rb") as stream:
        return read_log(stream)


def read_topics(
    config: dict[str, Any],
    prefix: str,
    codec: AvroCodec,
    topics: Sequence[str],
    timeout_s: float = 10.0,
    until: Mapping[tuple[str, int], int] | None = None,
    start: Mapping[tuple[str, int], int] | None = None,
) -> list[LogRecord]:
    """Every record of the input topics from the earliest offset up to the end as it stands now, merged
    across topics and partitions by record timestamp (each partition keeps its order).

    With `until` ((full topic name, partition) -> offset, e.g. a group's committed offsets), each
    partition is read up to that offset only, and a partition absent from it not at all; `start`
    moves a partition's first offset (`omnistock rebuild` reads what a group has committed)."""
    names = {full_name(prefix, topic): topic for topic in topics}
    found: list[tuple[int, int, LogRecord]] = []
    for message in read_messages(config, list(names), timeout_s, until, start):
        value = message.value() or b""
        stamp = message.timestamp()[1]
        at = _at(codec, value) or stamp
        name, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
        record = LogRecord(names[name], message.key(), value, at, offset, partition, stamp)
        found.append((stamp, len(found), record))
    return [record for _, _, record in sorted(found, key=lambda item: (item[0], item[1]))]


def read_messages(
    config: dict[str, Any],
    names: Sequence[str],
    timeout_s: float = 10.0,
    until: Mapping[tuple[str, int], int] | None = None,
    start: Mapping[tuple[str, int], int] | None = None,
) -> Iterator[Message]:
    """The records of the topics `names` (full names), each partition from its start (or `start`) to
    its end as it stands now (or `until`), in the order fetched.

    A partition's end is where its fetch reports end of partition, not what ListOffsets answers: the
    embedded broker answers the base offset of the last batch plus one, which leaves out every record
    of that batch but its first."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    consumer = Consumer({
        **config, "enable.auto.commit": False, "auto.offset.reset": "earliest", "enable.partition.eof": True,
    })  # fmt: skip
    try:
        metadata = consumer.list_topics(timeout=timeout_s).topics
        present = sorted(set(names) & set(metadata))
        reading = {(name, p) for name in present for p in metadata[name].partitions}
        first = dict.fromkeys(reading, OFFSET_BEGINNING) | dict(start or {})
        if until is not None:
            reading = {tp for tp in reading if until.get(tp, 0) > max(first[tp], 0)}
        if not reading:
            return
        consumer.assign([TopicPartition(name, p, first[(name, p)]) for name, p in sorted(reading)])
        while reading:
            message = consumer.poll(timeout_s)
            if message is None:
                break  # the broker went quiet: replay what was read
            name, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    reading.discard((name, partition))
                continue
            if (name, partition) not in reading:
                continue  # written after the partition's end was reached: not part of this log
            if until is not None and offset >= until[(name, partition)]:
                reading.discard((name, partition))  # past the stop offset: the workers apply it
                continue
            yield message
    finally:
        consumer.close()


def _at(codec: AvroCodec, value: bytes) -> int | None:
    event = event_of(codec, value)
    return occurred_ms(event) if event is not None else None


def event_of(codec: AvroCodec, value: bytes) -> dict[str, Any] | None:
    """A JSON or Confluent Avro value as a dict; None when it is neither (the pipeline dead-letters it)."""
    try:
        return dict(codec.decode_value(value))
    except Exception:  # any undecodable value: the pipeline reports it on its DLQ
        return None
