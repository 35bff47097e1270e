"""The periodic reconciliation check: recompute reserved and allocated from their records, repair, report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from core.errors import InvalidEvent, StoreUnavailable
from core.movements import Drift
from streams.metrics import WorkerMetrics

log = logging.getLogger("omnistock.reconcile")


class ReconcilingStore(Protocol):
    def reconcile(self, skus: Sequence[str] | None = None) -> list[Drift]: ...


async def reconcile_once(store: ReconcilingStore, metrics: WorkerMetrics) -> list[Drift]:
    """One pass over every sku, in a thread (a full pass scans the keyspace); drift is logged and counted."""
    try:
        drifts = await asyncio.get_running_loop().run_in_executor(None, store.reconcile, None)
    except StoreUnavailable as error:
        log.warning("reconcile_store_unavailable", extra={"error": str(error)})
        return []
    except InvalidEvent as error:  # a script error reply (store_refused): logged, the worker goes on
        log.error("reconcile_script_refused", extra={"error": str(error), "code": error.code})
        return []
    for drift in drifts:
        metrics.drift.labels(drift.figure).inc()
        log.warning(
            "stock_drift_repaired",
            extra={
                "sku": drift.sku,
                "location_id": drift.location_id,
                "figure": drift.figure,
                "stored": drift.stored,
                "actual": drift.actual,
            },
        )
    metrics.reconciliations.inc()
    return drifts
