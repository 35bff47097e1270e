"""The store under faults, on a Redis server of the test's own (never the shared one): restarted with
its AOF under load, nothing is lost; wiped mid-stream (FLUSHALL), the loss is noticed (/readyz 503),
`omnistock rebuild` restores it and every position ends equal to the oracle.

Run time on the 2-core shared machine: about 40 s (restart) and 60 s (wipe and rebuild).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.harness import (
    FIGURES,
    RATE_PER_S,
    Figures,
    assert_matches_oracle,
    planned_stream,
    run_rebuild,
    settle_on,
    two_workers,
)
from tests.support.own_redis import own_redis
from tests.support.send import fast_producer, send_stream
from tests.support.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.broker]


def readyz(stack: Stack) -> int:
    try:
        status, _ = stack.get("/readyz")
    except OSError:  # the API is not answering: not ready either
        return 0
    return status


def test_a_redis_restarted_with_its_aof_under_load_loses_nothing(broker_bootstrap: str, tmp_path: Path):
    stream, oracle = planned_stream(seed=5)
    figures = Figures("Redis (AOF, fsync always) restarted under load", distinct=oracle.applied)
    FIGURES.append(figures)
    with own_redis(appendonly=True) as server, two_workers(broker_bootstrap, server.url, tmp_path) as stack:
        report = send_stream(
            fast_producer(broker_bootstrap),
            stack.topic_prefix,
            stream,
            RATE_PER_S,
            {len(stream) * 2 // 5: server.restart},
        )
        for thread in report.fault_threads:
            thread.join(30)
        figures.sent, figures.send_s = report.sent, report.seconds
        figures.settled = settled = settle_on(stack, oracle, report.ends)
        print(figures.line())
        assert_matches_oracle(settled)
        assert all(worker.poll() is None for worker in stack.workers), "a worker died"


def test_a_wiped_redis_is_noticed_and_rebuilt_from_the_topics(broker_bootstrap: str, tmp_path: Path):
    stream, oracle = planned_stream(seed=4)
    figures = Figures("Redis wiped (FLUSHALL) mid-stream, then omnistock rebuild", distinct=oracle.applied)
    FIGURES.append(figures)
    with own_redis() as server, two_workers(broker_bootstrap, server.url, tmp_path) as stack:
        report = send_stream(
            fast_producer(broker_bootstrap),
            stack.topic_prefix,
            stream,
            RATE_PER_S,
            {len(stream) * 2 // 5: server.flushall},
        )
        figures.sent, figures.send_s = report.sent, report.seconds
        noticed = answers_within(stack, 503, timeout_s=20)
        started = time.monotonic()
        rebuilt = run_rebuild(stack)
        ready = answers_within(stack, 200, timeout_s=60)
        figures.notes.append(f"/readyz 503 after the wipe: {noticed}; rebuild exited {rebuilt.returncode}")
        figures.notes.append(
            f"/readyz 200 {time.monotonic() - started:.1f} s after the rebuild began: {ready}"
        )
        figures.settled = settled = settle_on(stack, oracle, report.ends)
        print(figures.line())
        assert noticed, "/readyz still 200 20 s after the store was wiped"
        assert rebuilt.returncode == 0, f"omnistock rebuild failed: see {stack.log_dir / 'rebuild.log'}"
        assert ready, "/readyz not back to 200 within 60 s of the rebuild"
        assert_matches_oracle(settled)


def answers_within(stack: Stack, status: int, timeout_s: float) -> bool:
    """Whether /readyz answers `status` before `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if readyz(stack) == status:
            return True
        time.sleep(0.2)
    return False
