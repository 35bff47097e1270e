"""The dev stack's feeds: the simulated network and fulfillment nodes, paced to the worker's backlog."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from confluent_kafka import Producer

from core.errors import OmnistockError
from omnistock.dev.screen import Screen, scrape
from omnistock.dev.store_page import SIM_SEED, store_page_reminder
from omnistock.network_file import NetworkSource
from omnistock.settings import Settings
from omnistock.sim.clock import WallStamps
from omnistock.sim.events import to_ms
from omnistock.sim.fulfillment import FulfillmentDesk, consumer_settings, run_fulfillment
from omnistock.sim.person_store import store_page_url
from omnistock.sim.run import MAX_BACKLOG_S, run_simulation, send_items, stocking_events
from omnistock.sim.simulation import Simulation
from omnistock.stream_options import kafka_options
from streams.kafka_config import producer_config
from topics.catalog import ORDERS

# The simulated tills, warehouses and shoppers send in batches of up to 200 ms, as such feeds do. The
# embedded broker keeps each batch as one object and lists every object of a partition on each fetch
# that finds data. With one event per batch (the worker's 1 ms linger) it took 55-65 % of a core in
# the first minute of `make dev` and 96-105 % after 3-4 min, while the simulation's rate fell from
# ~800 to ~450 events/s; with this linger, 42-52 % throughout and a steady 550-700 events/s (4-min
# runs on a 2-core machine).
FEED_LINGER_MS = 200


class ChildExited(OmnistockError):
    """The worker or the API exited while the stack ran."""


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


class Feeds:
    """The simulation and the simulated fulfillment nodes, each in a thread, on one producer."""

    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        sim_hour_s: float,
        person_store: str | None = None,
        person_every: int = 2,
    ) -> None:
        network = NetworkSource(str(settings.network_file)).current()
        self.simulation = Simulation(network, sku_count=5000, seed=SIM_SEED, sim_hour_s=sim_hour_s)
        self.desk = FulfillmentDesk(
            network,
            sim_hour_s,
            seed=SIM_SEED,
            take=self.simulation.take,
            person_store=person_store,
            person_every=person_every,
        )
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

    def run(
        self,
        rate: float,
        duration: float | None,
        screen: Screen,
        children: tuple[subprocess.Popen[bytes], ...],
        over_bound: Callable[[], str | None] = lambda: None,
    ) -> str | None:
        """Feed until `duration` ends (None) or `over_bound` names a reason to stop (that reason).
        A child that exits is ChildExited; Ctrl-C stops the feeds and goes on up."""
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
        reason: str | None = None
        try:
            while feeder.is_alive() and reason is None:
                feeder.join(2.0)
                print(screen.line(self.produced), flush=True)
                if self.desk.person_store:
                    url = store_page_url(screen.api, self.desk.person_store)
                    print(store_page_reminder(url, len(self.desk.left_to_person)), flush=True)
                exited = [child for child in children if child.poll() is not None]
                if exited:
                    codes = ", ".join(str(child.returncode) for child in exited)
                    raise ChildExited(f"a child process exited ({codes})")
                reason = over_bound()
        finally:
            self.stopping.set()
            feeder.join(5)
            nodes.join(5)
            self.producer.flush(10)
        answers = " ".join(f"{status} {count}" for status, count in sorted(self.desk.answered.items()))
        print(f"fulfillment answers: {answers or 'none'}; shipments still open {self.desk.pending}")
        if self.desk.person_store:
            left = len(self.desk.left_to_person)
            print(f"shipments left to you at {self.desk.person_store}: {left}")
        return reason
