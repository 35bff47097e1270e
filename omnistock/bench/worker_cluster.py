"""`omnistock bench worker --cluster`: one Redis beside a 3-master Redis Cluster in one run, the raw
ceiling, one worker and two workers (one consumer group) on each, with each process's CPU; then the
projection for 8 workers on 4 shards from the measured CPU per event.

Both Redis setups are the bench's own servers (the same binary, no persistence), so each server's
CPU is its own; the broker is one embedded Tansu for the whole run. The phases run one after the
other, each on fresh topics, so each has the machine to itself (the raw runs read the topics of the
phase before them, in the bench's own process).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence

import redis
from redis.cluster import RedisCluster

from omnistock.bench.events import bench_events
from omnistock.bench.projection import EventCosts, Projection, describe
from omnistock.bench.raw import run_raw
from omnistock.bench.worker_phase import RUN_DIR, Backend, PhaseResult, Record, run_phase
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_cluster import embedded_cluster
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port
from omnistock.stream_options import kafka_options
from streams.kafka_config import consumer_config, producer_config
from topics.catalog import AVAILABILITY_CHANGES, POS_SALES, STOCK_RECEIPTS

SHARDS = 3
PROJECTED_WORKERS, PROJECTED_SHARDS = 8, 4


def _raw(settings: Settings, backend: Backend, topic_prefix: str, events: int) -> PhaseResult:
    """The raw pipeline (bench process) over a phase's topics, on its own group and Redis prefix."""
    run = uuid.uuid4().hex[:8]
    client: redis.Redis | RedisCluster = (
        RedisCluster.from_url(backend.url) if backend.cluster else redis.Redis.from_url(backend.url)
    )
    options = kafka_options(settings)
    with client:
        done, seconds = run_raw(
            consumer_config(options, f"bench-raw-{run}"),
            producer_config(options),
            [topic_prefix + POS_SALES, topic_prefix + STOCK_RECEIPTS],
            topic_prefix + AVAILABILITY_CHANGES,
            client,
            f"bench-raw-{run}:",
            load_network(default_network_path()),
            events,
        )
    return PhaseResult(f"{backend.name}, raw ceiling", done / seconds, seconds, {})


RUNS = ("raw ceiling", "1 worker", "2 workers")


def _backend_runs(
    settings: Settings, backend: Backend, records: Sequence[Record], broker_pid: int
) -> dict[str, PhaseResult]:
    one = run_phase(settings, backend, 1, records, broker_pid)
    raw = _raw(settings, backend, one.topic_prefix, len(records))
    two = run_phase(settings, backend, 2, records, broker_pid)
    return dict(zip(RUNS, (raw, one.result, two.result), strict=True))


def _table(results: Sequence[PhaseResult], servers: Sequence[str]) -> list[str]:
    """Events/s, and CPU us per event: the workers together, the broker, Redis (each shard's after it)."""
    head = f"{'':32}{'events/s':>9}{'seconds':>8}{'worker':>8}{'broker':>8}  Redis (us per event)"
    lines = [head]
    for r in results:
        workers = [name for name in r.cpu if name.startswith("worker")]
        shards = [name for name in servers if name in r.cpu]
        worker_us = f"{r.us_per_event(workers):8.0f}" if workers else f"{'':8}"
        broker_us = f"{r.us_per_event(['broker']):8.0f}" if workers else f"{'':8}"
        redis_us = f"{r.us_per_event(shards):.0f}" if shards else ""
        if len(shards) > 1:
            redis_us += " (" + ", ".join(f"{name} {r.us_per_event([name]):.0f}" for name in shards) + ")"
        lines.append(f"{r.label:32}{r.rate:9.0f}{r.seconds:8.1f}{worker_us}{broker_us}  {redis_us}")
    return lines


def _cpu_lines(results: Sequence[PhaseResult]) -> list[str]:
    return [
        f"  {r.label}: " + ", ".join(f"{name} {share:.0f}" for name, share in r.cpu.items())
        for r in results
        if r.cpu
    ]


def run_bench_cluster(settings: Settings, events: int) -> int:
    network = load_network(default_network_path())
    records = list(bench_events(network, events))
    shard_names = [f"shard {i + 1}" for i in range(SHARDS)]
    single_url = f"redis://127.0.0.1:{free_port()}/0"
    single = ensure_redis(single_url)
    if single is None:
        raise RuntimeError(
            f"a server answered on the free port of {single_url}: its CPU would not be the bench's"
        )
    try:
        with (
            EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker,
            embedded_cluster(SHARDS) as nodes,
        ):
            assert broker.process is not None  # noqa: S101 - started by the with
            tuned = settings.model_copy(
                update={
                    "broker": broker.bootstrap,
                    "group_session_timeout_s": 6.0,
                    "group_heartbeat_interval_s": 1.0,
                }
            )
            backends = [
                Backend("single Redis", single_url, False, {"redis": single.process.pid}),
                Backend(
                    f"{SHARDS}-shard cluster",
                    nodes[0].url,
                    True,
                    dict(zip(shard_names, (n.pid for n in nodes), strict=True)),
                ),
            ]
            print(f"{events} events per phase (90 % POS sales, 10 % receipts; 5,000 skus, 58 locations) ...")
            single_runs = _backend_runs(tuned, backends[0], records, broker.process.pid)
            cluster_runs = _backend_runs(tuned, backends[1], records, broker.process.pid)
    finally:
        single.stop()
    _print(single_runs, cluster_runs, shard_names, settings.topic_partitions)
    return 0


def _print(
    single: dict[str, PhaseResult], cluster: dict[str, PhaseResult], shard_names: list[str], partitions: int
) -> None:
    results = [*single.values(), *cluster.values()]
    print("\n".join(_table(results, ["redis", *shard_names])))
    print("CPU over each phase's window, % of one core:")
    print("\n".join(_cpu_lines(results)))
    ratios = ", ".join(f"{run} {cluster[run].rate / single[run].rate:.2f}" for run in RUNS)
    print(f"cluster / single Redis: {ratios}")
    print(
        f"2 workers / 1 worker: single Redis {single['2 workers'].rate / single['1 worker'].rate:.2f}, "
        f"cluster {cluster['2 workers'].rate / cluster['1 worker'].rate:.2f} "
        f"(bounded by the {os.cpu_count()} cores every process of the run shares)"
    )
    measured = cluster["1 worker"]
    costs = EventCosts(
        worker_us=measured.us_per_event(["worker 1"]),
        shard_us=tuple(measured.us_per_event([name]) for name in shard_names),
        broker_us=measured.us_per_event(["broker"]),
    )
    print(
        f"per-event CPU from '{measured.label}' at its rate (work paid per second, such as idle polls and "
        "sweeps, counts per event here: at higher rates the costs fall)"
    )
    print("\n".join(describe(Projection(PROJECTED_WORKERS, PROJECTED_SHARDS, partitions, costs))))
