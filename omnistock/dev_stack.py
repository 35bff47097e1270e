"""`omnistock dev`: broker, Redis if none answers, worker and API, fed by a simulated retail network.

Prints live figures every two seconds; Ctrl-C (or --duration) stops everything it started and
removes the Redis keys of its run, and nothing else.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.request
from pathlib import Path

import orjson
import redis
from confluent_kafka import Producer

from omnistock.embedded_broker import EmbeddedBroker
from omnistock.embedded_redis import ensure_redis
from omnistock.kafka_admin import create_topics
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.processes import free_port, start_omnistock, stop, wait_http_ok, wait_worker_assigned
from omnistock.redis_keys import delete_prefix
from omnistock.settings import Settings
from omnistock.simulate import Simulation, run_simulation
from omnistock.worker_metrics import scrape_totals
from streams.kafka_config import producer_config
from topics.catalog import all_topic_names

RUN_DIR = Path(".omnistock/dev")


def _child_env(settings: Settings, bootstrap: str, prefix: str, metrics_port: int) -> dict[str, str]:
    return {
        "OMNISTOCK_BROKER": bootstrap,
        "OMNISTOCK_REDIS_URL": settings.redis_url,
        "OMNISTOCK_REDIS_PREFIX": prefix,
        "OMNISTOCK_TOPIC_PREFIX": settings.topic_prefix,
        "OMNISTOCK_GROUP_SESSION_TIMEOUT_S": "6",
        "OMNISTOCK_GROUP_HEARTBEAT_INTERVAL_S": "1",
        "OMNISTOCK_GROUP_REBALANCE_TIMEOUT_S": "6",
        "OMNISTOCK_WORKER_METRICS_PORT": str(metrics_port),
        **({"OMNISTOCK_NETWORK_FILE": settings.network_file} if settings.network_file else {}),
    }


PROMISE_POSTCODES = ("75011", "69003", "13001", "33000", "59000")


def _delete_keys(url: str, prefix: str) -> None:
    delete_prefix(redis.Redis.from_url(url), prefix)


def _availability(api: str, sku: str) -> str:
    try:
        with urllib.request.urlopen(f"{api}/v1/availability/{sku}", timeout=1) as answer:  # noqa: S310
            body = orjson.loads(answer.read())
    except OSError:
        return f"{sku} -"
    network = body["network"]
    return f"{sku} atp {network['atp']} on_hand {network['on_hand']} in_transit {network['in_transit']}"


def _promise(api: str, skus: list[str], postcode: str) -> str:
    """One line per refresh: the promise of a cart of the popular skus to `postcode`."""
    body = orjson.dumps(
        {"lines": [{"sku": sku, "quantity": 1} for sku in skus], "destination": {"postcode": postcode}}
    )
    request = urllib.request.Request(  # noqa: S310 - our own API on loopback
        f"{api}/v1/promises", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as answer:  # noqa: S310
            options = orjson.loads(answer.read())["options"]
    except OSError:
        return f"promise to {postcode} -"
    shown = [
        f"{o['method']} {o['earliest'][5:16].replace('T', ' ')} {o['price_cents'] / 100:.2f}EUR "
        f"{o['co2e_grams']}g {o['parcels']}p"
        for o in options
    ]
    return f"promise {len(skus)} lines to {postcode}: " + (" | ".join(shown) or "no option")


class _Screen:
    """The live figures: rates since the last line, totals, lag, a few skus' availability."""

    def __init__(self, metrics_url: str, api: str, skus: list[str]) -> None:
        self.metrics_url, self.api, self.skus = metrics_url, api, skus
        self.started = time.monotonic()
        self.refreshes = 0
        self.last: tuple[float, dict[str, float], int] = (self.started, {}, 0)

    def line(self, produced: int) -> str:
        now, totals = time.monotonic(), scrape_totals(self.metrics_url)
        then, before, produced_before = self.last
        totals = totals or before  # a busy worker may miss one scrape: keep the last figures
        self.last = (now, totals, produced)
        span = max(now - then, 1e-6)

        def rate(name: str) -> float:
            return (totals.get(name, 0.0) - before.get(name, 0.0)) / span

        consumed = totals.get("omnistock_events_consumed_total", 0.0)
        figures = (
            f"[{now - self.started:5.0f}s] produced {(produced - produced_before) / span:6.0f} events/s"
            f"  applied {rate('omnistock_events_consumed_total'):6.0f} events/s"
            f" ({rate('omnistock_events_applied_total'):6.0f} stock changes/s)"
            f"  lag {max(0, produced - int(consumed)):6d}"
            f"  duplicates {totals.get('omnistock_events_duplicate_total', 0):.0f}"
            f"  dlq {totals.get('omnistock_events_dlq_total', 0):.0f}"
        )
        self.refreshes += 1
        postcode = PROMISE_POSTCODES[self.refreshes % len(PROMISE_POSTCODES)]
        stock = " | ".join(_availability(self.api, sku) for sku in self.skus)
        return f"{figures}\n         {stock}\n         {_promise(self.api, self.skus, postcode)}"


