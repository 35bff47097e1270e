"""One phase of `omnistock bench worker --cluster`: N worker processes in one consumer group on fresh
topics, on one Redis or on a cluster; their events/s and the CPU each process used meanwhile.

The events are produced once every worker holds partitions (a worker that started first would
otherwise have the stream to itself until the group rebalanced), so the producer runs during the
window's first part; the window runs from the first event consumed to the last. CPU is read from
/proc per process (utime + stime) over that same window: each worker, each Redis server, the broker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Producer

from omnistock.bench.cpu_meter import CpuMeter
from omnistock.bench.kafka import worker_env
from omnistock.kafka_admin import create_topics
from omnistock.settings import Settings
from omnistock.stack.processes import free_port, stop, wait_worker_assigned
from omnistock.stack.worker_metrics import BENCH_SCRAPE_GAP_S, scrape_gauge, scrape_totals
from topics.catalog import all_topic_names

RUN_DIR = Path(".omnistock/bench")
WORKER = ["-m", "omnistock", "worker"]  # the real worker on both setups (OMNISTOCK_REDIS_CLUSTER says which)
Record = tuple[str, bytes, bytes]  # topic (base name), key, value


@dataclass(frozen=True)
class Backend:
    """Where the workers keep their state: a URL, whether it is a cluster, and the servers' pids by name."""

    name: str
    url: str
    cluster: bool
    servers: Mapping[str, int]


@dataclass(frozen=True)
class PhaseResult:
    """Events/s over the window and each process's share of one core (%) over it."""

    label: str
    rate: float
    seconds: float
    cpu: Mapping[str, float]

    def us_per_event(self, names: Sequence[str]) -> float:
        """CPU µs per event of the named processes together (a share of one core at `rate`)."""
        return sum(self.cpu.get(name, 0.0) for name in names) * 10_000 / self.rate if self.rate else 0.0


def produce(bootstrap: str, topic_prefix: str, records: Sequence[Record]) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 1_000_000}
    )
    for topic, key, value in records:
        while True:
            try:
                producer.produce(topic_prefix + topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *command],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_group_settled(urls: list[str], workers: list[subprocess.Popen[bytes]], timeout_s: float) -> None:
    """Until every worker holds partitions at once (the group's rebalance is over), twice 1 s apart."""
    for url, worker in zip(urls, workers, strict=True):
        wait_worker_assigned(url, timeout_s, worker)
    deadline, seen = time.monotonic() + timeout_s, 0
    while seen < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the {len(workers)} workers did not all hold partitions in {timeout_s:.0f} s")
        all_hold = all(scrape_gauge(url, "omnistock_worker_assigned_partitions") > 0 for url in urls)
        seen = seen + 1 if all_hold else 0
        time.sleep(1.0)


@dataclass(frozen=True)
class Phase:
    """A phase's result, and where it ran: its topics hold the records (a raw run reads them after),
    its Redis prefix the table the workers built."""

    result: PhaseResult
    topic_prefix: str
    redis_prefix: str


def run_phase(
    settings: Settings,
    backend: Backend,
    workers: int,
    records: Sequence[Record],
    broker_pid: int,
    timeout_s: float = 600.0,
) -> Phase:
    """Runs `workers` workers over `records` on fresh topics."""
    run = uuid.uuid4().hex[:8]
    topic_prefix, redis_prefix, group = f"bench-{run}.", f"bench-omni-{run}:", f"bench-worker-{run}"
    create_topics(settings.broker, all_topic_names(topic_prefix), settings.topic_partitions)
    ports = [free_port() for _ in range(workers)]
    urls = [f"http://127.0.0.1:{port}/metrics" for port in ports]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for i, port in enumerate(ports):
            env = worker_env(settings, topic_prefix, redis_prefix, port, group)
            env |= {"OMNISTOCK_GROUP_ID": group, "OMNISTOCK_REDIS_URL": backend.url}
            env["OMNISTOCK_REDIS_CLUSTER"] = "true" if backend.cluster else "false"
            processes.append(_start(WORKER, env, RUN_DIR / f"worker-{run}-{i}.log"))
        _wait_group_settled(urls, processes, 90)
        pids = {f"worker {i + 1}": p.pid for i, p in enumerate(processes)}
        meter = CpuMeter({**pids, **backend.servers, "broker": broker_pid})
        produce(settings.broker, topic_prefix, records)
        rate, seconds = _consume_window(urls, processes, len(records), meter, timeout_s)
        label = f"{backend.name}, {workers} worker{'s' if workers > 1 else ''}"
        return Phase(PhaseResult(label, rate, seconds, meter.shares()), topic_prefix, redis_prefix)
    finally:
        for process in processes:
            stop(process)


def _consume_window(
    urls: list[str], workers: list[subprocess.Popen[bytes]], events: int, meter: CpuMeter, timeout_s: float
) -> tuple[float, float]:
    """(events/s, seconds) from the first event the workers consumed to the last; marks the meter at
    the first."""
    first_at, first_count, consumed = 0.0, 0.0, 0.0
    quiet_at = time.perf_counter()  # the last scrape that saw nothing consumed
    meter.mark()
    deadline = time.monotonic() + timeout_s
    while consumed < events:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError(f"the workers consumed {consumed:.0f} of {events} events (see {RUN_DIR})")
        consumed = sum(scrape_totals(url).get("omnistock_events_consumed_total", 0.0) for url in urls)
        if not consumed:
            quiet_at = time.perf_counter()
            meter.mark()
        elif not first_at and consumed >= events:  # all of it between two scrapes: from the quiet one
            first_at, first_count = quiet_at, 0.0
        elif not first_at:
            first_at, first_count = time.perf_counter(), consumed
            meter.mark()
        # Often while waiting for the first event (the worker is idle), then lightly (see the constant).
        time.sleep(BENCH_SCRAPE_GAP_S if consumed else 0.05)
    elapsed = time.perf_counter() - first_at
    return (consumed - first_count) / elapsed, elapsed
