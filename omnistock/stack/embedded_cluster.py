"""A Redis Cluster of throwaway masters on free loopback ports, joined without redis-cli.

Started from the same valkey-server / redis-server binary as the embedded Redis (no persistence):
the tests' cluster fixture and `omnistock bench worker --cluster` share it. Each node is its own
process, so a bench can read each shard's CPU from /proc.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis

from omnistock.stack.embedded_redis import answers, server_binary
from omnistock.stack.processes import free_port

SLOTS = 16384


def slot_ranges(masters: int) -> list[tuple[int, int]]:
    """The 16384 slots cut into `masters` contiguous ranges as even as can be (first, last inclusive)."""
    edges = [SLOTS * i // masters for i in range(masters + 1)]
    return [(edges[i], edges[i + 1] - 1) for i in range(masters)]


class ClusterNode:
    """One cluster-enabled server (no persistence) in its own directory."""

    def __init__(self, directory: Path, node_timeout_ms: int = 15_000) -> None:
        self.node_timeout_ms = node_timeout_ms  # how long a master may be silent before it is failed
        self.port = free_port()
        self.bus_port = free_port()  # its own (port + 10000 would overflow for a high free port)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (-1 before it started)."""
        return -1 if self.process is None else self.process.pid

    def start(self, timeout_s: float = 15.0) -> None:
        command = [server_binary(), "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--dir", str(self.directory), "--daemonize", "no", "--save", "", "--appendonly", "no"]
        command += ["--repl-diskless-sync-delay", "0"]  # a replica syncs at once, not 5 s later
        command += ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{self.port}.conf"]
        command += ["--cluster-port", str(self.bus_port), "--cluster-node-timeout", str(self.node_timeout_ms)]
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the project's own server binary
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
            return text(client.execute_command("CLUSTER", "MYID"))

    def role(self) -> str:
        """ "master" or "slave" (ROLE's first word); "" when the node does not answer."""
        try:
            with self.client() as client:
                return text(client.execute_command("ROLE")[0])
        except (redis.ConnectionError, redis.TimeoutError):
            return ""

    def synced(self) -> bool:
        """A replica whose link to its master is up (the initial sync done)."""
        with self.client() as client:
            return bool(client.info("replication").get("master_link_status") == "up")

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def log_tail(self) -> str:
        return (self.directory / "server.log").read_text(errors="replace")[-2000:]


def join(nodes: list[ClusterNode], timeout_s: float = 20.0) -> None:
    """Gives each master its slot range, introduces them to the first, waits for cluster_state:ok."""
    for node, (first, last) in zip(nodes, slot_ranges(len(nodes)), strict=True):
        with node.client() as client:
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
    with nodes[0].client() as client:
        for node in nodes[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port)
    deadline = time.monotonic() + timeout_s
    while not all(state_ok(node) for node in nodes):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cluster did not reach cluster_state:ok: {nodes[0].log_tail()}")
        time.sleep(0.05)


def state_ok(node: ClusterNode) -> bool:
    with node.client() as client:
        info = client.execute_command("CLUSTER", "INFO")
    return "cluster_state:ok" in text(info)


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@contextmanager
def embedded_cluster(masters: int = 3) -> Iterator[list[ClusterNode]]:
    """Yields the masters once every node says cluster_state:ok (raises RuntimeError if not); stops
    them and removes their directories on exit."""
    directory = Path(tempfile.mkdtemp(prefix="omnistock-cluster-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        nodes = []
        for index in range(masters):
            node = ClusterNode(directory / f"node-{index}")
            node.directory.mkdir()
            stack.callback(node.stop)
            node.start()
            nodes.append(node)
        join(nodes)
        yield nodes
