"""Per-client token buckets, in process: each API process keeps its own, so N processes allow N x the rate."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from math import ceil

# Buckets of clients idle long enough to be full again are dropped once this many are kept (open mode
# keys buckets by client address, which is unbounded; configured keys are few).
MAX_IDLE_BUCKETS = 10_000


class RateLimiter:
    """A token bucket per client: `rate_per_s` tokens a second, at most `burst` saved up.

    `take(client)` answers 0.0 when the request may go on, else the seconds until a token is there.
    One dict lookup, one clock read and a few float operations per call: cheap on the hot path.
    No lock: the guards call it from the event loop only (they are `async def`, never run in threads).
    """

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float]) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be positive, got {rate_per_s}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self._clock = clock
        # client -> [tokens, time of the last refill]; a list so the update needs no new object.
        self._buckets: dict[Hashable, list[float]] = {}

    def __len__(self) -> int:
        """How many clients have a bucket."""
        return len(self._buckets)

    def take(self, client: Hashable) -> float:
        """Spend one token of `client`'s bucket; 0.0 when spent, else the wait until one is there."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= MAX_IDLE_BUCKETS:
                self._drop_full_buckets(now)
            self._buckets[client] = [self.burst - 1.0, now]
            return 0.0
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate_per_s)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate_per_s

    def wait_s(self, client: Hashable) -> float:
        """What `take` would answer, spending nothing: 0.0 when a token is there."""
        bucket = self._buckets.get(client)
        if bucket is None:
            return 0.0
        tokens = min(self.burst, bucket[0] + (self._clock() - bucket[1]) * self.rate_per_s)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate_per_s

    def _drop_full_buckets(self, now: float) -> None:
        # A full bucket and a missing one behave the same: forgetting it loses nothing.
        refill_s = self.burst / self.rate_per_s
        self._buckets = {
            client: bucket for client, bucket in self._buckets.items() if now - bucket[1] < refill_s
        }


def retry_after_s(wait_s: float) -> int:
    """The Retry-After header value: whole seconds, at least 1."""
    return max(1, ceil(wait_s))
