"""Two workers in one group on the embedded broker; one is killed (-9) or stopped (SIGTERM) mid-stream.
The other takes its partitions over, and every position ends equal to the oracle: 0 lost, 0 doubled,
and every partition's committed offset at its end.

Run time on the 2-core shared machine: about 40 s each (start, ~8 s of stream, settle).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.faults.harness import (
    FIGURES,
    RATE_PER_S,
    STOP_BOUND_S,
    Figures,
    assert_matches_oracle,
    kill_hard,
    partitions_held,
    planned_stream,
    settle_on,
    terminate_timed,
    two_workers,
)
from tests.support.send import fast_producer, send_stream

pytestmark = [pytest.mark.faults, pytest.mark.broker, pytest.mark.redis]


def test_a_worker_killed_mid_stream_loses_and_doubles_nothing(
    broker_bootstrap: str, redis_url: str, tmp_path: Path
):
    stream, oracle = planned_stream(seed=1)
    figures = Figures("kill -9 of one of two workers, restarted 5 s later", distinct=oracle.applied)
    FIGURES.append(figures)
    with two_workers(broker_bootstrap, redis_url, tmp_path) as stack:
        victim, held = stack.workers[1], []

        def kill_then_restart() -> None:
            held.append(partitions_held(stack, 1))
            figures.notes.append(f"the killed worker held {held[0]} partitions")
            kill_hard(victim)
            time.sleep(5)
            stack.start_worker(wait_assigned=False)

        report = send_stream(
            fast_producer(broker_bootstrap),
            stack.topic_prefix,
            stream,
            RATE_PER_S,
            {len(stream) * 2 // 5: kill_then_restart},
        )
        for thread in report.fault_threads:
            thread.join(30)
        figures.sent, figures.send_s = report.sent, report.seconds
        figures.settled = settled = settle_on(stack, oracle, report.ends)
        print(figures.line())
        assert victim.returncode == -9
        assert held[0] > 0, "the worker killed held no partitions: its death proved nothing"
        assert_matches_oracle(settled)
        assert all(worker.poll() is None for worker in stack.workers[2:]), "the restarted worker died"


def test_a_worker_stopped_under_load_exits_in_seconds_and_loses_nothing(
    broker_bootstrap: str, redis_url: str, tmp_path: Path
):
    stream, oracle = planned_stream(seed=2)
    figures = Figures("SIGTERM of one of two workers under load", distinct=oracle.applied)
    FIGURES.append(figures)
    with two_workers(broker_bootstrap, redis_url, tmp_path) as stack:
        victim, held = stack.workers[1], []

        def stop_and_time() -> None:
            held.append(partitions_held(stack, 1))
            figures.notes.append(f"the stopped worker held {held[0]} partitions")
            figures.stop_s = terminate_timed(victim, STOP_BOUND_S)

        report = send_stream(
            fast_producer(broker_bootstrap),
            stack.topic_prefix,
            stream,
            RATE_PER_S,
            {len(stream) * 2 // 5: stop_and_time},
        )
        figures.sent, figures.send_s = report.sent, report.seconds
        figures.settled = settled = settle_on(stack, oracle, report.ends)  # while it stops, or hangs
        for thread in report.fault_threads:
            thread.join(STOP_BOUND_S + 15)
        if figures.stop_s is None:
            figures.notes.append(f"still running {STOP_BOUND_S:.0f} s after SIGTERM (then killed)")
        print(figures.line())
        assert_matches_oracle(settled)
        assert held[0] > 0, "the worker stopped held no partitions: its stop proved nothing"
        assert figures.stop_s is not None, f"the worker did not exit within {STOP_BOUND_S:.0f} s of SIGTERM"
