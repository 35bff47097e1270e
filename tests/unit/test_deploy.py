"""deploy/ is checked by reading (no Docker engine or Kubernetes here): every file parses, the compose
profiles name what exists, and the k8s manifests agree with the settings the workers run with."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from omnistock.settings import Settings
from topics.catalog import INPUT_TOPICS, full_name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTING_NAMES = {f"OMNISTOCK_{name.upper()}" for name in Settings.model_fields}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def manifest(kind: str, path: Path) -> dict[str, Any]:
    [found] = [doc for doc in documents(path) if doc["kind"] == kind]
    return found


@pytest.fixture
def compose() -> dict[str, Any]:
    return documents(DEPLOY / "compose.yaml")[0]


@pytest.fixture
def k8s_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings a worker runs with under deploy/k8s/omnistock.yaml's ConfigMap."""
    for name in [name for name in os.environ if name.startswith("OMNISTOCK_")]:
        monkeypatch.delenv(name)
    for name, value in manifest("ConfigMap", DEPLOY / "k8s" / "omnistock.yaml")["data"].items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.parametrize(
    "path", sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"}), ids=str
)
def test_every_yaml_file_of_deploy_parses(path: Path) -> None:
    assert documents(path), f"{path} holds no document"


def test_every_compose_service_runs_an_image_or_the_projects_dockerfile(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        build = service.get("build")
        assert service.get("image") or build, f"{name} has neither image nor build"
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).is_file(), name


def test_every_omnistock_variable_in_compose_is_a_setting(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        unknown = {
            key for key in service.get("environment", {}) if key.startswith("OMNISTOCK_")
        } - SETTING_NAMES
        assert not unknown, f"{name} sets {unknown}, which no setting reads"


def test_the_cluster_profile_runs_six_nodes_joined_with_one_replica_per_master(
    compose: dict[str, Any],
) -> None:
    cluster = {name: s for name, s in compose["services"].items() if "cluster" in s.get("profiles", [])}
    nodes = sorted(
        name for name, s in cluster.items() if s.get("image", "").startswith("redis") and "hostname" in s
    )
    assert len(nodes) == 6
    create = cluster["redis-cluster-create"]
    assert sorted(create["depends_on"]) == nodes
    assert "--cluster-replicas 1" in create["command"][0]
    for name in ("worker-cluster", "api-cluster"):
        env = cluster[name]["environment"]
        assert env["OMNISTOCK_REDIS_CLUSTER"] == "true"
        assert env["OMNISTOCK_REDIS_URL"].split("//")[1].split(":")[0] in nodes
        assert cluster[name]["depends_on"]["redis-cluster-create"] == {
            "condition": "service_completed_successfully"
        }


def test_the_single_and_cluster_profiles_share_only_the_broker_prometheus_and_grafana(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    in_both = {name for name, s in services.items() if not s.get("profiles")}
    assert in_both == {"redpanda", "prometheus", "grafana"}
    assert all(len(s["profiles"]) == 1 for name, s in services.items() if name not in in_both)


def test_the_scaled_object_stops_at_the_partition_count_the_workers_create_topics_with(
    k8s_settings: Settings,
) -> None:
    scaled = manifest("ScaledObject", DEPLOY / "k8s" / "keda.yaml")
    assert scaled["spec"]["maxReplicaCount"] == k8s_settings.topic_partitions


def test_the_scaled_object_scales_the_worker_deployment_on_its_group_lag_on_every_input_topic(
    k8s_settings: Settings,
) -> None:
    scaled = manifest("ScaledObject", DEPLOY / "k8s" / "keda.yaml")
    deployments = [d for d in documents(DEPLOY / "k8s" / "omnistock.yaml") if d["kind"] == "Deployment"]
    worker = next(
        d for d in deployments if d["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]
    )
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    triggers = [t["metadata"] for t in scaled["spec"]["triggers"] if t["type"] == "kafka"]
    assert {t["consumerGroup"] for t in triggers} == {k8s_settings.group_id}
    assert {t["bootstrapServers"] for t in triggers} == {k8s_settings.broker}
    wanted = {full_name(k8s_settings.topic_prefix, spec.name) for spec in INPUT_TOPICS}
    assert sorted(t["topic"] for t in triggers) == sorted(wanted)


def test_the_k8s_redis_cluster_is_six_nodes_with_aof_noeviction_and_a_join_job() -> None:
    path = DEPLOY / "k8s" / "redis-cluster.yaml"
    service, nodes = manifest("Service", path), manifest("StatefulSet", path)
    assert service["spec"]["clusterIP"] == "None"
    assert nodes["spec"]["serviceName"] == service["metadata"]["name"]
    assert nodes["spec"]["replicas"] == 6
    conf = manifest("ConfigMap", path)["data"]["redis.conf"].split("\n")
    assert {"cluster-enabled yes", "appendonly yes", "maxmemory-policy noeviction"} <= set(conf)
    job = manifest("Job", path)["spec"]["template"]["spec"]["containers"][0]
    assert "--cluster-replicas 1" in job["args"][0]
