"""OMNISTOCK_REDIS_WAIT_REPLICAS's pipeline tail: nothing by default, WAIT n last otherwise, and a
shortfall (or an error reply to WAIT) is StoreUnavailable."""

from __future__ import annotations

import pytest
import redis

from core.errors import StoreUnavailable
from omnistock.settings import Settings
from state.replica_wait import NO_WAIT, ReplicaWait


def test_by_default_nothing_is_added_and_the_replies_are_the_calls():
    replies = [1, 2, 3]
    assert NO_WAIT.commands == ()
    assert NO_WAIT.split(replies) == ([1, 2, 3], [])
    assert NO_WAIT.shortfall([], "node") is None


def test_wait_for_one_replica_ends_the_pipeline_and_its_reply_is_kept_apart():
    wait = ReplicaWait(1, 250)
    assert wait.commands == (("WAIT", 1, 250),)
    assert wait.split([b"a", b"b", 1]) == ([b"a", b"b"], [1])
    assert wait.shortfall([1], "node") is None
    assert wait.shortfall([2], "node") is None


def test_fewer_replicas_than_asked_or_an_error_reply_is_store_unavailable():
    wait = ReplicaWait(2, 250)
    short = wait.shortfall([1], "127.0.0.1:7001")
    refused = wait.shortfall([redis.ResponseError("ERR WAIT cannot be used with replica instances")], "n")
    assert isinstance(short, StoreUnavailable)
    assert short.fields["node"] == "127.0.0.1:7001"
    assert isinstance(refused, StoreUnavailable)


def test_the_worker_waits_for_no_replica_unless_the_environment_says_how_many(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.delenv("OMNISTOCK_REDIS_WAIT_REPLICAS", raising=False)
    monkeypatch.delenv("OMNISTOCK_REDIS_WAIT_TIMEOUT_MS", raising=False)
    default = Settings()
    monkeypatch.setenv("OMNISTOCK_REDIS_WAIT_REPLICAS", "1")
    monkeypatch.setenv("OMNISTOCK_REDIS_WAIT_TIMEOUT_MS", "250")
    asked = Settings()
    assert (default.redis_wait_replicas, default.redis_wait_timeout_ms) == (0, 1000)
    assert (asked.redis_wait_replicas, asked.redis_wait_timeout_ms) == (1, 250)
