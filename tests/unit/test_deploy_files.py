"""deploy/ cannot be run here (no Docker engine, no cluster), so what can be read is checked: compose
mounts files that exist and Grafana's provisioning finds the dashboard there; every k8s Deployment has
requests and limits, the worker exposes its metrics port with probes on it, and a PodMonitor scrapes
each Deployment under the job name the alerts use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def _k8s() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / "omnistock.yaml").read_text()) if doc]


def test_every_file_compose_mounts_from_the_repository_exists() -> None:
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"


def test_grafana_is_provisioned_with_the_prometheus_datasource_and_the_dashboard() -> None:
    grafana = _compose()["services"]["grafana"]
    mounts = dict(volume.split(":")[:2] for volume in grafana["volumes"])
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/omnistock.yaml").read_text())
    dashboards_dir = provider["providers"][0]["options"]["path"]
    assert Path(mounts["./grafana/omnistock.json"]).parent == Path(dashboards_dir)
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yaml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    assert "prometheus" in _compose()["services"]


def test_the_workers_in_compose_listen_where_prometheus_can_scrape_them() -> None:
    worker = _compose()["services"]["worker"]
    assert worker["environment"]["OMNISTOCK_WORKER_METRICS_HOST"] == "0.0.0.0"  # noqa: S104


def test_every_k8s_deployment_has_requests_and_limits_and_probes() -> None:
    deployments = [doc for doc in _k8s() if doc["kind"] == "Deployment"]
    assert len(deployments) >= 2
    for deployment in deployments:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), deployment["metadata"]["name"]
            assert {"cpu", "memory"} <= set(resources["limits"]), deployment["metadata"]["name"]
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_a_pod_monitor_scrapes_each_deployment_on_a_named_container_port() -> None:
    docs = _k8s()
    ports = {
        doc["spec"]["template"]["metadata"]["labels"]["app"]: {
            port["name"] for c in doc["spec"]["template"]["spec"]["containers"] for port in c.get("ports", [])
        }
        for doc in docs
        if doc["kind"] == "Deployment"
    }
    monitors = [doc for doc in docs if doc["kind"] == "PodMonitor"]
    scraped = {}
    for monitor in monitors:
        app = monitor["spec"]["selector"]["matchLabels"]["app"]
        assert monitor["spec"]["jobLabel"] == "app"  # job = omnistock-worker / omnistock-api, as the alerts
        scraped[app] = monitor["spec"]["podMetricsEndpoints"][0]["port"]
    assert scraped == {"omnistock-worker": "metrics", "omnistock-api": "http"}
    for app, port in scraped.items():
        assert port in ports[app]
