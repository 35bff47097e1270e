"""Load for `omnistock worker` processes: receipts with their oracle, and workers of one group."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import redis
from confluent_kafka import Producer

from omnistock.network_file import NetworkSource
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from state.store import RedisStockStore

NETWORK = Path(__file__).parent.parent / "e2e" / "network.yaml"
LOCATIONS = ("WH-1", "ST-1", "ST-2")
SKUS = tuple(f"SKU-{n:03d}" for n in range(100))


class Load:
    """Receipts sent from a thread (unique event ids, stamped now), with the oracle of what was sent."""

    def __init__(
        self, bootstrap: str, topic_prefix: str, sent: Counter[tuple[str, str]] | None = None
    ) -> None:
        self._producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self._topic = topic_prefix + "stock.receipts.v1"
        self.sent: Counter[tuple[str, str]] = sent if sent is not None else Counter()
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

    def stop_all(self) -> None:
        for process in self.started:
            stop(process)

    def close(self) -> None:
        self.stop_all()
        delete_prefix(redis.Redis.from_url(self.redis_url), self.env["OMNISTOCK_REDIS_PREFIX"])


def positions_match(workers: Workers, load: Load, timeout_s: float = 90.0) -> None:
    """Wait until every position equals the sum of the events sent; else fail with the differences."""
    deadline = time.monotonic() + timeout_s
    while (found := workers.on_hand()) != load.sent and time.monotonic() < deadline:
        time.sleep(0.5)
    wrong = {key: (found.get(key, 0), sent) for key, sent in load.sent.items() if found.get(key, 0) != sent}
    assert not wrong, f"{len(wrong)} positions differ (found, sent): {list(wrong.items())[:5]}"
    assert set(found) == set(load.sent)  # and no position the events did not make
