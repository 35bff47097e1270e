"""`omnistock api` on a scratch Redis prefix for the HTTP benches: seeded, started, stopped, cleaned up."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from omnistock.bench.worker import RUN_DIR
from omnistock.settings import Settings
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_http_ok
from omnistock.stack.redis_keys import delete_prefix


@dataclass(frozen=True, slots=True)
class RunningApi:
    """The API processes of a run (one port each; `port` and `pid` are the first's)."""

    ports: tuple[int, ...]
    pids: tuple[int, ...]
    prefix: str

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def pid(self) -> int:
        return self.pids[0]


@contextmanager
def api_on_scratch_prefix(
    settings: Settings, name: str, seed: Callable[[redis.Redis, str], None], processes: int = 1
) -> Iterator[RunningApi]:
    """A fresh `<name>-<id>:` prefix seeded by `seed(client, prefix)`, and `processes` of `omnistock api`
    serving it, each on a port of its own (a load client spreads its connections over them, as a load
    balancer would).
    Pointing OMNISTOCK_REDIS_URL at a port where nothing answers starts a private server for the run,
    which keeps other users of a shared Redis out of the figures. Everything is removed on exit."""
    prefix = f"{name}-{uuid.uuid4().hex[:8]}:"
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    apis: list[subprocess.Popen[bytes]] = []
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the HTTP run")
    try:
        seed(client, prefix)
        env = {
            "OMNISTOCK_REDIS_URL": settings.redis_url,
            "OMNISTOCK_REDIS_PREFIX": prefix,
            "OMNISTOCK_LOG_LEVEL": "WARNING",
        }
        if settings.network_file:
            env["OMNISTOCK_NETWORK_FILE"] = settings.network_file
        ports = tuple(free_port() for _ in range(processes))
        for port in ports:
            apis.append(start_omnistock(["api", "--port", str(port)], env, RUN_DIR / "api.log"))
        for port, api in zip(ports, apis, strict=True):
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", 30, api)
        yield RunningApi(ports, tuple(api.pid for api in apis), prefix)
    finally:
        for api in apis:
            stop(api)
        delete_prefix(client, prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
