"""Where a benchmark's cores went: CPU used by each process of the run between two marks."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping

import redis

from omnistock.bench.load_client import cpu_seconds

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class CpuMeter:
    """CPU seconds per named process (pid) since the last `mark()`, as % of one core; unknown pids
    (another host, a finished process) are left out. The bench's own process is always measured."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self._pids = {**pids, "this bench": os.getpid()}
        self._start: dict[str, float] = {}
        self._wall = time.monotonic()

    def mark(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        self._wall = time.monotonic()

    def shares(self) -> dict[str, float]:
        """name -> % of one core since the mark."""
        wall = time.monotonic() - self._wall
        used = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        return {
            name: (seconds - self._start[name]) / wall * 100
            for name, seconds in used.items()
            if wall > 0 and seconds >= 0 and self._start.get(name, -1.0) >= 0
        }


def cpu_line(shares: Mapping[str, float], cores: int | None = None) -> str:
    """'CPU, % of one core: broker 91, worker 88, ...; 197 of the 200 that 2 cores give'."""
    cores = cores or os.cpu_count() or 1
    parts = ", ".join(f"{name} {share:.0f}" for name, share in shares.items())
    total = sum(shares.values())
    return f"CPU, % of one core: {parts}; {total:.0f} of the {cores * 100} that {cores} cores give"


def local_redis_pid(client: redis.Redis) -> dict[str, int]:
    """{"Redis": its pid} when the server is on this machine (a pid from elsewhere would name some
    process here), else {}."""
    if client.connection_pool.connection_kwargs.get("host") not in LOCAL_HOSTS:
        return {}
    with contextlib.suppress(redis.RedisError, KeyError, ValueError):
        return {"Redis": int(client.info("server")["process_id"])}
    return {}
