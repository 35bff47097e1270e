"""A 3-master Redis Cluster for the tests: the stack's embedded cluster (omnistock/stack/embedded_cluster.py,
shared with `omnistock bench worker --cluster`), yielding the masters' URLs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from omnistock.stack.embedded_cluster import ClusterNode, embedded_cluster, join, slot_ranges

__all__ = ["ClusterNode", "join", "redis_cluster", "slot_ranges"]


@contextmanager
def redis_cluster(masters: int = 3) -> Iterator[list[str]]:
    """Yields the masters' URLs once every node says cluster_state:ok; raises RuntimeError if not."""
    with embedded_cluster(masters) as nodes:
        yield [node.url for node in nodes]
