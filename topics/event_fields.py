"""Field types shared by the event models: ids, integer units, timestamps as int epoch milliseconds.

`occurred_at` (and `expected_at`) accept an ISO-8601 string with its offset or integer epoch
milliseconds, and the field holds int epoch milliseconds after validation: that is what the core
movements and the Avro schemas carry, so nothing converts twice. Naive datetimes are refused, and so is
a time outside 2000-01-01 .. 2100-01-01: beyond it a value is a bug, and a huge one (1e30) would be
refused by the store's scripts (which take integers up to 2^53) after decode, where it stops the batch.
Quantities are strict integers (a JSON 5.0 or "5" is refused), bounded to +-1e9 units; free texts are
bounded to 1,000 characters and the lines of an event to 5,000, so every field has a bound at decode.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)
MAX_UNITS = 1_000_000_000
MIN_EPOCH_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_EPOCH_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
MAX_TEXT = 1000
MAX_LINES = 5000


def epoch_ms(value: Any) -> Any:
    """ISO-8601 with offset, aware datetime or int epoch ms -> int epoch ms; other types are left to fail."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO-8601 timestamp") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a timestamp needs its offset (Z or +hh:mm)")
        return (value - EPOCH) // ONE_MS
    return value


EpochMs = Annotated[int, Strict(), Field(ge=MIN_EPOCH_MS, lt=MAX_EPOCH_MS), BeforeValidator(epoch_ms)]
# Ids become parts of Redis keys and hash fields: "|" separates fields and "{...}" is the hash tag.
Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^|{}\x00-\x1f]+$")]
Units = Annotated[int, Strict(), Field(ge=-MAX_UNITS, le=MAX_UNITS)]
PositiveUnits = Annotated[int, Strict(), Field(gt=0, le=MAX_UNITS)]
NonNegativeUnits = Annotated[int, Strict(), Field(ge=0, le=MAX_UNITS)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


class Model(BaseModel):
    """Immutable; fields the contract does not name are ignored (producers may extend events)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Event(Model):
    """What every event carries: its idempotency key and when it happened."""

    event_id: Id
    occurred_at: EpochMs
