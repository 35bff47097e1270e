"""The shape of a consumed record and of a record to produce, independent of the Kafka client."""

from __future__ import annotations

from typing import Protocol

from topics.records import Headers, OutRecord

__all__ = ["ConsumedRecord", "Headers", "OutRecord"]


class ConsumedRecord(Protocol):
    """What the pipeline reads of a consumed record (confluent_kafka.Message has these methods)."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]] | None: ...
