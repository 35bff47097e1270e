"""Fixtures shared by the suites: the embedded broker and a real Redis, started when needed.

In CI (the CI variable set) a service that cannot start fails the tests that need it; elsewhere it
skips them with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def broker_bootstrap() -> Iterator[str]:
    from omnistock.stack.embedded_broker import EmbeddedBroker

    try:
        broker = EmbeddedBroker()
        broker.__enter__()
    except Exception as error:  # any failure to start is reported with its reason
        unavailable(f"the embedded broker could not start: {error}")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A Redis URL that answers: OMNISTOCK_REDIS_URL or 127.0.0.1:6379, or an embedded server started here."""
    from tests.support.redis_server import redis_url

    try:
        context = redis_url()
        url = context.__enter__()
    except RuntimeError as error:
        unavailable(str(error))
    try:
        yield url
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def redis_url(redis_server_url: str) -> str:
    return redis_server_url


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """The URL of one master of a 3-master Redis Cluster started for the session (any node will do:
    the client discovers the others)."""
    from tests.support.redis_cluster import redis_cluster

    try:
        context = redis_cluster()
        urls = context.__enter__()
    except Exception as error:  # any failure to start is reported with its reason
        unavailable(f"the Redis Cluster could not start: {error}")
    try:
        yield urls[0]
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def prometheus_tools() -> tuple[str, str]:
    """(prometheus, promtool): on PATH, or installed from Debian's package (support/prometheus_tools.py)."""
    from tests.support.prometheus_tools import prometheus_binaries

    try:
        return prometheus_binaries()
    except RuntimeError as error:
        unavailable(str(error))
        raise
