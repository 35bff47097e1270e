"""A consumed record as confluent-kafka gives it, for tests that feed the pipeline or the worker by hand."""

from __future__ import annotations

from streams.records import Headers


class FakeRecord:
    """What streams.records.ConsumedRecord reads, plus timestamp() as the worker reads it."""

    def __init__(
        self,
        topic: str,
        value: bytes,
        offset: int = 0,
        headers: Headers | None = None,
        key: bytes = b"",
        partition: int = 0,
    ) -> None:
        self._topic, self._value, self._offset, self._headers = topic, value, offset, headers
        self._key, self._partition = key, partition

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return self._key

    def value(self) -> bytes:
        return self._value

    def headers(self) -> Headers | None:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return (0, 0)  # TIMESTAMP_NOT_AVAILABLE
