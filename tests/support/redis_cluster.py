"""A 3-master Redis Cluster of the tests' own on free loopback ports, joined without redis-cli; with
`replicas`, each master gets that many replicas (CLUSTER REPLICATE), for the failover tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from omnistock.stack.embedded_redis import answers, server_binary
from omnistock.stack.processes import free_port

SLOT_RANGES = ((0, 5460), (5461, 10922), (10923, 16383))


class ClusterNode:
    """One cluster-enabled server (no persistence) in its own directory."""

    def __init__(self, directory: Path, node_timeout_ms: int = 15_000) -> None:
        self.node_timeout_ms = node_timeout_ms  # how long a master may be silent before it is failed
        self.port = free_port()
        self.bus_port = free_port()  # its own (port + 10000 would overflow for a high free port)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        command = [server_binary(), "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--dir", str(self.directory), "--daemonize", "no", "--save", "", "--appendonly", "no"]
        command += ["--repl-diskless-sync-delay", "0"]  # a replica syncs at once, not 5 s later
        command += ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{self.port}.conf"]
        command += ["--cluster-port", str(self.bus_port), "--cluster-node-timeout", str(self.node_timeout_ms)]
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the tests' own server binary
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
            )
        deadline = time.monotonic() + timeout_s
        while not answers(self.url, 0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cluster node {self.port} did not answer PING: {self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the cluster, whatever was not sent to its replica is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)

    def node_id(self) -> str:
        with self.client() as client:
            return _text(client.execute_command("CLUSTER", "MYID"))

    def role(self) -> str:
        """ "master" or "slave" (ROLE's first word); "" when the node does not answer."""
        try:
            with self.client() as client:
                return _text(client.execute_command("ROLE")[0])
        except (redis.ConnectionError, redis.TimeoutError):
            return ""

    def synced(self) -> bool:
        """A replica whose link to its master is up (the initial sync done)."""
        with self.client() as client:
            return client.info("replication").get("master_link_status") == "up"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def log_tail(self) -> str:
        return (self.directory / "server.log").read_text(errors="replace")[-2000:]


def join(nodes: list[ClusterNode], timeout_s: float = 20.0) -> None:
    """Gives each master its slot range, introduces them to the first, waits for cluster_state:ok."""
    for node, (first, last) in zip(nodes, SLOT_RANGES, strict=True):
        with node.client() as client:
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
    with nodes[0].client() as client:
        for node in nodes[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port)
    deadline = time.monotonic() + timeout_s
    while not all(_state_ok(node) for node in nodes):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cluster did not reach cluster_state:ok: {nodes[0].log_tail()}")
        time.sleep(0.05)


def _state_ok(node: ClusterNode) -> bool:
    with node.client() as client:
        info = client.execute_command("CLUSTER", "INFO")
    return "cluster_state:ok" in _text(info)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _knows(node: ClusterNode, node_id: str) -> bool:
    with node.client() as client:
        return node_id in _text(client.execute_command("CLUSTER", "NODES"))


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
    """The nodes of a running test cluster: `masters[i]` owns SLOT_RANGES[i], `replicas[i]` are its."""

    masters: list[ClusterNode]
    replicas: list[list[ClusterNode]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.masters[0].url

    def wait_promoted(self, replica: ClusterNode, timeout_s: float = 30.0) -> float:
        """Seconds until `replica` is a master and the cluster answers cluster_state:ok from it."""
        started = time.monotonic()
        while not (replica.role() == "master" and _state_ok(replica)):
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
