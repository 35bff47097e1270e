"""`omnistock bench store`: how long a store associate's tap takes to show in the order (issue 17).

One `omnistock worker` and one `omnistock api` (open: no keys) run on the embedded broker and a scratch
Redis prefix, with the bench network (omnistock/data/bench_store_network.yaml: ST-1 ranked first,
ST-2 and WH-1 behind). Each order has a sku of its own, received at every node; all orders are placed
at once, then taken through one after the other as one associate would: for each action, from the
POST of the tap (SPEC17 item 3) to the first GET /v1/orders/{id} (polled every 5 ms) that shows the
shipment's new status, or for a NOT_FOUND rejection a new shipment at another node. p50/p99 per action
(omnistock.bench.store_flows). Run time: about 1 min for the default 120 orders, bounded by BUDGET_S.
"""

from __future__ import annotations

import os
import time
import uuid
from importlib.resources import as_file, files
from pathlib import Path

import orjson
import redis
from confluent_kafka import Producer

from omnistock.bench.kafka import worker_env
from omnistock.bench.store_flows import (
    NODES,
    Timing,
    flow_of,
    placed_order,
    problems,
    rows,
    sku_of,
    stock_receipts,
    table,
)
from omnistock.bench.store_taps import POLL_S, STEP_TIMEOUT_S, HttpApi, take_through
from omnistock.bench.worker import RUN_DIR
from omnistock.kafka_admin import create_topics
from omnistock.settings import Settings
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_http_ok, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from topics.catalog import ORDERS, STOCK_RECEIPTS, all_topic_names

BUDGET_S = 150.0  # no order is started after this many seconds of taps: the run stays bounded


def bench_network_path() -> Path:
    with as_file(files("omnistock") / "data" / "bench_store_network.yaml") as path:
        return Path(path)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def run_bench_store(settings: Settings, orders: int, budget_s: float = BUDGET_S) -> int:
    run = uuid.uuid4().hex[:8]
    topic_prefix, redis_prefix = f"bench-store-{run}.", f"bench-store-{run}:"
    network_file = bench_network_path()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the run")
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    started = []
    try:
        with EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker:
            create_topics(broker.bootstrap, all_topic_names(topic_prefix), settings.topic_partitions)
            tuned = settings.model_copy(update={"broker": broker.bootstrap})
            metrics_port, api_port = free_port(), free_port()
            env = {
                **worker_env(tuned, topic_prefix, redis_prefix, metrics_port, "bench-store"),
                "OMNISTOCK_NETWORK_FILE": str(network_file),
                "OMNISTOCK_API_KEYS": "",  # open, as in `omnistock dev`: the taps carry no key
            }
            worker = start_omnistock(["worker"], env, RUN_DIR / "worker-store.log")
            started.append(worker)
            api_env = {**env, "OMNISTOCK_WORKER_METRICS_PORT": "0"}
            api = start_omnistock(["api", "--port", str(api_port)], api_env, RUN_DIR / "api-store.log")
            started.append(api)
            wait_worker_assigned(f"http://127.0.0.1:{metrics_port}/metrics", 60, worker)
            wait_http_ok(f"http://127.0.0.1:{api_port}/healthz", 30, api)
            http = HttpApi(api_port)
            try:
                place_everything(broker.bootstrap, topic_prefix, run, orders, http)
                timings, elapsed, done = take_all_through(http, run, orders, budget_s)
            finally:
                http.close()
    finally:
        for process in reversed(started):
            stop(process)
        delete_prefix(client, redis_prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
    report(timings, orders, done, elapsed, network_file)
    return 0 if timings and not any(t.problem for t in timings) else 1


def place_everything(bootstrap: str, topic_prefix: str, run: str, orders: int, http: HttpApi) -> None:
    """Stock every order's sku at every node, wait until the API shows it, then place every order."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for event in stock_receipts(run, orders, now_ms()):
        key = str(event["location_id"]).encode()
        producer.produce(topic_prefix + STOCK_RECEIPTS, orjson.dumps(event), key)
    producer.flush(30)
    last_sku, deadline = sku_of(run, orders - 1), time.monotonic() + 60
    while time.monotonic() < deadline:
        code, body = http.call("GET", f"/v1/availability/{last_sku}")
        locations = body["locations"] if code == 200 else []
        held = {loc["location_id"] for loc in locations if loc["on_hand"] > 0}
        if held >= set(NODES):
            break
        time.sleep(0.1)
    else:
        raise TimeoutError(f"the stock of {last_sku} did not show at {', '.join(NODES)} within 60 s")
    for n in range(orders):
        order = placed_order(run, n, now_ms())
        producer.produce(topic_prefix + ORDERS, orjson.dumps(order), str(order["order_id"]).encode())
    producer.flush(30)


def take_all_through(
    http: HttpApi, run: str, orders: int, budget_s: float
) -> tuple[list[Timing], float, int]:
    """Every order's taps, one order after the other, until the budget: (timings, seconds, orders done)."""
    timings: list[Timing] = []
    began, done = time.monotonic(), 0
    for n in range(orders):
        if time.monotonic() - began > budget_s:
            break
        timings += take_through(http, run, n, POLL_S, STEP_TIMEOUT_S)
        done += 1
    return timings, time.monotonic() - began, done


def report(timings: list[Timing], orders: int, done: int, elapsed_s: float, network_file: Path) -> None:
    flows = ", ".join(sorted({flow_of(n).value for n in range(min(orders, 3))}))
    print(
        f"settings: {done} of {orders} orders taken through in {elapsed_s:.0f} s, one at a time ({flows} in"
        f" turn); 1 worker, 1 API (no key), embedded broker; network {network_file.name}; the order read"
        f" back every {POLL_S * 1000:g} ms; a tap not seen in {STEP_TIMEOUT_S:g} s fails"
    )
    print("latency (ms): the tap's POST -> 202, and the tap -> GET /v1/orders/{id} showing it")
    print(table(rows(timings)))
    for line in problems(timings):
        print(f"failed: {line}")
