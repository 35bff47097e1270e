"""The hold-expiry sweep: releases expired cart holds (exactly once, inside the store) and publishes them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from core.errors import InvalidEvent, StoreUnavailable
from core.movements import ExpiredHolds, ReleasedHold
from streams.batch import ChangeEncoder, ChangeLog, change_records
from streams.metrics import WorkerMetrics
from streams.records import Headers, OutRecord
from topics.catalog import CART_HOLDS

log = logging.getLogger("omnistock.holds")


class ExpiringStore(Protocol):
    def expire_holds(self, now_ms: int, limit: int = 1000) -> Sequence[ExpiredHolds]: ...


class ReleaseEncoder(Protocol):
    @property
    def headers(self) -> Headers: ...

    def encode_expired(self, sku: str, released: ReleasedHold, cause_event_id: str, now_ms: int) -> bytes: ...


class HoldExpiry:
    """`sweep()` -> the records to publish for every hold that expired since the last sweep.

    Every worker sweeps; the store's check-and-release is atomic per sku, so a hold is released and
    published once whichever worker gets to it first."""

    def __init__(
        self,
        store: ExpiringStore,
        changes: ChangeEncoder,
        releases: ReleaseEncoder,
        metrics: WorkerMetrics,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        limit: int = 1000,
        change_log: ChangeLog | None = None,
    ) -> None:
        self._change_log = change_log
        self._store, self._changes, self._releases = store, changes, releases
        self._metrics, self._clock_ms, self._limit = metrics, clock_ms, limit

    def sweep(self) -> list[OutRecord]:
        now_ms = self._clock_ms()
        try:
            expired = self._store.expire_holds(now_ms, self._limit)
        except StoreUnavailable as error:  # nothing was released: the next sweep finds the same holds
            log.warning("hold_expiry_store_unavailable", extra={"error": str(error)})
            return []
        except InvalidEvent as error:  # a script error reply: logged, and the worker goes on
            log.error("hold_expiry_script_refused", extra={"error": str(error), "code": error.code})
            return []
        cause = f"hold-expiry:{now_ms}"
        outputs: list[OutRecord] = []
        for sku_holds in expired:
            sku, locations, network_atp = sku_holds.sku, sku_holds.locations, sku_holds.network_atp
            outputs += change_records(sku, locations, network_atp, cause, self._changes, now_ms)
            for released in sku_holds.released:
                value = self._releases.encode_expired(sku_holds.sku, released, cause, now_ms)
                outputs.append(
                    OutRecord(CART_HOLDS, released.cart_id.encode(), value, self._releases.headers)
                )
        if self._change_log is not None:
            self._change_log.append([(e.sku, f, e.network_atp) for e in expired for f in e.locations])
        self._metrics.holds_expired.inc(sum(len(sku_holds.released) for sku_holds in expired))
        return outputs
