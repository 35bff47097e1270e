"""The second process of `omnistock bench api`: open-loop GET / POST / raw HGETALL at a steady rate.

Run as `python -m omnistock.bench.load_client '<json spec>'`; prints one JSON list of phase summaries.
Each request is timed from its scheduled send time, so a slow answer that delays the next sends
counts against every request it delayed (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from omnistock.bench.latency import PhaseSummary, schedule, summarize
from state import keys

Request = Callable[[int], Awaitable[bool]]  # request i -> answered as expected


def sku_name(i: int) -> str:
    return f"SKU-{i:05d}"


@dataclass(slots=True)
class Tally:
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    errors: int = 0


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: sends a prebuilt request, reads one Content-Length answer."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, raw: bytes) -> int:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            return int(head.split(b" ", 2)[1])
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            self.close()
            return 0

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def open_loop(
    make: Callable[[], Request], count: int, rate: float, connections: int, limit_s: float
) -> tuple[Tally, float]:
    """Sends `count` requests at `rate` over `connections` concurrent senders; stops at `limit_s`.

    A thread releases each request at its due time: asyncio's own timers wake in whole milliseconds
    (epoll), which would add up to 1 ms of client lateness to every request at 1k req/s."""
    due = schedule(count, rate)
    queue: asyncio.Queue[int] = asyncio.Queue()
    tally, start, loop = Tally(), time.perf_counter(), asyncio.get_running_loop()
    halt = threading.Event()

    def release() -> None:
        for i in [*range(count), *[-1] * connections]:
            delay = start + due[i] - time.perf_counter() if i >= 0 else 0
            if delay > 0:
                time.sleep(delay)
            if halt.is_set():
                return
            loop.call_soon_threadsafe(queue.put_nowait, i)

    async def sender(request: Request) -> None:
        while (i := await queue.get()) >= 0:
            sent = time.perf_counter()
            ok = await request(i)
            done = time.perf_counter()
            if ok:
                tally.latencies.append(done - start - due[i])
                tally.lags.append(sent - start - due[i])
            else:
                tally.errors += 1

    senders = [asyncio.create_task(sender(make())) for _ in range(connections)]
    releaser = threading.Thread(target=release, name="load-schedule", daemon=True)
    releaser.start()
    _done, late = await asyncio.wait(senders, timeout=limit_s)
    halt.set()
    for task in late:
        task.cancel()
    releaser.join(1.0)
    return tally, time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (Linux); -1 when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1.0


def sending(host: str, port: int, raws: list[bytes]) -> Callable[[], Request]:
    """Per connection, a request that sends the i-th prepared raw request (round robin) and checks 200."""

    def make() -> Request:
        conn = HttpConnection(host, port)

        async def request(i: int) -> bool:
            return await conn.send(raws[i % len(raws)]) == 200

        return request

    return make


def _http_get(host: str, port: int, skus: list[str]) -> Callable[[], Request]:
    raws = [f"GET /v1/availability/{s} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for s in skus]

    return sending(host, port, raws)


def _http_post(host: str, port: int, batches: list[list[str]]) -> Callable[[], Request]:
    raws = []
    for skus in batches:
        body = orjson.dumps({"skus": skus})
        head = f"POST /v1/availability HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        raws.append(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)

    return sending(host, port, raws)


def _redis_hgetall(client: aioredis.Redis, prefix: str, skus: list[str]) -> Callable[[], Request]:
    names = [keys.stock(prefix, s) for s in skus]

    def make() -> Request:
        async def request(i: int) -> bool:
            return bool(await client.hgetall(names[i % len(names)]))

        return request

    return make


async def phase(
    name: str, make: Callable[[], Request], spec: dict[str, Any], count: int, share: float = 1.0
) -> PhaseSummary:
    """`count` requests at the spec's rate times `share`. The server's CPU is that of `server_pids`
    (or `server_pid`) together; `cpu_pids` (name -> pid) and this load client are measured apart."""
    rate = float(spec["rate"]) * share
    servers = [int(pid) for pid in spec.get("server_pids") or [spec["server_pid"]]]
    named = {**{str(k): int(v) for k, v in spec.get("cpu_pids", {}).items()}, "load client": os.getpid()}
    cpu_before, wall_before = [cpu_seconds(pid) for pid in servers], time.perf_counter()
    named_before = {k: cpu_seconds(pid) for k, pid in named.items()}
    limit = count / rate + float(spec.get("grace_s", 10.0))
    tally, elapsed = await open_loop(make, count, rate, int(spec.get("connections", 16)), limit)
    wall = time.perf_counter() - wall_before
    cpu_after = [cpu_seconds(pid) for pid in servers]
    known = all(before >= 0 for before in cpu_before)
    cpu = (sum(cpu_after) - sum(cpu_before)) / wall if known else -1.0
    shares = {k: (cpu_seconds(pid) - named_before[k]) / wall * 100 for k, pid in named.items()}
    failed = count - len(tally.latencies)  # error answers and requests unanswered within the limit
    shares = {k: v for k, v in shares.items() if named_before[k] >= 0}
    return summarize(name, count, tally.latencies, tally.lags, failed, elapsed, cpu, shares, rate)


async def run(spec: dict[str, Any]) -> list[PhaseSummary]:
    """Warm-up, then raw HGETALL and GET of one sku, each `requests` at `rate`; then POST of 5 skus,
    half as many at half the rate (a 5-sku read costs the API about twice a GET)."""
    rng = random.Random(int(spec.get("seed", 3)))  # noqa: S311 - a reproducible load, not a secret
    skus = [sku_name(rng.randint(1, int(spec["sku_count"]))) for _ in range(10_000)]
    batches = [skus[i : i + 5] for i in range(0, len(skus), 5)]
    host, port, count, rate = "127.0.0.1", int(spec["port"]), int(spec["requests"]), float(spec["rate"])
    client = aioredis.Redis.from_url(spec["redis_url"], max_connections=64)
    try:
        get = _http_get(host, port, skus)
        await phase("warm-up", get, spec, min(count, 1000))
        phases = [
            await phase(
                f"raw Redis HGETALL at {rate:.0f}/s",
                _redis_hgetall(client, spec["prefix"], skus),
                spec,
                count,
            ),
            await phase(f"GET one sku at {rate:.0f}/s", get, spec, count),
            await phase(
                f"POST 5 skus at {rate / 2:.0f}/s", _http_post(host, port, batches), spec, count // 2, 0.5
            ),
        ]
    finally:
        await client.aclose()
    return phases


def main(
    argv: list[str], phases_of: Callable[[dict[str, Any]], Coroutine[Any, Any, list[PhaseSummary]]] = run
) -> int:
    """Runs the phases of the JSON spec in argv[0]; prints their summaries as one JSON list."""
    spec = orjson.loads(argv[0])
    sys.setswitchinterval(0.0005)  # the release thread must not wait 5 ms for the GIL
    phases = asyncio.run(phases_of(spec))
    sys.stdout.write(orjson.dumps([p.to_json() for p in phases]).decode() + "\n")
    return 0


def load_phases(module: str, spec: dict[str, object], timeout_s: float) -> list[PhaseSummary]:
    """Runs `python -m module <spec>` (a load client like this one) and reads back its phases."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, orjson.dumps(spec).decode()],
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load client failed: {done.stderr.decode()[-2000:]}")
    return [PhaseSummary.from_json(p) for p in orjson.loads(done.stdout)]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
