"""A real `omnistock worker` stopped by SIGTERM under load exits 0 in seconds, and a second worker then
brings every position to the sum of the events sent: nothing lost, nothing doubled."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis
from confluent_kafka import Producer

from omnistock.network_file import NetworkSource
from omnistock.processes import free_port, start_omnistock, stop, wait_worker_assigned
from omnistock.redis_keys import delete_prefix
from omnistock.worker_metrics import scrape_totals
from state.store import RedisStockStore

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).parent.parent / "e2e" / "network.yaml"
LOCATIONS = ("WH-1", "ST-1", "ST-2")
SKUS = tuple(f"SKU-{n:03d}" for n in range(100))
EXIT_BOUND_S = 10.0


class Load:
    """Receipts sent from a thread (unique event ids, stamped now), with the oracle of what was sent."""

    def __init__(self, bootstrap: str, topic_prefix: str) -> None:
        self._producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self._topic = topic_prefix + "stock.receipts.v1"
        self.sent: Counter[tuple[str, str]] = Counter()
        self._thread: threading.Thread | None = None

    def send(self, count: int, per_s: float = 0.0) -> None:
        for n in range(count):
            sku, location = SKUS[n % len(SKUS)], LOCATIONS[(n // len(SKUS)) % len(LOCATIONS)]
            quantity = 1 + n % 7
            event = {
                "event_id": uuid.uuid4().hex,
                "occurred_at": datetime.now(UTC).isoformat(),
                "location_id": location,
                "lines": [{"sku": sku, "quantity": quantity}],
            }
            self._producer.produce(self._topic, orjson.dumps(event), location.encode())
            self.sent[(sku, location)] += quantity
            if per_s:
                self._producer.poll(0)
                time.sleep(1 / per_s)
        assert self._producer.flush(30) == 0

    def send_in_background(self, count: int, per_s: float) -> None:
        self._thread = threading.Thread(target=self.send, args=(count, per_s), daemon=True)
        self._thread.start()

    def wait_sent(self) -> None:
        assert self._thread is not None
        self._thread.join(60)


class Workers:
    """`omnistock worker` processes of one group, on their own topic and key prefixes."""

    def __init__(self, bootstrap: str, redis_url: str, log_dir: Path) -> None:
        run = uuid.uuid4().hex[:10]
        self.redis_url, self.log_dir = redis_url, log_dir
        self.env = {
            "OMNISTOCK_BROKER": bootstrap,
            "OMNISTOCK_REDIS_URL": redis_url,
            "OMNISTOCK_REDIS_PREFIX": f"it-stop-{run}:",
            "OMNISTOCK_TOPIC_PREFIX": f"it-stop-{run}.",
            "OMNISTOCK_GROUP_ID": f"omnistock-{run}",
            "OMNISTOCK_NETWORK_FILE": str(NETWORK),
            "OMNISTOCK_GROUP_SESSION_TIMEOUT_S": "6",
            "OMNISTOCK_GROUP_HEARTBEAT_INTERVAL_S": "1",
            "OMNISTOCK_GROUP_REBALANCE_TIMEOUT_S": "6",
        }
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = {**self.env, "OMNISTOCK_WORKER_METRICS_PORT": str(port)}
        process = start_omnistock(["worker"], env, self.log_dir / f"{name}.log")
        self.started.append(process)
        metrics = f"http://127.0.0.1:{port}/metrics"
        wait_worker_assigned(metrics, 60, process)
        return process, metrics

    def on_hand(self) -> Counter[tuple[str, str]]:
        network = NetworkSource(str(NETWORK)).current
        client = redis.Redis.from_url(self.redis_url)
        store = RedisStockStore(client, self.env["OMNISTOCK_REDIS_PREFIX"], network)
        found: Counter[tuple[str, str]] = Counter()
        for sku, stock in store.read_sync(SKUS).items():
            for location in stock.locations:
                if location.on_hand:
                    found[(sku, location.location_id)] = location.on_hand
        return found

    def close(self) -> None:
        for process in self.started:
            stop(process)
        delete_prefix(redis.Redis.from_url(self.redis_url), self.env["OMNISTOCK_REDIS_PREFIX"])


@pytest.fixture
def workers(broker_bootstrap: str, redis_url: str, tmp_path: Path):
    group = Workers(broker_bootstrap, redis_url, tmp_path)
    try:
        yield group
    finally:
        group.close()


def _wait_consuming(metrics: str, at_least: float, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while scrape_totals(metrics).get("omnistock_events_consumed_total", 0) < at_least:
        assert time.monotonic() < deadline, "the worker consumed too little to be under load"
        time.sleep(0.05)


def _exit_time(process: subprocess.Popen[bytes], *signals: signal.Signals) -> float:
    """Send the signals (0.3 s apart), then time the exit; fails when it takes more than the bound."""
    began = time.monotonic()
    for sent in signals:
        process.send_signal(sent)
        time.sleep(0.3)
    try:
        code = process.wait(EXIT_BOUND_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker was still running {EXIT_BOUND_S:.0f} s after {[s.name for s in signals]}")
    assert code == 0
    return time.monotonic() - began


def _assert_positions_match_the_events_sent(workers: Workers, load: Load, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (found := workers.on_hand()) != load.sent and time.monotonic() < deadline:
        time.sleep(0.5)
    wrong = {key: (found.get(key, 0), sent) for key, sent in load.sent.items() if found.get(key, 0) != sent}
    assert not wrong, f"{len(wrong)} positions differ (found, sent): {list(wrong.items())[:5]}"
    assert set(found) == set(load.sent)  # and no position the events did not make


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGTERM,), (signal.SIGTERM, signal.SIGTERM), (signal.SIGTERM, signal.SIGINT)],
    ids=["sigterm", "sigterm-twice", "sigterm-then-sigint"],
)
def test_a_worker_stopped_under_load_exits_in_seconds_and_its_successor_loses_and_doubles_nothing(
    workers: Workers, broker_bootstrap: str, signals: tuple[signal.Signals, ...]
) -> None:
    first, metrics = workers.start("first")
    load = Load(broker_bootstrap, workers.env["OMNISTOCK_TOPIC_PREFIX"])
    load.send(3000)
    load.send_in_background(3000, per_s=1500)
    _wait_consuming(metrics, 1000)

    took = _exit_time(first, *signals)
    print(f"stopped in {took:.2f} s after {[s.name for s in signals]}")  # noqa: T201 - the measured figure

    load.wait_sent()
    workers.start("second")
    _assert_positions_match_the_events_sent(workers, load)
