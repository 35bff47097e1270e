"""Redis Clusters for the tests, on the stack's embedded cluster nodes (omnistock/stack/embedded_cluster.py,
shared with `omnistock bench worker --cluster`): 3 masters joined without redis-cli; with `replicas`,
each master gets that many replicas (CLUSTER REPLICATE), for the failover tests."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from omnistock.stack.embedded_cluster import ClusterNode, join, slot_ranges, state_ok, text

__all__ = ["SLOT_RANGES", "Cluster", "ClusterNode", "join", "redis_cluster", "replicate", "started_cluster"]

SLOT_RANGES = tuple(slot_ranges(3))  # the masters' slots of the 3-master test cluster, first and last


def _knows(node: ClusterNode, node_id: str) -> bool:
    with node.client() as client:
        return node_id in text(client.execute_command("CLUSTER", "NODES"))


def replicate(replica: ClusterNode, master: ClusterNode, timeout_s: float = 20.0) -> None:
    """Makes `replica` (already MET) a replica of `master`, and waits until its link is up (synced)."""
    master_id = master.node_id()
    deadline = time.monotonic() + timeout_s
    while not _knows(replica, master_id):  # CLUSTER REPLICATE needs the master in the node's table
        if time.monotonic() > deadline:
            raise RuntimeError(f"node {replica.port} never learnt of master {master.port}")
        time.sleep(0.05)
    with replica.client() as client:
        client.execute_command("CLUSTER", "REPLICATE", master_id)
    while not replica.synced():
        if time.monotonic() > deadline:
            raise RuntimeError(f"replica {replica.port} did not sync: {replica.log_tail()}")
        time.sleep(0.05)


@dataclass
class Cluster:
    """The nodes of a running test cluster: `masters[i]` owns `slot_ranges(len(masters))[i]`, and
    `replicas[i]` are its replicas."""

    masters: list[ClusterNode]
    replicas: list[list[ClusterNode]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.masters[0].url

    def wait_promoted(self, replica: ClusterNode, timeout_s: float = 30.0) -> float:
        """Seconds until `replica` is a master and the cluster answers cluster_state:ok from it."""
        started = time.monotonic()
        while not (replica.role() == "master" and state_ok(replica)):
            if time.monotonic() - started > timeout_s:
                raise RuntimeError(f"replica {replica.port} was not promoted: {replica.log_tail()}")
            time.sleep(0.05)
        return time.monotonic() - started


@contextmanager
def started_cluster(masters: int = 3, replicas: int = 0, node_timeout_ms: int = 15_000) -> Iterator[Cluster]:
    """A cluster of `masters` (each with `replicas` replicas), every node stopped and removed after."""
    directory = Path(tempfile.mkdtemp(prefix="omnistock-cluster-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, ignore_errors=True)

        def node(name: str) -> ClusterNode:
            started = ClusterNode(directory / name, node_timeout_ms)
            started.directory.mkdir()
            stack.callback(started.stop)
            started.start()
            return started

        cluster = Cluster([node(f"node-{index}") for index in range(masters)])
        cluster.replicas = [[node(f"node-{m}-r{r}") for r in range(replicas)] for m in range(masters)]
        join(cluster.masters)
        with cluster.masters[0].client() as client:
            for replica in (r for group in cluster.replicas for r in group):
                client.execute_command("CLUSTER", "MEET", "127.0.0.1", replica.port, replica.bus_port)
        for master, group in zip(cluster.masters, cluster.replicas, strict=True):
            for replica in group:
                replicate(replica, master)
        yield cluster


@contextmanager
def redis_cluster(masters: int = 3, replicas: int = 0) -> Iterator[list[str]]:
    """Yields the masters' URLs once every node says cluster_state:ok; raises RuntimeError if not."""
    with started_cluster(masters, replicas) as cluster:
        yield [node.url for node in cluster.masters]
