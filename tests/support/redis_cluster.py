"""A 3-master Redis Cluster of the tests' own on free loopback ports, joined without redis-cli."""

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

SLOT_RANGES = ((0, 5460), (5461, 10922), (10923, 16383))


class ClusterNode:
    """One cluster-enabled server (no persistence) in its own directory."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.bus_port = free_port()  # its own (port + 10000 would overflow for a high free port)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        command = [server_binary(), "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--dir", str(self.directory), "--daemonize", "no", "--save", "", "--appendonly", "no"]
        command += ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{self.port}.conf"]
        command += ["--cluster-port", str(self.bus_port)]
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
    text = info.decode() if isinstance(info, bytes) else str(info)
    return "cluster_state:ok" in text


@contextmanager
def redis_cluster(masters: int = 3) -> Iterator[list[str]]:
    """Yields the masters' URLs once every node says cluster_state:ok; raises RuntimeError if not."""
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
        yield [node.url for node in nodes]
