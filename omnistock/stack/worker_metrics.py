"""Reads a worker's /metrics: the totals the dev screen and the benchmarks print."""

from __future__ import annotations

import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families

# How often a bench reads a worker's /metrics while it runs. Each scrape is work in the worker's own
# process (the consumer lag of every partition is computed then): read 50 times a second, it took a
# measurable share from the worker it measured; Prometheus reads it every 15 s.
BENCH_SCRAPE_GAP_S = 0.2


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a loopback URL we built
            return str(answer.read().decode())
    except OSError:
        return ""


def scrape_gauge(url: str, name: str) -> float:
    """The value of gauge `name` (0 when absent or when the worker does not answer)."""
    for family in text_string_to_metric_families(_fetch(url)):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return 0.0


def scrape_totals(url: str) -> dict[str, float]:
    """Sum of each `omnistock_*_total` counter over its labels; empty when the worker does not answer."""
    totals: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(_fetch(url)):
        for sample in family.samples:
            if sample.name.startswith("omnistock_") and sample.name.endswith("_total"):
                totals[sample.name] += sample.value
    return dict(totals)


def scrape_histogram_sums(url: str) -> dict[str, float]:
    """`<name>_sum` and `<name>_count` of every `omnistock_*` histogram, summed over its labels: with
    two scrapes, the mean of what was observed between them."""
    sums: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(_fetch(url)):
        if family.type != "histogram" or not family.name.startswith("omnistock_"):
            continue
        for sample in family.samples:
            if sample.name.endswith(("_sum", "_count")):
                sums[sample.name] += sample.value
    return dict(sums)
