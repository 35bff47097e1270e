"""The shape of a consumed record and of a record to produce, independent of the Kafka client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

Headers = list[tuple[str, str | bytes | None]]


class ConsumedRecord(Protocol):
    """What the pipeline reads of a consumed record (confluent_kafka.Message has these methods)."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]] | None: ...


@dataclass(frozen=True, slots=True)
class OutRecord:
    """A record to produce; `topic` is the base name (the prefix is added when producing)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers | None = None
