"""What the worker benchmarks share: pre-encoded records produced flat out, and a bench worker's settings."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Producer

from omnistock.settings import Settings


def produce_all(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    """Produces (key, value) records as fast as the client takes them; returns records/s."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "queue.buffering.max.messages": 1_000_000}
    )
    started = time.perf_counter()
    for key, value in records:
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)
    return len(records) / (time.perf_counter() - started)


def worker_env(
    settings: Settings, topic_prefix: str, redis_prefix: str, metrics_port: int, group: str
) -> dict[str, str]:
    """The environment of one `omnistock worker` on the run's prefixes, timed for the embedded broker."""
    return {
        "OMNISTOCK_BROKER": settings.broker,
        "OMNISTOCK_REDIS_URL": settings.redis_url,
        "OMNISTOCK_REDIS_PREFIX": redis_prefix,
        "OMNISTOCK_TOPIC_PREFIX": topic_prefix,
        "OMNISTOCK_GROUP_ID": f"{group}-{uuid.uuid4().hex[:8]}",
        "OMNISTOCK_GROUP_SESSION_TIMEOUT_S": "6",
        "OMNISTOCK_GROUP_HEARTBEAT_INTERVAL_S": "1",
        "OMNISTOCK_GROUP_REBALANCE_TIMEOUT_S": "6",
        "OMNISTOCK_WORKER_METRICS_PORT": str(metrics_port),
        "OMNISTOCK_LOG_LEVEL": "WARNING",
        "OMNISTOCK_OUTPUT_FORMAT": "avro",  # the benches decode the outputs as Avro, whatever the shell says
    }
