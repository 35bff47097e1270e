"""The one-shot commands built from settings: `omnistock reconcile` and `omnistock rebuild`."""

from __future__ import annotations

from omnistock.logs import configure_logging
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


def run_rebuild_command(settings: Settings, force: bool) -> int:
    """`omnistock rebuild [--force]`: see omnistock.rebuild."""
    from omnistock.rebuild import run_rebuild

    configure_logging(settings.log_level)
    return run_rebuild(settings, force, lambda s: stock_store(s, network_source(s)), print)
