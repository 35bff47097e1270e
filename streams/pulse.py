"""The worker's pulse: when its loop last turned and when it last applied a batch, for health probes.

Kept apart from the loop so the probes and the metrics read one small object: the loop pays one
clock read per poll, nothing per record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Health:
    """What /healthz and /readyz answer: alive (the loop turns), ready (it holds its group and store)."""

    live: bool
    ready: bool
    partitions: int
    last_turn_age_s: float
    last_batch_age_s: float | None  # None: no batch applied since the process started
    store_lost: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "live": self.live,
            "ready": self.ready,
            "partitions": self.partitions,
            "last_turn_age_s": round(self.last_turn_age_s, 3),
            "last_batch_age_s": None if self.last_batch_age_s is None else round(self.last_batch_age_s, 3),
            "store_lost": self.store_lost,
        }


class WorkerPulse:
    """Turns of the loop (a poll returned, a batch retried on an unreachable store, a keep-alive poll
    while the store is lost) and applied batches, on the monotonic clock.

    Alive means the loop turned within `stall_s`: a worker waiting for Redis retries and so turns; a
    loop stuck in a call that never returns does not, and a restart is the cure. Ready means the
    feed has started and the store is not lost; a worker holding no partition is still ready (a group
    may have more workers than partitions)."""

    def __init__(self, stall_s: float = 120.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.stall_s = stall_s
        self._last_turn = self._started_at = clock()
        self._last_batch: float | None = None
        self.started = False
        self.partitions: Callable[[], int] = lambda: 0
        self.store_lost: Callable[[], bool] = lambda: False

    def turned(self) -> None:
        self._last_turn = self._clock()

    def applied(self) -> None:
        self._last_batch = self._last_turn = self._clock()

    def last_batch_age_s(self) -> float:
        """Seconds since the last applied batch (since the start while there was none): the gauge an
        alert compares with the consumer lag (records waiting and nothing applied: stock is stale)."""
        since = self._last_batch if self._last_batch is not None else self._started_at
        return self._clock() - since

    def start(self) -> None:
        """The feed is subscribed: from now on the loop is expected to turn."""
        self._started_at = self._last_turn = self._clock()
        self.started = True

    def health(self) -> Health:
        now = self._clock()
        turn_age = now - self._last_turn
        lost = self.store_lost()
        return Health(
            live=turn_age <= self.stall_s,
            ready=self.started and not lost,
            partitions=self.partitions(),
            last_turn_age_s=turn_age,
            last_batch_age_s=None if self._last_batch is None else now - self._last_batch,
            store_lost=lost,
        )
