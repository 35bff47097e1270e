"""Every end-to-end module runs twice: on one Redis (one worker) and on a 3-master Redis Cluster with two
workers in the group, so the cluster is held to the same behaviour as the single server (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack


@dataclass(frozen=True)
class StoreBackend:
    """Where a stack keeps its state, the settings that say so, and how many workers share the group."""

    name: str
    url: str
    workers: int
    settings: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def stack(self, bootstrap: str, network: Path, logs: Path, **settings: str) -> Iterator[Stack]:
        """The worker(s) and the API on this backend, with the test's own settings added."""
        settings = {**self.settings, **settings}
        with running_stack(bootstrap, self.url, network, logs, self.workers, **settings) as s:
            yield s


@pytest.fixture(scope="module", params=["redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> StoreBackend:
    if request.param == "redis":
        return StoreBackend("redis", request.getfixturevalue("redis_url"), workers=1)
    url = request.getfixturevalue("redis_cluster_url")
    return StoreBackend("cluster", url, workers=2, settings={"redis_cluster": "true"})
