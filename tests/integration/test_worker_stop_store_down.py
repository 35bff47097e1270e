"""SIGTERM while the store is down: the batch the worker keeps retrying is dropped uncommitted within
the shutdown bound, the process exits 0, and once the store is back a second worker applies it:
every position equals the sum of the events sent."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from omnistock.stack.worker_metrics import scrape_totals
from tests.support.own_redis import OwnRedis, own_redis
from tests.support.workers import Load, Workers, positions_match

pytestmark = [pytest.mark.broker, pytest.mark.redis]


def _wait_retrying(metrics: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while scrape_totals(metrics).get("omnistock_store_retries_total", 0) < 1:
        assert time.monotonic() < deadline, "the worker never retried against the stopped store"
        time.sleep(0.1)


def test_a_worker_stopped_while_the_store_is_down_exits_in_its_bound_and_loses_nothing(
    broker_bootstrap: str, tmp_path: Path
) -> None:
    with own_redis(appendonly=True) as store:
        _stop_while_the_store_is_down(broker_bootstrap, store, tmp_path)


def _stop_while_the_store_is_down(broker_bootstrap: str, store: OwnRedis, tmp_path: Path) -> None:
    workers = Workers(broker_bootstrap, store.url, tmp_path)
    try:
        first, metrics = workers.start("first")
        load = Load(broker_bootstrap, workers.env["OMNISTOCK_TOPIC_PREFIX"])
        load.send(300)
        positions_match(workers, load, timeout_s=60)
        store.stop()
        load.send(300)
        _wait_retrying(metrics)

        began = time.monotonic()
        first.send_signal(signal.SIGTERM)
        assert first.wait(10) == 0  # the shutdown bound (5 s) drops the batch the agent keeps retrying
        print(f"stopped in {time.monotonic() - began:.2f} s with the store down")  # noqa: T201

        store.start()
        workers.start("second")
        positions_match(workers, load, timeout_s=60)
    finally:
        workers.stop_all()  # the keys go with the test's own server
