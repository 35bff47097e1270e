"""Dead letters: the original bytes and headers of a bad record, with headers naming the error."""

from __future__ import annotations

from streams.records import ConsumedRecord, Headers, OutRecord
from topics.catalog import dlq_name


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def dead_letter(topic: str, record: ConsumedRecord, reason: str) -> OutRecord:
    """A DLQ record for `record` of base topic `topic`: value, key and headers kept as they came."""
    original = record.headers() or []
    pairs = original.items() if isinstance(original, dict) else original
    headers: Headers = [(name, _as_bytes(value) or b"") for name, value in pairs]
    headers += [
        ("omnistock.error", reason.encode()),
        ("omnistock.source.topic", (record.topic() or topic).encode()),
        ("omnistock.source.partition", str(record.partition()).encode()),
        ("omnistock.source.offset", str(record.offset()).encode()),
    ]
    return OutRecord(dlq_name(topic), _as_bytes(record.key()), _as_bytes(record.value()) or b"", headers)
