"""The API's one way of writing a moment: ISO-8601 in UTC with milliseconds and `Z`
(2026-03-01T12:30:05.123Z), as JavaScript's Date.toISOString writes it and most clients parse."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime) -> str:
    """`moment` (aware) in UTC, to the millisecond, with `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
