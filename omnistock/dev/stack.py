"""`omnistock dev`: broker, Redis if none answers, worker and API, fed by a simulated retail network.

Prints live figures every two seconds; Ctrl-C (or --duration) stops everything it started and
removes the Redis keys of its run, and nothing else.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import redis
import yaml
from confluent_kafka import Producer

from omnistock.dev.screen import Screen, scrape
from omnistock.kafka_admin import create_topics
from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from omnistock.sim.clock import WallStamps
from omnistock.sim.events import to_ms
from omnistock.sim.fulfillment import FulfillmentDesk, consumer_settings, run_fulfillment
from omnistock.sim.run import MAX_BACKLOG_S, run_simulation, send_items, stocking_events
from omnistock.sim.simulation import Simulation
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_http_ok, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from omnistock.stream_options import kafka_options
from streams.kafka_config import producer_config
from topics.catalog import ORDERS, all_topic_names

RUN_DIR = Path(".omnistock/dev")
# The simulated tills, warehouses and shoppers send in batches of up to 200 ms, as such feeds do. The
# embedded broker keeps each batch as one object and lists every object of a partition on each fetch
# that finds data. With one event per batch (the worker's 1 ms linger) it took 55-65 % of a core in
# the first minute of `make dev` and 96-105 % after 3-4 min, while the simulation's rate fell from
# ~800 to ~450 events/s; with this linger, 42-52 % throughout and a steady 550-700 events/s (4-min
# runs on a 2-core machine).
FEED_LINGER_MS = 200


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


def _delete_keys(url: str, prefix: str) -> None:
    delete_prefix(redis.Redis.from_url(url), prefix)


def dev_network_file(source: Path, sim_hour_s: float, default_sla_minutes: float, target: Path) -> Path:
    """A copy of the network whose acceptance deadlines run on the simulated clock.

    The worker times deadlines by the wall clock; the simulation runs `3600 / sim_hour_s` times faster,
    so a store's 45 minutes would never pass in a demo. Scaled, they pass as the nodes' answers do."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    scale = sim_hour_s / 3600
    for location in data.get("locations") or ():
        location["accept_sla_minutes"] = (location.get("accept_sla_minutes") or default_sla_minutes) * scale
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(orjson.dumps(data))
    return target


def run_dev(settings: Settings, rate: float, duration: float | None, api_port: int, sim_hour_s: float) -> int:
    prefix = f"dev-{int(time.time())}:"
    metrics_port = free_port()
    source = Path(settings.network_file or default_network_path())
    network_file = dev_network_file(
        source, sim_hour_s, settings.routing_sla_minutes, (RUN_DIR / "network.json").resolve()
    )
    settings = settings.model_copy(update={"network_file": str(network_file)})
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
        # the worker first: it writes the store marker of the new run, without which /readyz is 503
        wait_worker_assigned(f"http://127.0.0.1:{metrics_port}/metrics", 60, worker)
        wait_http_ok(f"{api}/readyz", 30, api_process)
        print(f"api {api}, worker metrics http://127.0.0.1:{metrics_port}/metrics, logs in {RUN_DIR}/")
        print(f"network {source} with acceptance deadlines on the simulated clock: {network_file}")
        feeds = _Feeds(settings, broker.bootstrap, sim_hour_s)
        stack.callback(feeds.close)  # before the broker stops
        return feeds.run(
            rate,
            duration,
            Screen(f"http://127.0.0.1:{metrics_port}/metrics", api, feeds.skus, feeds.recent_order),
            (worker, api_process),
        )
    return 0


class Backlog:
    """Events sent but not yet consumed by the worker, from its metrics, read at most every `every_s`
    (the simulation asks every tick)."""

    def __init__(self, metrics_url: str, produced: Callable[[], int], every_s: float = 0.25) -> None:
        self._url, self._produced, self._every_s = metrics_url, produced, every_s
        self._at, self._value = float("-inf"), 0

    def __call__(self) -> int:
        now = time.monotonic()
        if now - self._at >= self._every_s:
            self._at = now
            figures = scrape(self._url)  # None when the worker is too busy to answer: keep the last
            if figures is not None:
                self._value = figures.lag(self._produced())
        return self._value


