"""`omnistock bench freshness` runs end to end (broker, worker, API, load, probes) and prints its figures.

Tiny rates and a few seconds each: the run's shape is checked, never its timings (those are the bench's)."""

from __future__ import annotations

import re

import pytest

from omnistock.bench.freshness import run_bench_freshness
from omnistock.settings import Settings

pytestmark = [pytest.mark.redis, pytest.mark.broker]


def test_the_freshness_bench_prints_each_rate_with_its_split(
    redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_bench_freshness(Settings(redis_url=redis_url), [0.0, 200.0], duration_s=4.0) == 0

    out = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+) \|(.*)\|(.*)\|(.*)$", out, re.MULTILINE)
    assert [int(row[0]) for row in rows] == [0, 200]
    for _rate, _sent, _applied, probes, unseen, total, broker, rest in rows:
        assert int(probes) > 0
        assert int(unseen) == 0
        assert len(total.split()) == 4  # p50 p90 p99 max
        assert len(broker.split()) == 2
        assert len(rest.split()) == 2
    assert out.count("worker: batches of") == 2
    assert out.count("CPU, % of one core: broker") == 2
    assert "GET round trip" in out
