"""Dead letters: the original bytes and headers of a bad record, with headers naming the reason.

`omnistock.error` reads "<reason>: <detail>" and `omnistock.error.reason` is the reason alone (one of
REASONS, snake_case), for tools and the per-reason metric. A value (or key) above the bound is cut to
it, with headers giving the original size and sha256, so a copy never exceeds what the producer
may send (`message.max.bytes`): a dead letter never stops its partition.
"""

from __future__ import annotations

import hashlib

from streams.records import ConsumedRecord, Headers, OutRecord
from topics.catalog import dlq_name

INVALID_EVENT = "invalid_event"  # not decodable, or failed validation
STORE_REFUSED = "store_refused"  # the store's script refused its input
UNKNOWN_LOCATION = "unknown_location"  # a location not in the network file
FROM_THE_FUTURE = "from_the_future"  # occurred_at further ahead of the worker's clock than the skew allowed
TOO_OLD_TO_DEDUPE = "too_old_to_dedupe"  # older than the dedupe window: cannot be proven new
TOO_LATE = "too_late"  # older than the window of deltas kept for counts
UNPROCESSABLE = "unprocessable"  # failed its batch with an unexpected error, isolated to this record
REASONS = (
    INVALID_EVENT,
    STORE_REFUSED,
    UNKNOWN_LOCATION,
    FROM_THE_FUTURE,
    TOO_OLD_TO_DEDUPE,
    TOO_LATE,
    UNPROCESSABLE,
)
REASON_HEADER = "omnistock.error.reason"
SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET = (
    "omnistock.source.topic",
    "omnistock.source.partition",
    "omnistock.source.offset",
)
MAX_VALUE_BYTES = 512_000  # below librdkafka's message.max.bytes (1,000,000) with room for headers
MAX_KEY_BYTES = 4_096


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def dead_letter(
    topic: str, record: ConsumedRecord, reason: str, detail: str = "", max_bytes: int = MAX_VALUE_BYTES
) -> OutRecord:
    """A DLQ record for `record` of base topic `topic`: value, key and headers kept as they came (a
    value above `max_bytes` or a key above MAX_KEY_BYTES cut, and said so)."""
    original = record.headers() or []
    pairs = original.items() if isinstance(original, dict) else original
    headers: Headers = [(name, _as_bytes(value) or b"") for name, value in pairs]
    value = _as_bytes(record.value()) or b""
    key = _as_bytes(record.key())
    if len(value) > max_bytes:
        value = _cut(value, max_bytes, "value", headers)
    if key is not None and len(key) > MAX_KEY_BYTES:
        key = _cut(key, MAX_KEY_BYTES, "key", headers)
    headers += [
        ("omnistock.error", f"{reason}: {detail}".encode() if detail else reason.encode()),
        (SOURCE_TOPIC, (record.topic() or topic).encode()),
        (SOURCE_PARTITION, str(record.partition()).encode()),
        (SOURCE_OFFSET, str(record.offset()).encode()),
        (REASON_HEADER, reason.encode()),
    ]
    return OutRecord(dlq_name(topic), key, value, headers)


def _cut(data: bytes, limit: int, what: str, headers: Headers) -> bytes:
    headers += [
        (f"omnistock.truncated.{what}", b"true"),
        (f"omnistock.original.{what}.size", str(len(data)).encode()),
        (f"omnistock.original.{what}.sha256", hashlib.sha256(data).hexdigest().encode()),
    ]
    return data[:limit]


def reason_of(out: OutRecord) -> str:
    """The reason of a dead letter made here ("" for another record)."""
    for name, value in reversed(out.headers or []):
        if name == REASON_HEADER:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


def source_of(headers: dict[str, str | bytes | None] | Headers | None) -> tuple[str, int, int] | None:
    """The (topic, partition, offset) a dead letter came from, None when its headers do not say; the
    last of each header counts (a replayed dead letter that failed again carries two)."""
    values = dict(headers) if isinstance(headers, dict) else dict(headers or [])
    try:
        topic, partition, offset = (
            _as_bytes(values[h]) or b"" for h in (SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET)
        )
        return topic.decode(), int(partition), int(offset)
    except (KeyError, ValueError, UnicodeDecodeError):
        return None
