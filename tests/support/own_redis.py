"""A Redis server of the test's own, on a free port: tests that wipe, stop or restart Redis use it,
never the shared one. With `appendonly`, every write is in the AOF before it is acknowledged."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from omnistock.stack.embedded_redis import answers, server_binary
from omnistock.stack.processes import free_port


class OwnRedis:
    def __init__(self, directory: Path, appendonly: bool) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        command = [
            server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.directory),
        ]
        command += ["--save", "", "--daemonize", "no"]
        command += (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.appendonly else ["--appendonly", "no"]
        )
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory)
        deadline = time.monotonic() + timeout_s
        while not answers(self.url, 0.2):
            assert self.process.poll() is None, f"redis exited: {self.log_tail()}"
            assert time.monotonic() < deadline, f"redis did not answer PING: {self.log_tail()}"
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: the server writes what it holds and exits (as a restart by an operator would)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)

    def restart(self) -> None:
        self.stop()
        self.start()

    def flushall(self) -> None:
        with redis.Redis.from_url(self.url) as client:
            client.flushall()

    def log_tail(self) -> str:
        return (self.directory / "server.log").read_text(errors="replace")[-2000:]


@contextmanager
def own_redis(appendonly: bool = False) -> Iterator[OwnRedis]:
    directory = Path(tempfile.mkdtemp(prefix="omnistock-faults-redis-"))
    server = OwnRedis(directory, appendonly)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
