"""`omnistock bench routing`: routed orders/s of one worker, and order -> fulfillment-request latency.

Stock for SKU_COUNT skus is seeded straight into a scratch Redis prefix (omnistock.bench.orders), one
`omnistock worker` runs on it and on a fresh topic prefix of the embedded broker. Throughput: `orders`
PLACED orders are produced flat out and the rate is taken from the Kafka timestamps of the first and
the last orders.status.v1 record (the worker's own pace). Latency: orders produced open loop at `rate`
for LATENCY_S seconds; per order, from its scheduled send time to its first fulfillment.requests.v1
record read by a consumer here. Each phase also prints the CPU taken by the broker, the worker, Redis
and the bench itself (they share the machine's cores), and the latency phase its p99 per 5 s. The
phases are in omnistock.bench.routing_phases, what is read back in omnistock.bench.routing_outputs.
Targets (issue 5): >= 500 orders/s per worker; p99 < 100 ms at 200/s.
"""

from __future__ import annotations

import contextlib
import os
import random
import uuid
from collections import Counter
from subprocess import Popen

import redis

from omnistock.bench.cpu_meter import CpuMeter, cpu_line
from omnistock.bench.kafka import worker_env
from omnistock.bench.latency import PhaseSummary
from omnistock.bench.load_client import sku_name
from omnistock.bench.orders import order_events, pickup_points, stock_atp
from omnistock.bench.promise import load_inputs
from omnistock.bench.promise_http import seed_atp
from omnistock.bench.routing_outputs import (
    OutputReader,
    Outputs,
    worker_line,
    worker_sums,
)
from omnistock.bench.routing_phases import drift, latency, split, throughput
from omnistock.bench.worker import RUN_DIR
from omnistock.kafka_admin import create_topics
from omnistock.settings import Settings
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from state.store import RedisStockStore
from topics.catalog import FULFILLMENT_REQUESTS, ORDER_STATUS, ORDERS, all_topic_names
from topics.codec import AvroCodec
from topics.registry import make_registry

SKU_COUNT, LATENCY_S, SEED = 5000, 20.0, 20261205
TARGET_PER_S, TARGET_P99_MS = 500.0, 100.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def shares(out: Outputs, codec: AvroCodec, ids: list[str]) -> Counter[str]:
    return Counter(str(codec.decode(out.statuses[i][0])["status"]) for i in ids if i in out.statuses)


