"""How far from the worker's clock an event's time may be: ahead (clock skew), behind (dedupe window).

From the future: an event stamped more than `max_clock_skew_s` ahead of the worker's clock goes to
the DLQ (`from_the_future`), not clamped: a count stamped hours ahead would otherwise hold every real
delta "inside" it until its time, and clamping would silently move the moment a count was taken.
Sent again once its clock is right (or once its time has come) it applies.

Too old to dedupe: the scripts remember an event id for W (`dedupe_window_s`, in buckets by arrival
time: W is the window rounded down to whole buckets) from its arrival. An event accepted at arrival
t1 has occurred_at <= t1 + S (S the skew, above); a duplicate arriving at t2 is refused unless
occurred_at >= t2 - (W - S), so t2 - t1 <= W - S + S = W... strictly less, by the one-ms margin
below: it finds the first one's entry. Hence every event either is proven new, or is found a
duplicate, or goes to the DLQ as `too_old_to_dedupe` (nothing is lost silently). This assumes the
workers' clocks agree (NTP): a worker clock D ms behind another's weakens it by D.

Replaying such a dead letter: the operator who checked that it was never applied sends it again with
the header `omnistock.replay` (any value); only then is an event older than the window applied. The
header is read only for an event already found too old: the hot path never looks at headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.ledger import DEDUPE_BUCKETS
from streams.dlq import FROM_THE_FUTURE, MAX_VALUE_BYTES, TOO_OLD_TO_DEDUPE
from streams.records import ConsumedRecord

REPLAY_HEADER = "omnistock.replay"


@dataclass(frozen=True, slots=True)
class EventLimits:
    """The accepted range of occurred_at around the worker's clock, and the bound of a DLQ copy."""

    max_clock_skew_s: int = 300
    dedupe_window_s: int = 3600
    dlq_max_bytes: int = MAX_VALUE_BYTES
    refuse_too_old: bool = True  # False for a rebuild from the topics, which replays every event once

    def __post_init__(self) -> None:
        if self.max_age_ms <= 0:
            raise ValueError("dedupe_window_s must be longer than max_clock_skew_s")

    @property
    def max_age_ms(self) -> int:
        """How old an event may be and still be proven new (or a duplicate) by the dedupe entries."""
        window_ms = max(1, self.dedupe_window_s * 1000 // DEDUPE_BUCKETS) * DEDUPE_BUCKETS
        return window_ms - self.max_clock_skew_s * 1000 - 1

    def accepted(self, now_ms: int) -> tuple[int, int]:
        """(oldest, latest) occurred_at accepted at `now_ms`, both included."""
        oldest = now_ms - self.max_age_ms if self.refuse_too_old else -(2**63)
        return oldest, now_ms + self.max_clock_skew_s * 1000

    def out_of_range(self, occurred_at_ms: int, now_ms: int) -> tuple[str, str]:
        """The DLQ reason and detail of an occurred_at outside `accepted(now_ms)`."""
        if occurred_at_ms > now_ms:
            ahead = (occurred_at_ms - now_ms) / 1000
            return FROM_THE_FUTURE, f"occurred_at is {ahead:.0f} s ahead of the worker's clock"
        age = (now_ms - occurred_at_ms) / 1000
        return TOO_OLD_TO_DEDUPE, f"occurred_at is {age:.0f} s old, beyond the dedupe window"


def replayed(record: ConsumedRecord) -> bool:
    """True when the record carries REPLAY_HEADER: an operator's replay of a too-old dead letter."""
    headers = record.headers() or []
    names = headers.keys() if isinstance(headers, dict) else (name for name, _ in headers)
    return REPLAY_HEADER in names
