"""The API on its own Redis server, stopped or frozen mid-run: 503 with Retry-After in bounded time."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from omnistock.settings import Settings
from omnistock.stack.embedded_redis import EmbeddedRedis, ensure_redis
from omnistock.wiring.api import api_app

DEADLINE_S = 0.5
BOUND_S = 2.0  # the deadline, and room for a loaded machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    """A server of this test only (the shared one on 6379 is never stopped)."""
    try:
        server = ensure_redis(f"redis://127.0.0.1:{free_port()}/0")
    except Exception as error:  # no server binary here: nothing to stop
        pytest.skip(f"no Redis server could be started: {error}")
    assert server is not None
    yield server
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)  # a frozen server must run again to terminate
    server.stop()


def answers_before_and_after(server: EmbeddedRedis, stop: str) -> tuple[int, httpx.Response, float]:
    """The status of a GET while Redis is fine, then the answer and its time once `stop` happened."""

    async def run() -> tuple[int, httpx.Response, float]:
        settings = Settings(redis_url=server.url, redis_prefix="t-stop:", api_redis_deadline_s=DEADLINE_S)
        transport = httpx.ASGITransport(app=api_app(settings, registry=CollectorRegistry()))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            before = (await client.get("/v1/availability/SKU-S")).status_code
            if stop == "frozen":
                os.kill(server.process.pid, signal.SIGSTOP)
            else:
                server.stop()
            started = time.monotonic()
            after = await asyncio.wait_for(client.get("/v1/availability/SKU-S"), 30)
            return before, after, time.monotonic() - started

    return asyncio.run(run())


@pytest.mark.parametrize("stop", ["stopped", "frozen"])
def test_a_redis_that_stops_or_freezes_gives_503_with_retry_after_within_the_deadline(
    own_redis: EmbeddedRedis, stop: str
) -> None:
    before, after, took_s = answers_before_and_after(own_redis, stop)

    assert before == 404  # the read reached Redis: no such sku
    assert after.status_code == 503
    assert after.json()["error"] == "store_unavailable"
    assert after.headers["Retry-After"] == "1"
    assert took_s < BOUND_S
