"""`omnistock reconcile` built from settings: the store the worker would use, repaired and reported."""

from __future__ import annotations

from omnistock.settings import Settings
from omnistock.wiring.stores import network_source, stock_store


def run_reconcile(settings: Settings, skus: list[str]) -> int:
    """`omnistock reconcile [SKU ...]`: recompute reserved and allocated from their records, repair,
    print what drifted; exit 0 (drift found and repaired is not a failure)."""
    store = stock_store(settings, network_source(settings))
    drifts = store.reconcile(skus or None)
    for drift in drifts:
        where = drift.location_id or "(network)"
        print(f"{drift.sku}\t{where}\t{drift.figure}\tstored {drift.stored}\tactual {drift.actual}")
    print(
        f"{len(drifts)} figures drifted and were repaired ({'all skus' if not skus else f'{len(skus)} skus'})"
    )
    return 0

