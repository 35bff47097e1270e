"""The arithmetic of `omnistock bench freshness` and of `bench promise`'s steps: pure, no I/O."""

from __future__ import annotations

import pytest

from omnistock.bench.freshness_load import due_now
from omnistock.bench.freshness_stats import ProbeTimes, spread, summarize_probes, worker_means
from omnistock.bench.latency import PhaseSummary, summarize
from omnistock.bench.promise_steps import holds, measured_limit, step_rates


def test_a_probe_splits_into_the_brokers_share_and_the_rest() -> None:
    summary = summarize_probes(2000.0, [ProbeTimes(produced=10.0, consumed=10.004, visible=10.010)])

    assert summary.total.p50_ms == pytest.approx(10.0)
    assert summary.broker.p50_ms == pytest.approx(4.0)
    assert summary.rest.p50_ms == pytest.approx(6.0)


def test_a_probe_never_visible_is_counted_apart_not_in_the_percentiles() -> None:
    probes = [ProbeTimes(0.0, 0.001, 0.002), ProbeTimes(1.0, 1.001, None)]

    summary = summarize_probes(5000.0, probes)

    assert (summary.probes, summary.unseen, summary.total.count) == (2, 1, 1)
    assert summary.total.max_ms == pytest.approx(2.0)


def test_a_probe_the_watch_missed_counts_in_the_total_only() -> None:
    summary = summarize_probes(0.0, [ProbeTimes(0.0, None, 0.030), ProbeTimes(1.0, 1.01, 1.02)])

    assert (summary.total.count, summary.broker.count, summary.rest.count) == (2, 1, 1)
    assert summary.total.max_ms == pytest.approx(30.0)


def test_the_spread_is_nearest_rank_in_milliseconds() -> None:
    s = spread([i / 1000 for i in range(100, 0, -1)])

    assert (s.count, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms) == pytest.approx((100, 50, 90, 99, 100))


def test_the_workers_means_come_from_two_scrapes_of_sums_and_counts() -> None:
    before = {"omnistock_batch_records_sum": 100.0, "omnistock_batch_records_count": 2.0}
    after = {
        "omnistock_batch_records_sum": 400.0,
        "omnistock_batch_records_count": 5.0,
        "omnistock_apply_latency_seconds_sum": 0.03,
        "omnistock_apply_latency_seconds_count": 3.0,
    }

    means = worker_means(before, after)

    assert means.batch_records == pytest.approx(100.0)
    assert means.apply_ms == pytest.approx(10.0)
    assert means.oldest_age_ms == 0.0  # nothing observed between the scrapes


def test_the_load_sends_what_is_due_and_never_makes_up_for_more() -> None:
    assert due_now(5000.0, 0.01, 0) == 50
    assert due_now(5000.0, 0.01, 50) == 0
    assert due_now(5000.0, 0.01, 60) == 0


def test_the_steps_go_down_from_the_rate_in_quarters_then_halve_to_the_lowest() -> None:
    assert step_rates(1400.0) == [1050.0, 700.0, 350.0, 175.0, 87.5, 43.75]
    assert step_rates(100.0) == [75.0, 50.0, 25.0]


def test_steps_need_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        step_rates(0.0)


def _phase(rate: float, p99_ms: float, errors: int = 0) -> PhaseSummary:
    latencies = [p99_ms / 1000] * 100
    return summarize(f"at {rate}", 100 + errors, latencies, [0.0], errors, 1.0, rate=rate)


def test_the_measured_limit_is_the_highest_rate_that_held_the_target() -> None:
    phases = [_phase(1400, 180.0), _phase(1050, 95.0), _phase(700, 40.0)]

    assert measured_limit(phases, 100.0) == 1050.0


def test_a_step_with_errors_does_not_hold_however_fast() -> None:
    failing = _phase(700, 5.0, errors=3)

    assert not holds(failing, 100.0)
    assert measured_limit([failing], 100.0) is None


def test_the_slowest_tenth_says_whether_the_tail_is_the_brokers_or_ours() -> None:
    quick = [ProbeTimes(i, i + 0.002, i + 0.005) for i in range(9)]
    slow_in_the_worker = ProbeTimes(9.0, 9.004, 9.204)

    summary = summarize_probes(5000.0, [*quick, slow_in_the_worker])

    assert summary.slowest_broker_ms == pytest.approx(4.0)
    assert summary.slowest_rest_ms == pytest.approx(200.0)


def test_the_p99_is_also_given_per_slice_of_the_run() -> None:
    probes = [ProbeTimes(0.0, 0.001, 0.010), ProbeTimes(6.0, 6.001, 6.100)]

    summary = summarize_probes(2000.0, probes)

    assert [(start, round(p99), n) for start, p99, n in summary.p99_by_slice] == [(0.0, 10, 1), (5.0, 100, 1)]
