"""OMNISTOCK_REDIS_CLUSTER: off by default; the parts that do not run on a cluster yet refuse it."""

from __future__ import annotations

import pytest

from omnistock.settings import Settings
from omnistock.wiring.api import api_redis


def test_the_cluster_setting_is_off_unless_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNISTOCK_REDIS_CLUSTER", raising=False)
    assert Settings().redis_cluster is False
    monkeypatch.setenv("OMNISTOCK_REDIS_CLUSTER", "true")
    assert Settings().redis_cluster is True


def test_the_api_refuses_a_cluster_rather_than_read_one_node_as_the_whole_store() -> None:
    with pytest.raises(RuntimeError, match="the API does not run on a Redis Cluster yet"):
        api_redis(Settings(redis_cluster=True), read_timeout_s=1.0)
