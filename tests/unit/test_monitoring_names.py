"""The dashboard and the alerts cannot drift from the code: every metric they name is one the worker
or the API registers (with the labels they select on), every job they name is scraped, every alert
links a runbook section that exists, and the counters they rate start at zero."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from api.metrics import HttpMetrics
from streams.metrics import WorkerMetrics
from streams.order_metrics import OrderMetrics
from streams.pulse import WorkerPulse
from streams.store_guard import StoreGuard

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\b(omnistock_[a-z0-9_]+)(\{[^}]*\})?")
JOB = re.compile(r'job(=~?)"([^"]+)"')
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


class _Marker:
    def present(self) -> bool:
        return True

    def write(self, epoch_ms: int, origin: str) -> None:
        pass


def _exported() -> dict[str, set[str]]:
    """Every sample name the worker and the API export -> the label names seen on it."""
    registry = CollectorRegistry()
    worker = WorkerMetrics.create(registry, WorkerPulse())
    worker.start_at_zero(["pos.sales.v1"])
    worker.lag.watch(lambda: {("pos.sales.v1", 0): 3})
    OrderMetrics.create(registry)
    StoreGuard(_Marker(), registry)
    http = HttpMetrics(registry)
    http.observe("/v1/availability/{sku}", "GET", 200, 0.002)
    names: dict[str, set[str]] = {}
    for family in registry.collect():
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.setdefault(family.name + suffix, set())
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(set(sample.labels) - {"le"})
    return names


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "omnistock.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def _alert_rules() -> list[dict[str, object]]:
    return list(yaml.safe_load((DEPLOY / "prometheus" / "rules.yaml").read_text())["groups"][0]["rules"])


EXPRESSIONS = _dashboard_expressions() + [str(rule["expr"]) for rule in _alert_rules()]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_every_metric_a_query_names_is_exported_with_the_labels_it_selects(expr: str) -> None:
    exported = _exported()
    named = METRIC.findall(expr)
    assert named or "up{" in expr, f"names no metric: {expr}"
    for name, selector in named:
        assert name in exported, f"{name} is not exported by the worker or the API"
        selected = set(re.findall(r"(\w+)\s*=~?", selector))
        assert selected <= exported[name], f"{name} has no label {selected - exported[name]}"


def test_every_job_a_query_names_is_scraped_by_the_prometheus_config() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    scraped = {job["job_name"] for job in config["scrape_configs"]}
    named = {(operator, job) for expr in EXPRESSIONS for operator, job in JOB.findall(expr)}
    for operator, job in named:
        if operator == "=~":
            assert any(re.fullmatch(job, each) for each in scraped), f"{job} matches no scraped job"
        else:
            assert job in scraped, f"{job} is not scraped"
    assert {("=", "omnistock-worker"), ("=", "omnistock-api")} <= named


def test_every_alert_links_a_runbook_section_that_exists() -> None:
    runbook = (DEPLOY / "RUNBOOK.md").read_text()
    anchors = {line[3:].strip().lower() for line in runbook.splitlines() if line.startswith("## ")}
    for rule in _alert_rules():
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        link = annotations["runbook_url"]
        assert link == f"deploy/RUNBOOK.md#{str(rule['alert']).lower()}"
        assert str(rule["alert"]).lower() in anchors, f"RUNBOOK.md has no section {rule['alert']}"


def test_the_counters_the_dashboard_rates_have_series_at_zero_before_any_event() -> None:
    registry = CollectorRegistry()
    worker = WorkerMetrics.create(registry)
    worker.start_at_zero(["pos.sales.v1", "orders.v1"])
    OrderMetrics.create(registry)
    assert registry.get_sample_value("omnistock_events_dlq_total", {"topic": "orders.v1"}) == 0
    assert registry.get_sample_value("omnistock_dead_letters_total", {"reason": "invalid_event"}) == 0
    assert registry.get_sample_value("omnistock_order_statuses_total", {"status": "UNFULFILLABLE"}) == 0
    assert registry.get_sample_value("omnistock_rerouted_lines_total", {"reason": "SLA_EXPIRED"}) == 0
    assert registry.get_sample_value("omnistock_holds_expired_total") == 0
