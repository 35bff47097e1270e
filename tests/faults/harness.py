"""The fault suite's scenario steps: two workers, a stream with its oracle, a fault, settle, compare."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.load import Sent, stock_stream
from tests.support.oracle import StockOracle
from tests.support.settle import Settled, settle
from tests.support.stack import Stack, running_stack

NETWORK = Path(__file__).with_name("network.yaml")
EVENTS = 12_000  # distinct events per scenario (plus ~4 % re-sent duplicates)
RATE_PER_S = 1_500.0
SETTLE_TIMEOUT_S = 90.0
STOP_BOUND_S = 30.0  # a worker sent SIGTERM must be gone by then (a hang, not a latency, is what fails)


@dataclass
class Figures:
    """What one scenario measured, printed at the end of the session (tests/faults/conftest.py)."""

    scenario: str
    sent: int = 0
    distinct: int = 0
    send_s: float = 0.0
    poison: int = 0
    dead_letters: int = 0
    stop_s: float | None = None
    settled: Settled | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        stop = "" if self.stop_s is None else f", stopped in {self.stop_s:.1f} s"
        settled = self.settled.summary() if self.settled else "not settled"
        extra = "".join(f"; {note}" for note in self.notes)
        sent = f"{self.sent} records sent in {self.send_s:.1f} s"
        duplicates = self.sent - self.distinct - self.poison
        distinct = f"{self.distinct} distinct events, {duplicates} duplicates, {self.poison} poison"
        dead = f"{self.dead_letters} dead letters"
        return f"{self.scenario}: {sent} ({distinct}), {dead}{stop}; {settled}{extra}"


FIGURES: list[Figures] = []


def planned_stream(seed: int, events: int = EVENTS) -> tuple[list[Sent], StockOracle]:
    """The scenario's records, stamped from now at the sending rate, and the oracle fed with them."""
    stream = stock_stream(seed, events, time.time_ns() // 1_000_000, 1000.0 / RATE_PER_S)
    oracle = StockOracle()
    oracle.apply_all((record.topic, record.value) for record in stream)
    return stream, oracle


@contextlib.contextmanager
def two_workers(bootstrap: str, redis_url: str, log_dir: Path, **settings: str) -> Iterator[Stack]:
    with running_stack(bootstrap, redis_url, NETWORK, log_dir, workers=2, **settings) as stack:
        yield stack


def settle_on(
    stack: Stack, oracle: StockOracle, ends: dict[tuple[str, int], int], also_read: tuple[str, ...] = ()
) -> Settled:
    expected = oracle.positions()
    return settle(stack.api, stack.bootstrap, stack.group_id, expected, ends, SETTLE_TIMEOUT_S, also_read)


def assert_matches_oracle(settled: Settled) -> None:
    """What every scenario ends on: each position equal to the oracle, no partition behind its end."""
    assert settled.diff == {}, f"positions not equal to the oracle: {settled.summary()}"
    assert settled.stalled == {}, f"partitions behind their end (committed, end): {settled.stalled}"


def partitions_held(stack: Stack, number: int) -> int:
    """How many partitions worker `number` holds now (its metrics say; 0 when it does not answer)."""
    from omnistock.stack.worker_metrics import scrape_gauge

    return int(scrape_gauge(stack.metrics[number], "omnistock_worker_assigned_partitions"))


def kill_hard(worker: subprocess.Popen[bytes]) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)


def terminate_timed(worker: subprocess.Popen[bytes], bound_s: float) -> float | None:
    """SIGTERM, then the seconds until it exited; None (and SIGKILL) when it was still there at `bound_s`."""
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(bound_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(10)
        return None
    return time.monotonic() - started


def run_rebuild(stack: Stack, timeout_s: float = 180.0) -> subprocess.CompletedProcess[bytes]:
    """`omnistock rebuild` with the workers' settings (CONTRACT.md "Running"): the one place that knows
    how a rebuild is invoked."""
    with (stack.log_dir / "rebuild.log").open("ab") as log:
        return subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "omnistock", "rebuild"],
            env={**os.environ, **stack.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        )
