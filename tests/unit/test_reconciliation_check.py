"""The periodic reconciliation check counts every drift it repaired, by figure, and survives an outage."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from core.errors import StoreUnavailable
from core.movements import Drift
from streams.metrics import WorkerMetrics
from streams.reconciliation import reconcile_once


class DriftingStore:
    def reconcile(self, skus=None) -> list[Drift]:
        return [Drift("SKU-A", "ST-1", "reserved", 5, 3), Drift("SKU-B", "", "network_reserved", 1, 0)]


class UnreachableStore:
    def reconcile(self, skus=None) -> list[Drift]:
        raise StoreUnavailable("redis unreachable")


def test_each_repaired_drift_is_counted_under_its_figure():
    registry = CollectorRegistry()
    drifts = asyncio.run(reconcile_once(DriftingStore(), WorkerMetrics.create(registry)))
    assert len(drifts) == 2
    assert registry.get_sample_value("omnistock_stock_drift_total", {"figure": "reserved"}) == 1
    assert registry.get_sample_value("omnistock_stock_drift_total", {"figure": "network_reserved"}) == 1
    assert registry.get_sample_value("omnistock_reconciliations_total") == 1


def test_an_unreachable_store_skips_the_pass_without_counting_it():
    registry = CollectorRegistry()
    assert asyncio.run(reconcile_once(UnreachableStore(), WorkerMetrics.create(registry))) == []
    assert registry.get_sample_value("omnistock_reconciliations_total") == 0
