"""`omnistock api` on a scratch Redis prefix for the HTTP benches: seeded, started, stopped, cleaned up."""

from __future__ import annotations

import os
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
    port: int
    pid: int
    prefix: str


@contextmanager
def api_on_scratch_prefix(
    settings: Settings, name: str, seed: Callable[[redis.Redis, str], None]
) -> Iterator[RunningApi]:
    """A fresh `<name>-<id>:` prefix seeded by `seed(client, prefix)`, and `omnistock api` serving it.
    Pointing OMNISTOCK_REDIS_URL at a port where nothing answers starts a private server for the run,
    which keeps other users of a shared Redis out of the figures. Everything is removed on exit."""
    prefix = f"{name}-{uuid.uuid4().hex[:8]}:"
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    api = None
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the HTTP run")
    try:
        seed(client, prefix)
        port = free_port()
        env = {
            "OMNISTOCK_REDIS_URL": settings.redis_url,
            "OMNISTOCK_REDIS_PREFIX": prefix,
            "OMNISTOCK_LOG_LEVEL": "WARNING",
        }
        if settings.network_file:
            env["OMNISTOCK_NETWORK_FILE"] = settings.network_file
        api = start_omnistock(["api", "--port", str(port)], env, RUN_DIR / "api.log")
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", 30, api)
        yield RunningApi(port, api.pid, prefix)
    finally:
        if api is not None:
            stop(api)
        delete_prefix(client, prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
