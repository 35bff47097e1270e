"""`omnistock bench worker`: the raw pipeline ceiling and the omnistock worker on the same events, in one run.

Both read the same pre-produced topics (separate consumer groups and Redis prefixes) on an embedded
broker, one after the other, so each has the machine to itself; each is timed from its first batch
to its last. The ratio omnistock / raw is the figure to watch (target: >= 0.5).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import redis
from confluent_kafka import Producer

from omnistock.bench.events import bench_events
from omnistock.bench.raw import run_raw
from omnistock.kafka_admin import create_topics
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from omnistock.stack.worker_metrics import BENCH_SCRAPE_GAP_S, scrape_totals
from omnistock.stream_options import kafka_options
from streams.kafka_config import consumer_config, producer_config
from topics.catalog import AVAILABILITY_CHANGES, POS_SALES, STOCK_RECEIPTS, all_topic_names

RUN_DIR = Path(".omnistock/bench")


def _produce(bootstrap: str, prefix: str, events: int) -> float:
    network = load_network(default_network_path())
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 1_000_000}
    )
    started = time.perf_counter()
    for topic, key, value in bench_events(network, events):
        while True:
            try:
                producer.produce(prefix + topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)
    return events / (time.perf_counter() - started)


def _worker_rate(
    settings: Settings, bootstrap: str, topic_prefix: str, redis_prefix: str, events: int
) -> tuple[float, float]:
    """Run `omnistock worker` on the topics; returns (events/s between first and last batch, seconds)."""
    metrics_port = free_port()
    env = {
        "OMNISTOCK_BROKER": bootstrap,
        "OMNISTOCK_REDIS_URL": settings.redis_url,
        "OMNISTOCK_REDIS_PREFIX": redis_prefix,
        "OMNISTOCK_TOPIC_PREFIX": topic_prefix,
        "OMNISTOCK_GROUP_ID": f"bench-worker-{uuid.uuid4().hex[:8]}",
        "OMNISTOCK_GROUP_SESSION_TIMEOUT_S": "6",
        "OMNISTOCK_GROUP_HEARTBEAT_INTERVAL_S": "1",
        "OMNISTOCK_GROUP_REBALANCE_TIMEOUT_S": "6",
        "OMNISTOCK_WORKER_METRICS_PORT": str(metrics_port),
        "OMNISTOCK_LOG_LEVEL": "WARNING",
    }
    worker = start_omnistock(["worker"], env, RUN_DIR / "worker.log")
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        wait_worker_assigned(url, 60, worker)
        first_at, first_count, consumed = 0.0, 0.0, 0.0
        deadline = time.monotonic() + 600
        while consumed < events and time.monotonic() < deadline:
            consumed = scrape_totals(url).get("omnistock_events_consumed_total", 0.0)
            if consumed and not first_at:
                first_at, first_count = time.perf_counter(), consumed
            time.sleep(BENCH_SCRAPE_GAP_S)
        elapsed = time.perf_counter() - first_at
        return (consumed - first_count) / elapsed, elapsed
    finally:
        stop(worker)


def run_bench(settings: Settings, what: str, events: int) -> int:
    run = uuid.uuid4().hex[:8]
    topic_prefix, raw_prefix, omni_prefix = f"bench-{run}.", f"bench-raw-{run}:", f"bench-omni-{run}:"
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    try:
        with EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker:
            create_topics(broker.bootstrap, all_topic_names(topic_prefix), settings.topic_partitions)
            print(f"producing {events} events (90 % POS sales, 10 % receipts; 5,000 skus, 58 locations)...")
            produce_rate = _produce(broker.bootstrap, topic_prefix, events)
            tuned = settings.model_copy(
                update={
                    "broker": broker.bootstrap,
                    "group_session_timeout_s": 6.0,
                    "group_heartbeat_interval_s": 1.0,
                }
            )
            raw_done, raw_s = run_raw(
                consumer_config(kafka_options(tuned), f"bench-raw-{run}"),
                producer_config(kafka_options(tuned)),
                [topic_prefix + POS_SALES, topic_prefix + STOCK_RECEIPTS],
                topic_prefix + AVAILABILITY_CHANGES,
                client,
                raw_prefix,
                load_network(default_network_path()),
                events,
            )
            raw_rate = raw_done / raw_s
            omni_rate, omni_s = _worker_rate(settings, broker.bootstrap, topic_prefix, omni_prefix, events)
    finally:
        delete_prefix(client, raw_prefix)
        delete_prefix(client, omni_prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
    print(f"{'':28}{'events/s':>10}{'seconds':>9}")
    print(f"{'produce (pre-encoded JSON)':28}{produce_rate:10.0f}")
    print(f"{'raw pipeline (ceiling)':28}{raw_rate:10.0f}{raw_s:9.1f}")
    print(f"{'omnistock worker':28}{omni_rate:10.0f}{omni_s:9.1f}")
    print(f"ratio omnistock / raw: {omni_rate / raw_rate:.2f} (target >= 0.50)")
    return 0
