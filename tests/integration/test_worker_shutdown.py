"""A real `omnistock worker` stopped by SIGTERM under load exits 0 in seconds, and a second worker then
brings every position to the sum of the events sent: nothing lost, nothing doubled."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from omnistock.stack.worker_metrics import scrape_totals
from tests.support.workers import Load, Workers, positions_match

pytestmark = [pytest.mark.broker, pytest.mark.redis]

EXIT_BOUND_S = 10.0


@pytest.fixture
def workers(broker_bootstrap: str, redis_url: str, tmp_path: Path):
    group = Workers(broker_bootstrap, redis_url, tmp_path)
    try:
        yield group
    finally:
        group.close()


def _wait_consuming(metrics: str, at_least: float, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while scrape_totals(metrics).get("omnistock_events_consumed_total", 0) < at_least:
        assert time.monotonic() < deadline, "the worker consumed too little to be under load"
        time.sleep(0.05)


def _exit_time(process: subprocess.Popen[bytes], *signals: signal.Signals) -> float:
    """Send the signals (0.3 s apart), then time the exit; fails when it takes more than the bound."""
    began = time.monotonic()
    for sent in signals:
        process.send_signal(sent)
        time.sleep(0.3)
    try:
        code = process.wait(EXIT_BOUND_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker was still running {EXIT_BOUND_S:.0f} s after {[s.name for s in signals]}")
    assert code == 0
    return time.monotonic() - began


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGTERM,), (signal.SIGTERM, signal.SIGTERM), (signal.SIGTERM, signal.SIGINT)],
    ids=["sigterm", "sigterm-twice", "sigterm-then-sigint"],
)
def test_a_worker_stopped_under_load_exits_in_seconds_and_its_successor_loses_and_doubles_nothing(
    workers: Workers, broker_bootstrap: str, signals: tuple[signal.Signals, ...]
) -> None:
    first, metrics = workers.start("first")
    load = Load(broker_bootstrap, workers.env["OMNISTOCK_TOPIC_PREFIX"])
    load.send(3000)
    load.send_in_background(3000, per_s=1500)
    _wait_consuming(metrics, 1000)

    took = _exit_time(first, *signals)
    print(f"stopped in {took:.2f} s after {[s.name for s in signals]}")  # noqa: T201 - the measured figure

    load.wait_sent()
    workers.start("second")
    positions_match(workers, load)
