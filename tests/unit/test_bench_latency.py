"""Open-loop load arithmetic: the schedule, nearest-rank percentiles, summaries, coordinated omission."""

from __future__ import annotations

import asyncio

import pytest

from omnistock.bench.latency import percentile, percentiles_by_slice, schedule, summarize
from omnistock.bench.load_client import Request, open_loop


def test_the_schedule_spaces_requests_evenly_at_the_rate() -> None:
    assert schedule(4, 1000.0) == pytest.approx([0.0, 0.001, 0.002, 0.003])


def test_a_schedule_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        schedule(10, 0.0)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, q) for q in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert percentile([7.0], 99) == 7.0


def test_the_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 50) == 0.0


def test_a_summary_reports_milliseconds_and_keeps_errors_out_of_the_percentiles() -> None:
    summary = summarize("get", 5, [0.004, 0.001, 0.002, 0.003], [0.0, 0.0, 0.0005, 0.0], 1, 2.0)
    assert (summary.completed, summary.errors, summary.achieved_rate) == (4, 1, 2.0)
    assert (summary.p50_ms, summary.p99_ms, summary.max_ms) == pytest.approx((2.0, 4.0, 4.0))
    assert summary.lag_p99_ms == pytest.approx(0.5)


def test_the_tail_per_slice_shows_a_phase_that_gets_slower_as_it_goes() -> None:
    sent_and_took = [(0.5, 0.010), (1.0, 0.020), (4.9, 0.030), (5.0, 0.200), (9.9, 0.100), (12.0, 0.5)]
    assert percentiles_by_slice(sent_and_took, 5.0) == [(0.0, 0.030, 3), (5.0, 0.200, 2), (10.0, 0.5, 1)]


def test_a_slice_must_have_a_length() -> None:
    with pytest.raises(ValueError, match="slice_s"):
        percentiles_by_slice([(0.0, 0.1)], 0.0)


def test_a_slow_answer_is_charged_to_the_requests_queued_behind_it() -> None:
    def make() -> Request:
        async def request(i: int) -> bool:
            await asyncio.sleep(0.05 if i == 0 else 0)
            return True

        return request

    tally, _elapsed = asyncio.run(open_loop(make, 5, 1000.0, 1, 5.0))
    assert len(tally.latencies) == 5
    # Request 4 was due at 4 ms but could only be sent after request 0 answered, at 50 ms.
    assert min(tally.latencies[1:]) > 0.04
    assert min(tally.lags[1:]) > 0.04


def test_failed_requests_are_counted_not_timed() -> None:
    def make() -> Request:
        async def request(i: int) -> bool:
            return i % 2 == 0

        return request

    tally, _elapsed = asyncio.run(open_loop(make, 6, 2000.0, 2, 5.0))
    assert (len(tally.latencies), tally.errors) == (3, 3)
