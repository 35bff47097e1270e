"""Reads a worker's /metrics: the totals the dev screen and the benchmarks print."""

from __future__ import annotations

import urllib.request
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families


def scrape_totals(url: str) -> dict[str, float]:
    """Sum of each `omnistock_*_total` counter over its labels; empty when the worker does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - a loopback URL we built
            text = answer.read().decode()
    except OSError:
        return {}
    totals: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("omnistock_") and sample.name.endswith("_total"):
                totals[sample.name] += sample.value
    return dict(totals)
