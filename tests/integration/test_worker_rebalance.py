"""Rebalances under load (a second worker joins, then the first is stopped) lose nothing: every
position equals the sum of the events sent."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from omnistock.stack.worker_metrics import scrape_totals
from tests.support.workers import Load, Workers, positions_match

pytestmark = [pytest.mark.broker, pytest.mark.redis]


def test_a_worker_joining_and_one_leaving_under_load_lose_and_double_nothing(
    broker_bootstrap: str, redis_url: str, tmp_path: Path
) -> None:
    workers = Workers(broker_bootstrap, redis_url, tmp_path)
    try:
        first, metrics = workers.start("first")
        load = Load(broker_bootstrap, workers.env["OMNISTOCK_TOPIC_PREFIX"])
        load.send_in_background(9000, per_s=1500)
        workers.start("second")  # joins while the first applies batches: its partitions are revoked
        assert scrape_totals(metrics).get("omnistock_events_consumed_total", 0) > 0

        first.send_signal(signal.SIGTERM)  # and they come back to the second, mid-load
        assert first.wait(10) == 0

        load.wait_sent()
        positions_match(workers, load)
    finally:
        workers.close()
