"""`omnistock bench freshness`: how long a stock event takes to show in GET /v1/availability/{sku}.

The embedded stack (broker, Redis, one `omnistock worker`, `omnistock api`) on fresh prefixes; for
each load rate, a background load of stock events (omnistock.bench.freshness_load, its own process)
and, once it runs at its pace, probes (omnistock.bench.freshness_probe) ~20 a second, one at a
time: p50/p90/p99/max from a probe's produce to its figure in the API, split into the broker's share
(produce -> read off the topic by the bench's own consumer) and the rest (the worker's fetch and
batch, Redis, the API). Each rate also prints what the worker applied per second and each process's
share of the cores. Target (issue 15): p99 < 100 ms at 5,000 events/s on a 2-core machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import redis

from core.network import LocationKind
from omnistock.bench.cpu_meter import CpuMeter, cpu_line
from omnistock.bench.freshness_load import READY
from omnistock.bench.freshness_probe import probe_for, probing
from omnistock.bench.freshness_stats import (
    SLICE_S,
    FreshnessSummary,
    Spread,
    WorkerMeans,
    spread,
    summarize_probes,
    worker_means,
)
from omnistock.bench.kafka import worker_env
from omnistock.bench.routing import run_pids
from omnistock.bench.worker import RUN_DIR
from omnistock.kafka_admin import create_topics
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_http_ok, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from omnistock.stack.worker_metrics import scrape_histogram_sums, scrape_totals
from topics.catalog import all_topic_names

TARGET_RATE, TARGET_P99_MS = 5000.0, 100.0
LOAD_WARM_S = 2.0  # the load runs this long before the first probe of its rate
PROBE_INTERVAL_S = 0.05
CONSUMED = "omnistock_events_consumed_total"


def run_bench_freshness(settings: Settings, rates: Sequence[float], duration_s: float) -> int:
    run = uuid.uuid4().hex[:8]
    topic_prefix, redis_prefix = f"bench-fresh-{run}.", f"bench-fresh-{run}:"
    network = load_network(default_network_path())
    warehouses = [loc for loc in network.locations.values() if loc.kind is LocationKind.WAREHOUSE]
    warehouse = min(loc.location_id for loc in warehouses)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the run")
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    worker = api = load = None
    results: list[RateResult] = []
    try:
        with EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker:
            create_topics(broker.bootstrap, all_topic_names(topic_prefix), settings.topic_partitions)
            tuned = settings.model_copy(update={"broker": broker.bootstrap})
            metrics_port, api_port = free_port(), free_port()
            env = worker_env(tuned, topic_prefix, redis_prefix, metrics_port, "bench-freshness")
            worker = start_omnistock(["worker"], env, RUN_DIR / "worker-freshness.log")
            api_env = {
                k: env[k] for k in ("OMNISTOCK_REDIS_URL", "OMNISTOCK_REDIS_PREFIX", "OMNISTOCK_LOG_LEVEL")
            }
            api = start_omnistock(["api", "--port", str(api_port)], api_env, RUN_DIR / "api-freshness.log")
            metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            wait_worker_assigned(metrics, 60, worker)
            wait_http_ok(f"http://127.0.0.1:{api_port}/healthz", 30, api)
            pids = {**run_pids(broker.process, worker, client), "API": api.pid}
            parts = settings.topic_partitions
            with probing(broker.bootstrap, topic_prefix, parts, api_port, warehouse, run) as (prober, watch):
                probe_for(prober, watch, 1.0, PROBE_INTERVAL_S)  # the sku's first figure; connections warm
                for rate in rates:
                    spec = {"bootstrap": broker.bootstrap, "topic_prefix": topic_prefix, "rate": rate}
                    load = _start_load({**spec, "duration_s": duration_s}) if rate > 0 else None
                    time.sleep(LOAD_WARM_S if load else 0)
                    meter = CpuMeter({**pids, **({"load": load.pid} if load else {})})
                    meter.mark()
                    consumed, began = scrape_totals(metrics).get(CONSUMED, 0.0), time.perf_counter()
                    histograms = scrape_histogram_sums(metrics)
                    probing_s = max(1.0, duration_s - LOAD_WARM_S - 1)
                    probes = probe_for(prober, watch, probing_s, PROBE_INTERVAL_S)
                    shares = meter.shares()
                    applied = (scrape_totals(metrics).get(CONSUMED, 0.0) - consumed) / (
                        time.perf_counter() - began
                    )
                    inside = worker_means(histograms, scrape_histogram_sums(metrics))
                    sent = _load_rate(load) if load else 0.0
                    results.append(RateResult(summarize_probes(rate, probes), sent, applied, shares, inside))
                    _wait_drained(metrics)
                round_trips = spread(prober.get_round_trips)
    finally:
        for process in (load, api, worker):
            if process is not None:
                stop(process)
        delete_prefix(client, redis_prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
    report(results, round_trips)
    return 0


def _start_load(spec: dict[str, object]) -> subprocess.Popen[bytes]:
    """The load process, returned once it has encoded its events and begun sending them."""
    load = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "omnistock.bench.freshness_load", orjson.dumps(spec).decode()],
        stdout=subprocess.PIPE,
    )
    if load.stdout is None or load.stdout.readline().strip() != READY.strip():
        stop(load)
        raise RuntimeError("the load process did not start sending")
    return load


def _load_rate(load: subprocess.Popen[bytes]) -> float:
    out, _ = load.communicate(timeout=60)
    done = orjson.loads(out)
    return float(done["produced"]) / float(done["seconds"])


def _wait_drained(metrics: str, limit_s: float = 60.0) -> None:
    """Until the worker's consumed count stands still for a second: the next rate starts on no backlog."""
    last, deadline = -1.0, time.monotonic() + limit_s
    while time.monotonic() < deadline:
        now = scrape_totals(metrics).get(CONSUMED, 0.0)
        if now == last:
            return
        last = now
        time.sleep(1.0)


