"""`omnistock bench worker --cluster`: one Redis beside a 3-master Redis Cluster in one run, the raw
ceiling, one worker and two workers (one consumer group) on each, with each process's CPU; then the
projection for 8 workers on 4 shards from the measured CPU per event.

Both Redis setups are the bench's own servers (the same binary, no persistence), so each server's
CPU is its own; the broker is one embedded Tansu for the whole run. The phases run one after the
other, each on fresh topics, so each has the machine to itself (the raw runs read the topics of the
phase before them, in the bench's own process).
"""

from __future__ import annotations

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


def _backend_runs(
    settings: Settings, backend: Backend, records: Sequence[Record], broker_pid: int
) -> list[PhaseResult]:
    one, topics = run_phase(settings, backend, 1, records, broker_pid)
    raw = _raw(settings, backend, topics, len(records))
    two, _ = run_phase(settings, backend, 2, records, broker_pid)
    return [raw, one, two]


def _table(results: Sequence[PhaseResult], servers: Sequence[str]) -> list[str]:
    lines = [f"{'':36}{'events/s':>9}{'seconds':>8}  worker us/event  Redis us/event ({', '.join(servers)})"]
    for r in results:
        workers = [name for name in r.cpu if name.startswith("worker")]
        redis_names = [name for name in servers if name in r.cpu]
        per_server = ", ".join(f"{r.us_per_event([name]):.0f}" for name in redis_names)
        worker_us = f"{r.us_per_event(workers):15.0f}" if workers else f"{'':15}"
        redis_us = f"{r.us_per_event(redis_names):.0f} ({per_server})" if redis_names else ""
        lines.append(f"{r.label:36}{r.rate:9.0f}{r.seconds:8.1f}  {worker_us}  {redis_us}")
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
            results = [
                r for backend in backends for r in _backend_runs(tuned, backend, records, broker.process.pid)
            ]
    finally:
        single.stop()
    _print(results, shard_names, settings.topic_partitions)
    return 0


def _print(results: list[PhaseResult], shard_names: list[str], partitions: int) -> None:
    print("\n".join(_table(results, ["redis", *shard_names])))
    print("CPU over each phase's window, % of one core:")
    print("\n".join(_cpu_lines(results)))
    cluster_one = next(
        r for r in results if r.cpu.keys() >= {"worker 1", *shard_names} and "worker 2" not in r.cpu
    )
    costs = EventCosts(
        worker_us=cluster_one.us_per_event(["worker 1"]),
        shard_us=tuple(cluster_one.us_per_event([name]) for name in shard_names),
        broker_us=cluster_one.us_per_event(["broker"]),
    )
    print(f"per-event costs from '{cluster_one.label}':")
    print("\n".join(describe(Projection(PROJECTED_WORKERS, PROJECTED_SHARDS, partitions, costs))))