def run_dev(settings: Settings, rate: float, duration: float | None, api_port: int, sim_hour_s: float) -> int:
    prefix = f"dev-{int(time.time())}:"
    metrics_port = free_port()
    with contextlib.ExitStack() as stack:
        broker = stack.enter_context(EmbeddedBroker(log_path=RUN_DIR / "broker.log"))
        embedded_redis = ensure_redis(settings.redis_url)
        if embedded_redis is not None:
            stack.callback(embedded_redis.stop)
        print(
            f"broker {broker.bootstrap}, redis {settings.redis_url}{' (embedded)' if embedded_redis else ''}"
        )
        stack.callback(_delete_keys, settings.redis_url, prefix)
        create_topics(broker.bootstrap, all_topic_names(settings.topic_prefix), settings.topic_partitions)
        env = _child_env(settings, broker.bootstrap, prefix, metrics_port)
        worker = start_omnistock(["worker"], env, RUN_DIR / "worker.log")
        stack.callback(stop, worker)
        api_process = start_omnistock(["api", "--port", str(api_port)], env, RUN_DIR / "api.log")
        stack.callback(stop, api_process)
        api = f"http://127.0.0.1:{api_port}"
        wait_http_ok(f"{api}/readyz", 30, api_process)
        wait_worker_assigned(f"http://127.0.0.1:{metrics_port}/metrics", 60, worker)
        print(f"api {api}, worker metrics http://127.0.0.1:{metrics_port}/metrics, logs in {RUN_DIR}/")
        return _simulate(
            settings, broker.bootstrap, rate, duration, sim_hour_s, metrics_port, api, (worker, api_process)
        )
    return 0


def _simulate(
    settings: Settings,
    bootstrap: str,
    rate: float,
    duration: float | None,
    sim_hour_s: float,
    metrics_port: int,
    api: str,
    children: tuple[object, ...],
) -> int:
    network = NetworkSource(settings.network_file or str(default_network_path())).current()
    simulation = Simulation(network, sku_count=5000, seed=7, sim_hour_s=sim_hour_s)
    producer = Producer({**producer_config(settings), "bootstrap.servers": bootstrap})
    produced = [0]
    prefix = settings.topic_prefix

    def send(topic: str, key: bytes, value: bytes) -> None:
        producer.produce(prefix + topic, value, key)
        produced[0] += 1
        producer.poll(0)

    stopping = threading.Event()
    feeder = threading.Thread(
        target=run_simulation, args=(simulation, send, rate, duration, stopping), daemon=True
    )
    feeder.start()
    screen = _Screen(f"http://127.0.0.1:{metrics_port}/metrics", api, simulation.popular_skus(3))
    try:
        while feeder.is_alive():
            feeder.join(2.0)
            print(screen.line(produced[0]), flush=True)
            for child in children:
                if child.poll() is not None:  # type: ignore[attr-defined]
                    print(f"a child process exited ({child.returncode}); see {RUN_DIR}/", flush=True)  # type: ignore[attr-defined]
                    return 1
    except KeyboardInterrupt:
        print("stopping: simulation, worker, api, broker")
    finally:
        stopping.set()
        feeder.join(5)
        producer.flush(10)
    time.sleep(1.0)
    print(screen.line(produced[0]), flush=True)
    return 0