BRIEF = ("p50", "p99")


@dataclass(frozen=True, slots=True)
class RateResult:
    summary: FreshnessSummary
    sent_per_s: float  # what the load process produced
    applied_per_s: float  # what the worker consumed meanwhile (probes included)
    cpu: dict[str, float]
    worker: WorkerMeans


def _ms(s: Spread, parts: Sequence[str] = ("p50", "p90", "p99", "max")) -> str:
    values = {"p50": s.p50_ms, "p90": s.p90_ms, "p99": s.p99_ms, "max": s.max_ms}
    return "".join(f"{values[p]:7.1f}" for p in parts)


def report(results: list[RateResult], round_trips: Spread) -> None:
    print("freshness: a probe event produced -> its figure in GET /v1/availability/{sku} (ms)")
    print("  broker: produced -> read off the topic by the bench's consumer; rest: worker, Redis, API")
    head = f"{'load/s':>7}{'sent/s':>8}{'applied/s':>10}{'probes':>7}{'unseen':>7}"
    figures = f"{'p50':>7}{'p90':>7}{'p99':>7}{'max':>7}"
    print(f"{head} |{figures} | broker{'p50':>5}{'p99':>7} | rest{'p50':>7}{'p99':>7}")
    for r in results:
        s = r.summary
        line = f"{s.rate:7.0f}{r.sent_per_s:8.0f}{r.applied_per_s:10.0f}{s.probes:7d}{s.unseen:7d}"
        print(f"{line} |{_ms(s.total)} |      {_ms(s.broker, BRIEF)} |    {_ms(s.rest, BRIEF)}")
        w = r.worker
        print(
            f"  worker: batches of {w.batch_records:.0f} records on average, applied in {w.apply_ms:.1f} ms; "
            f"a batch's oldest record {w.oldest_age_ms:.0f} ms old when its outputs left"
        )
        print(f"  {cpu_line(r.cpu)}")
        slowest = s.slowest_broker_ms + s.slowest_rest_ms
        if slowest > 0:
            broker, rest = s.slowest_broker_ms, s.slowest_rest_ms
            print(
                f"  the slowest tenth of the probes: {slowest:.1f} ms on average, the broker's share "
                f"{broker:.1f} ms ({broker / slowest:.0%}), the rest {rest:.1f} ms"
            )
        slices = ", ".join(f"{start:.0f}s {p99:.0f}" for start, p99, _n in s.p99_by_slice)
        print(f"  p99 per {SLICE_S:.0f} s of probes (ms): {slices}")
    late = f"p50 {round_trips.p50_ms:.2f} ms, p99 {round_trips.p99_ms:.2f} ms"
    print(f"GET round trip (a figure is seen at most this late): {late}")
    for r in results:
        if r.summary.rate == TARGET_RATE:
            met = r.summary.total.p99_ms < TARGET_P99_MS and r.summary.unseen == 0
            verdict = "met" if met else "NOT met"
            print(f"target p99 < {TARGET_P99_MS:.0f} ms at {TARGET_RATE:,.0f} events/s: {verdict}")