def run_bench_routing(settings: Settings, orders: int, rate: float) -> int:
    run = uuid.uuid4().hex[:8]
    topic_prefix, redis_prefix = f"bench-routing-{run}.", f"bench-routing-{run}:"
    prepared, table = load_inputs()
    network, rng = prepared.network, random.Random(SEED)  # noqa: S311 - a reproducible load
    skus = [sku_name(i) for i in range(1, SKU_COUNT + 1)]
    atp, pickups = stock_atp(network, skus, rng), pickup_points(network, table)
    fast = order_events(skus, pickups, orders, f"t{run}", rng)
    paced = order_events(skus, pickups, round(rate * LATENCY_S), f"l{run}", rng)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the run")
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    worker = None
    try:
        print(
            f"seeding {len(atp)} (sku, location) stock positions, {SKU_COUNT} skus, under {redis_prefix} ..."
        )
        seed_atp(RedisStockStore(client, redis_prefix, lambda: network), network, atp)
        with EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker:
            create_topics(broker.bootstrap, all_topic_names(topic_prefix), settings.topic_partitions)
            tuned = settings.model_copy(update={"broker": broker.bootstrap})
            port = free_port()
            env = worker_env(tuned, topic_prefix, redis_prefix, port, "bench-routing")
            worker = start_omnistock(["worker"], env, RUN_DIR / "worker-routing.log")
            url = f"http://127.0.0.1:{port}/metrics"
            wait_worker_assigned(url, 60, worker)
            parts, orders_topic = settings.topic_partitions, topic_prefix + ORDERS
            meter = CpuMeter(run_pids(broker.process, worker, client))
            print(f"{orders} orders flat out, then {len(paced)} at {rate:.0f}/s (1 worker) ...")
            # One reader per phase, of what that phase measures: the embedded broker's cost per fetch
            # grows with the batches stored in the partition (it lists them all), so a reader of the
            # status topic during the timed phase would load the broker the worker depends on.
            requests = OutputReader(broker.bootstrap, topic_prefix, parts, (FULFILLMENT_REQUESTS,))
            statuses = OutputReader(broker.bootstrap, topic_prefix, parts, (ORDER_STATUS,))
            try:
                scrapes = [worker_sums(url)]
                meter.mark()
                per_s = throughput(statuses, broker.bootstrap, orders_topic, fast)
                cpu = [meter.shares()]
                scrapes.append(worker_sums(url))
                statuses.close()
                requests.drain(1.0)  # the requests of the flat-out phase, read and set aside
                meter.mark()
                paced_summary, sent = latency(requests, broker.bootstrap, orders_topic, paced, rate)
                cpu.append(meter.shares())
                scrapes.append(worker_sums(url))
                statuses = OutputReader(broker.bootstrap, topic_prefix, parts, (ORDER_STATUS,))
                every = [e["order_id"] for e in fast + paced]
                statuses.read_until(lambda out: all(i in out.statuses for i in every), 60, "every status")
            finally:
                requests.close()
                statuses.close()
            stop(worker)
    finally:
        if worker is not None:
            stop(worker)
        delete_prefix(client, redis_prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
    codec = AvroCodec(make_registry(settings.schema_registry_url, topic_prefix))
    mix = shares(statuses.out, codec, [e["order_id"] for e in fast + paced])
    lines = [worker_line(a, b) for a, b in zip(scrapes, scrapes[1:], strict=False)]
    split(sent, Outputs(statuses.out.statuses, requests.out.requests))
    report(per_s, paced_summary, mix, rate, lines, cpu, drift(sent, requests.out.requests))
    return 0


def run_pids(broker: Popen[bytes] | None, worker: Popen[bytes], client: redis.Redis) -> dict[str, int]:
    """The processes sharing this machine's cores in the run: broker, worker, and Redis when it is on
    this machine (its pid elsewhere would name some process of ours)."""
    pids = {"broker": broker.pid} if broker is not None else {}
    pids["worker"] = worker.pid
    if client.connection_pool.connection_kwargs.get("host") in LOCAL_HOSTS:
        with contextlib.suppress(redis.RedisError, KeyError, ValueError):  # then Redis is left out
            pids["Redis"] = int(client.info("server")["process_id"])
    return pids


def report(
    per_s: float,
    paced: PhaseSummary,
    mix: Counter[str],
    rate: float,
    worker: list[str],
    cpu: list[dict[str, float]],
    slices: str,
) -> None:
    total = sum(mix.values())
    print(f"statuses of {total} orders: " + ", ".join(f"{k} {n / total:.1%}" for k, n in sorted(mix.items())))
    print(f"throughput: {per_s:.0f} routed orders/s, 1 worker (first to last status)")
    print(f"  {worker[0]}")
    print(f"  {cpu_line(cpu[0])}")
    print("latency: order -> first fulfillment request read back, from its scheduled send time (ms)")
    print(f"{'':26}{'orders/s':>9}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>9}{'no request':>11}")
    p = paced
    line = f"{p.name:26}{p.achieved_rate:9.0f}{p.p50_ms:8.1f}{p.p90_ms:8.1f}{p.p99_ms:8.1f}{p.max_ms:9.1f}"
    print(f"{line}{p.errors:11d}")
    print(f"  {worker[1]}")
    print(f"  {cpu_line(cpu[1])}")
    if slices:
        print(f"  {slices}")
    print(f"target >= {TARGET_PER_S:.0f} orders/s per worker: {_verdict(per_s >= TARGET_PER_S)}")
    print(f"target p99 < {TARGET_P99_MS:.0f} ms at {rate:.0f} orders/s: {_verdict(p.p99_ms < TARGET_P99_MS)}")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"
