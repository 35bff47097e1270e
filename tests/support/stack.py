"""A running omnistock (worker and API as real processes) on the test broker and Redis."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer

from omnistock.stack.processes import free_port, start_omnistock, stop, wait_http_ok, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix


@dataclass
class Stack:
    bootstrap: str
    topic_prefix: str
    api: str
    producer: Producer
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path = Path(".")
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)  # each worker's /metrics URL, in the same order
    group_id: str = ""
    api_port: int = 0

    def start_worker(self, wait_assigned: bool = True) -> subprocess.Popen[bytes]:
        """One more `omnistock worker` in the stack's group (its own metrics port and log file)."""
        worker, metrics = _start_worker(self.env, self.log_dir, len(self.workers))
        self.workers.append(worker)
        self.metrics.append(metrics)
        if wait_assigned:
            wait_worker_assigned(metrics, 60, worker)
        return worker

    def send(self, topic: str, key: str, value: bytes | dict[str, Any]) -> None:
        self.produce(topic, key, value)
        assert self.producer.flush(10) == 0

    def produce(self, topic: str, key: str, value: bytes | dict[str, Any]) -> None:
        """One record queued, not flushed: many sent at once reach the workers together."""
        data = value if isinstance(value, bytes) else orjson.dumps(value)
        self.producer.produce(self.topic_prefix + topic, data, key.encode())

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.api + path, timeout=5) as answer:  # noqa: S310 - loopback
                return answer.status, orjson.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, orjson.loads(error.read())

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.api + path, orjson.dumps(body), {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
                return answer.status, orjson.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, orjson.loads(error.read())

    def read_topic(self, topic: str, expected: int, timeout_s: float = 20.0) -> list[Any]:
        """At least `expected` records of `topic` from the start (or what came before the timeout)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 1000,
            }
        )
        consumer.subscribe([self.topic_prefix + topic])
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        try:
            while len(records) < expected and time.monotonic() < deadline:
                records += [r for r in consumer.consume(100, 0.5) if r.error() is None]
        finally:
            consumer.close()
        return records


def eventually(check: Callable[[], Any], timeout_s: float = 30.0, interval_s: float = 0.2) -> Any:
    """Retry `check` (which asserts) until it passes or the timeout; then its last failure is raised."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval_s)


@contextlib.contextmanager
def running_stack(
    bootstrap: str,
    redis_url: str,
    network_file: Path,
    log_dir: Path,
    workers: int = 1,
    api_host: str = "127.0.0.1",
    **settings: str,
) -> Iterator[Stack]:
    """`workers` worker processes in one consumer group and one API (listening on `api_host`);
    stopped (SIGTERM) and keys removed."""
    run = uuid.uuid4().hex[:10]
    api_port, metrics_port = free_port(), free_port()
    env = {
        "OMNISTOCK_BROKER": bootstrap,
        "OMNISTOCK_REDIS_URL": redis_url,
        "OMNISTOCK_REDIS_PREFIX": f"e2e-{run}:",
        "OMNISTOCK_TOPIC_PREFIX": f"e2e-{run}.",
        "OMNISTOCK_GROUP_ID": f"omnistock-{run}",
        "OMNISTOCK_NETWORK_FILE": str(network_file),
        "OMNISTOCK_GROUP_SESSION_TIMEOUT_S": "6",
        "OMNISTOCK_GROUP_HEARTBEAT_INTERVAL_S": "1",
        "OMNISTOCK_GROUP_REBALANCE_TIMEOUT_S": "6",
        "OMNISTOCK_WORKER_METRICS_PORT": str(metrics_port),
        **{"OMNISTOCK_" + name.upper(): value for name, value in settings.items()},
    }
    worker = start_omnistock(["worker"], env, log_dir / "worker.log")
    api = start_omnistock(["api", "--host", api_host, "--port", str(api_port)], env, log_dir / "api.log")
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    stack = Stack(bootstrap, env["OMNISTOCK_TOPIC_PREFIX"], f"http://127.0.0.1:{api_port}", producer)
    stack.env, stack.log_dir, stack.group_id = env, log_dir, env["OMNISTOCK_GROUP_ID"]
    stack.workers, stack.metrics = [worker], [f"http://127.0.0.1:{metrics_port}/metrics"]
    stack.api_port = api_port
    try:
        wait_worker_assigned(stack.metrics[0], 60, worker)
        for _ in range(workers - 1):
            stack.start_worker()
        wait_http_ok(f"http://127.0.0.1:{api_port}/readyz", 30, api)
        yield stack
    finally:
        for each in stack.workers:
            stop(each)
        stop(api)
        _delete_keys(redis_url, env["OMNISTOCK_REDIS_PREFIX"], env.get("OMNISTOCK_REDIS_CLUSTER") == "true")


def _start_worker(env: dict[str, str], log_dir: Path, number: int) -> tuple[subprocess.Popen[bytes], str]:
    """A worker like the stack's first one, on a metrics port of its own; and its metrics URL."""
    port = free_port()
    worker_env = {**env, "OMNISTOCK_WORKER_METRICS_PORT": str(port)}
    worker = start_omnistock(["worker"], worker_env, log_dir / f"worker-{number}.log")
    return worker, f"http://127.0.0.1:{port}/metrics"


def _delete_keys(url: str, prefix: str, cluster: bool) -> None:
    import redis
    from redis.cluster import RedisCluster

    delete_prefix(RedisCluster.from_url(url) if cluster else redis.Redis.from_url(url), prefix)
