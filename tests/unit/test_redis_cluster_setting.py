"""OMNISTOCK_REDIS_CLUSTER: off by default; the API's client and the change log's streams follow it."""

from __future__ import annotations

import pytest
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

from omnistock.settings import Settings
from omnistock.wiring.api import api_redis


def test_the_cluster_setting_is_off_unless_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNISTOCK_REDIS_CLUSTER", raising=False)
    assert Settings().redis_cluster is False
    monkeypatch.setenv("OMNISTOCK_REDIS_CLUSTER", "true")
    assert Settings().redis_cluster is True


def test_on_a_cluster_the_api_reads_through_a_cluster_client_which_discovers_the_nodes() -> None:
    client = api_redis(Settings(redis_cluster=True), read_timeout_s=1.0)  # nothing connects yet

    assert isinstance(client, AsyncRedisCluster)


def test_the_change_log_is_one_stream_on_one_redis_and_sixteen_on_a_cluster_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OMNISTOCK_CHANGE_STREAMS", raising=False)
    assert Settings(redis_cluster=False).change_stream_count == 1
    assert Settings(redis_cluster=True).change_stream_count == 16
    monkeypatch.setenv("OMNISTOCK_CHANGE_STREAMS", "4")
    assert Settings(redis_cluster=True).change_stream_count == 4
