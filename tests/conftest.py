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
    from omnistock.embedded_broker import EmbeddedBroker

    try:
        broker = EmbeddedBroker()
        broker.__enter__()
    except Exception as error:  # any failure to start is reported with its reason
        unavailable(f"the embedded broker could not start: {error}")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