class _Feeds:
    """The simulation and the simulated fulfillment nodes, each in a thread, on one producer."""

    def __init__(self, settings: Settings, bootstrap: str, sim_hour_s: float) -> None:
        network = NetworkSource(str(settings.network_file)).current()
        self.simulation = Simulation(network, sku_count=5000, seed=7, sim_hour_s=sim_hour_s)
        self.desk = FulfillmentDesk(network, sim_hour_s, seed=7, take=self.simulation.take)
        self.skus = self.simulation.popular_skus(3)
        self.producer = Producer(
            {
                **producer_config(kafka_options(settings)),
                "bootstrap.servers": bootstrap,
                "linger.ms": FEED_LINGER_MS,
            }
        )
        self.prefix, self.bootstrap = settings.topic_prefix, bootstrap
        self.sent = {"simulation": 0, "fulfillment": 0}  # one writer each
        self.placed: deque[tuple[float, str]] = deque(maxlen=20_000)
        self.stopping = threading.Event()

    def close(self) -> None:
        """Flushes and drops the producer: one left open logs the broker's going away at exit."""
        self.producer.flush(10)
        del self.producer

    @property
    def produced(self) -> int:
        return sum(self.sent.values())

    def sender(self, name: str) -> Callable[[str, bytes, bytes], None]:
        def send(topic: str, key: bytes, value: bytes) -> None:
            self.producer.produce(self.prefix + topic, value, key)
            self.sent[name] += 1
            if topic == ORDERS:
                self.placed.append((time.monotonic(), key.decode()))
            self.producer.poll(0)

        return send

    def recent_order(self) -> str | None:
        """The newest order sent at least 15 s ago (15 simulated minutes at the default pace): routed,
        and usually accepted or picked by now."""
        for sent_at, order_id in reversed(self.placed):
            if time.monotonic() - sent_at >= 15.0:
                return order_id
        return None

    def sim_now_ms(self) -> int:
        """When the simulated nodes answer: the wall clock (the simulated one runs ahead of it)."""
        return time.time_ns() // 1_000_000

    def stock_up(self, rate: float, metrics_url: str, timeout_s: float = 180.0) -> None:
        """Send the initial stock and wait until the worker has applied it: the live figures then start
        clean, and orders do not queue behind a hundred thousand stock lines."""
        start = datetime.now(UTC)
        items = stocking_events(self.simulation, rate, start)
        speed = 3600.0 / self.simulation.sim_hour_s
        send_items(self.sender("simulation"), items, WallStamps.starting(start, to_ms(start), speed))
        self.producer.flush(30)
        lines = sum(len(event["lines"]) for _, _, event in items if isinstance(event["lines"], list))
        print(f"stocking the network: {len(items)} events, {lines} lines", flush=True)
        began = time.monotonic()
        while time.monotonic() - began < timeout_s:
            figures = scrape(metrics_url)
            if figures and figures.totals.get("omnistock_events_consumed_total", 0.0) >= self.produced:
                break
            time.sleep(0.5)
        print(f"stock applied in {time.monotonic() - began:.0f} s; the simulated day starts", flush=True)
        print(
            f"up to {rate:.0f} events/s: fewer while the worker is more than {MAX_BACKLOG_S:g} s behind",
            flush=True,
        )

    def run(self, rate: float, duration: float | None, screen: Screen, children: tuple[object, ...]) -> int:
        self.stock_up(rate, screen.metrics_url)
        screen.restart(self.produced)
        feeder = threading.Thread(
            target=run_simulation,
            args=(self.simulation, self.sender("simulation"), rate, duration, self.stopping),
            # paced to the worker: on a machine too slow for `rate`, fewer events and a screen that stays live
            kwargs={"initial_stock": False, "backlog": Backlog(screen.metrics_url, lambda: self.produced)},
            daemon=True,
        )
        group = f"omnistock-sim-fulfillment-{uuid.uuid4().hex[:8]}"
        nodes = threading.Thread(
            target=run_fulfillment,
            args=(
                self.desk,
                consumer_settings(self.bootstrap, group),
                self.prefix,
                self.sender("fulfillment"),
                self.sim_now_ms,
                self.stopping,
            ),
            daemon=True,
        )
        nodes.start()
        feeder.start()
        try:
            while feeder.is_alive():
                feeder.join(2.0)
                print(screen.line(self.produced), flush=True)
                for child in children:
                    if child.poll() is not None:  # type: ignore[attr-defined]
                        print(f"a child process exited ({child.returncode}); see {RUN_DIR}/", flush=True)  # type: ignore[attr-defined]
                        return 1
        except KeyboardInterrupt:
            print("stopping: simulation, fulfillment, worker, api, broker")
        finally:
            self.stopping.set()
            feeder.join(5)
            nodes.join(5)
            self.producer.flush(10)
        time.sleep(1.0)
        print(screen.line(self.produced), flush=True)
        answers = " ".join(f"{status} {count}" for status, count in sorted(self.desk.answered.items()))
        print(f"fulfillment answers: {answers or 'none'}; shipments still open {self.desk.pending}")
        return 0
