"""1,000 SSE streams open at once on one `omnistock api` process (real uvicorn, real Redis): each
receives its sku's change. Takes ~10-20 s on a loaded 2-core machine (printed with -s)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from core.movements import LocationFigures
from omnistock.stack.redis_keys import delete_prefix
from state.change_stream import ChangeStream, changes_key

pytestmark = pytest.mark.redis
STREAMS = 1_000
BOUND_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    prefix = f"t-{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


@pytest.fixture
def api_port(redis_url: str, prefix: str, tmp_path: Path) -> Iterator[int]:
    """`omnistock api` in its own process, on a free port, with the shared Redis under `prefix`; its
    log is printed when the test fails (pytest shows captured output)."""
    port = free_port()
    env = {**os.environ, "OMNISTOCK_REDIS_URL": redis_url, "OMNISTOCK_REDIS_PREFIX": prefix}
    command = [sys.executable, "-m", "omnistock", "api", "--port", str(port)]
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        print((tmp_path / "api.log").read_text(errors="replace")[-3000:])  # noqa: T201


async def open_stream(port: int, sku: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A stream connected and answered (200 and its first block): its position is fixed from here."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /v1/availability/stream?sku={sku} HTTP/1.1\r\nHost: api\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    await reader.readuntil(b"retry: ")
    return reader, writer


async def first_change(reader: asyncio.StreamReader) -> bytes:
    received = await reader.readuntil(b"event: availability")
    return received + await reader.readuntil(b"}\n\n")


async def crowd(port: int, writer: ChangeStream) -> list[bytes]:
    skus = [f"S-{n}" for n in range(STREAMS)]
    opened = await asyncio.gather(*(open_stream(port, sku) for sku in skus))
    figures = LocationFigures("dc-1", 5, 0, 0, 0, 0, 5)
    await asyncio.to_thread(writer.append, [(sku, figures, n) for n, sku in enumerate(skus)])
    try:
        return await asyncio.gather(*(first_change(reader) for reader, _ in opened))
    finally:
        for _, connection in opened:
            connection.close()


def test_a_thousand_streams_on_one_process_each_receive_their_skus_change(
    redis_url: str, prefix: str, api_port: int
) -> None:
    writer = ChangeStream(redis.Redis.from_url(redis_url), changes_key(prefix))
    started = time.monotonic()

    received = asyncio.run(asyncio.wait_for(crowd(api_port, writer), BOUND_S))

    print(f"{STREAMS} streams opened and served in {time.monotonic() - started:.1f} s")  # noqa: T201
    assert len(received) == STREAMS
    for n, change in enumerate(received):
        assert f'"sku":"S-{n}"'.encode() in change
        assert f'"network_atp":{n}}}'.encode() in change
