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

Counts and transfers have their own idempotency. A count applied again changes nothing: it is stale
(older than the last count), or it sets on_hand to the same counted value plus the same deltas after
it (the delta log keeps every delta after the last count; older than the count window, the script
answers too_late). So counts have no age bound here. A transfer's steps are a state per transfer id
whose effect is a function of the steps seen, kept until the count window C after the transfer
closed (arrival time, no earlier than the first arrival of any of its steps): the same argument with
C for W bounds transfers at C - S.

Replaying such a dead letter: the operator who checked that it was never applied sends it again with
the header `omnistock.replay` (any value); only then is an event older than the window applied. The
header is read only for an event already found too old: the hot path never looks at headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.ledger import DEDUPE_BUCKETS
from streams.dlq import FROM_THE_FUTURE, MAX_VALUE_BYTES, TOO_OLD_TO_DEDUPE
from streams.records import ConsumedRecord
from topics.catalog import STOCK_COUNTS, STOCK_TRANSFERS

REPLAY_HEADER = "omnistock.replay"


@dataclass(frozen=True, slots=True)
class EventLimits:
    """The accepted range of occurred_at around the worker's clock, and the bound of a DLQ copy."""

    max_clock_skew_s: int = 300
    dedupe_window_s: int = 3600
    dlq_max_bytes: int = MAX_VALUE_BYTES
    refuse_too_old: bool = True  # False for a rebuild from the topics, which replays every event once
    refuse_future: bool = True  # False for a rebuild: it skips what the workers dead-lettered instead
    count_window_s: int = 24 * 3600

    def __post_init__(self) -> None:
        if (self.max_age_ms("") or 0) <= 0:
            raise ValueError("dedupe_window_s must be longer than max_clock_skew_s")

    def max_age_ms(self, topic: str) -> int | None:
        """How old an event of `topic` may be and still be recognised if it comes again; None: any."""
        if topic == STOCK_COUNTS:
            return None  # a count applied twice changes nothing (see the module docstring)
        if topic == STOCK_TRANSFERS:  # its state is kept for the count window after the transfer closes
            window_ms = self.count_window_s * 1000
        else:
            window_ms = max(1, self.dedupe_window_s * 1000 // DEDUPE_BUCKETS) * DEDUPE_BUCKETS
        return window_ms - self.max_clock_skew_s * 1000 - 1

    def accepted(self, topic: str, now_ms: int) -> tuple[int, int]:
        """(oldest, latest) occurred_at of `topic` accepted at `now_ms`, both included."""
        max_age_ms = self.max_age_ms(topic) if self.refuse_too_old else None
        oldest = now_ms - max_age_ms if max_age_ms is not None else -(2**63)
        latest = now_ms + self.max_clock_skew_s * 1000 if self.refuse_future else 2**63
        return oldest, latest

    def out_of_range(self, occurred_at_ms: int, now_ms: int) -> tuple[str, str]:
        """The DLQ reason and detail of an occurred_at outside `accepted(...)`."""
        if occurred_at_ms > now_ms:
            ahead = (occurred_at_ms - now_ms) / 1000
            return FROM_THE_FUTURE, f"occurred_at is {ahead:.0f} s ahead of the worker's clock"
        age = (now_ms - occurred_at_ms) / 1000
        return TOO_OLD_TO_DEDUPE, f"occurred_at is {age:.0f} s old: a duplicate could not be recognised"


def replayed(record: ConsumedRecord) -> bool:
    """True when the record carries REPLAY_HEADER: an operator's replay of a too-old dead letter."""
    headers = record.headers() or []
    names = headers.keys() if isinstance(headers, dict) else (name for name, _ in headers)
    return REPLAY_HEADER in names
