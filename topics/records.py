"""The record a pipeline produces, shared by topics (which builds them) and streams (which sends them)."""

from __future__ import annotations

from dataclasses import dataclass

Headers = list[tuple[str, str | bytes | None]]


@dataclass(frozen=True, slots=True)
class OutRecord:
    """A record to produce; `topic` is the base name (the prefix is added when producing)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers | None = None
