"""The raw ceiling: confluent-kafka consume, orjson, the store's own Lua script in one pipeline per
batch (on a cluster, one per node), produce. No validation, no framework: what the worker's extra
work is measured against."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import redis
from confluent_kafka import Consumer, Producer
from redis.cluster import RedisCluster

from core.ledger import DEDUPE_BUCKETS
from core.network import Network
from state import keys
from state.cluster_calls import ClusterScriptRunner
from state.scripts import Scripts

DEDUPE_TTL_MS = 3_600_000 + 3_600_000 // DEDUPE_BUCKETS
COUNT_WINDOW_MS = 86_400_000


Policy = dict[str, tuple[int, int, int]]  # location -> safety stock, serves online (0/1), protection


def location_policy(network: Network) -> Policy:
    return {
        loc: (network.safety_stock(loc), int(network.serves_online(loc)), network.online_protection(loc))
        for loc in network.locations
    }


def adjust_call(
    prefix: str,
    event: dict[str, Any],
    location: str,
    line: dict[str, Any],
    sign: int,
    now: int,
    suffixes: list[str],
    policy: Policy,
) -> tuple[list[str], tuple[Any, ...]]:
    """KEYS and ARGV of adjust.lua for one line, built by hand as a lean consumer would."""
    sku = line["sku"]
    base = keys.dedupe_base(prefix, sku)
    ks = [keys.stock(prefix, sku), *[base + s for s in suffixes], keys.delta_log(prefix, sku, location)]
    args = (event["event_id"], now, event["occurred_at"], DEDUPE_TTL_MS, COUNT_WINDOW_MS)
    return ks, (*args, len(suffixes), 1, location, sign * line["quantity"], *policy[location])


Send = Callable[[list[tuple[list[str], tuple[Any, ...]]]], list[Any]]  # (KEYS, ARGV) per call -> replies


def pipeline_send(client: redis.Redis) -> Send:
    """adjust.lua by SHA, every call of the batch in one redis-py pipeline (one Redis)."""
    sha = Scripts().shas(client)["adjust"]

    def send(calls: list[tuple[list[str], tuple[Any, ...]]]) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        for ks, args in calls:
            pipe.evalsha(sha, len(ks), *ks, *args)
        return pipe.execute()

    return send


def cluster_send(client: RedisCluster) -> Send:
    """adjust.lua on a cluster: the batch's calls as one pipeline per node (the store's own runner)."""
    runner = ClusterScriptRunner(client)

    def send(calls: list[tuple[list[str], tuple[Any, ...]]]) -> list[Any]:
        return runner.run([("adjust", (len(ks), *ks, *args)) for ks, args in calls])

    return send


def run_raw(
    consumer_conf: dict[str, Any],
    producer_conf: dict[str, Any],
    topics: list[str],
    changes_topic: str,
    client: redis.Redis | RedisCluster,
    redis_prefix: str,
    network: Network,
    expected: int,
) -> tuple[int, float]:
    """Consume `expected` events; returns (events, seconds from the first batch to the last)."""
    consumer, producer = Consumer(consumer_conf), Producer(producer_conf)
    consumer.subscribe(topics)
    send = cluster_send(client) if isinstance(client, RedisCluster) else pipeline_send(client)
    policy = location_policy(network)
    done, first = 0, 0.0
    try:
        while done < expected:
            records = [r for r in consumer.consume(1000, 0.1) if r.error() is None]
            if not records:
                continue
            first = first or time.perf_counter()
            now = time.time_ns() // 1_000_000
            suffixes = [str(now * DEDUPE_BUCKETS // 3_600_000 - i) for i in range(DEDUPE_BUCKETS + 1)]
            calls, skus = [], []
            for record in records:
                event = orjson.loads(record.value())  # type: ignore[arg-type]
                sign = -1 if record.topic().endswith("sales.v1") else 1  # type: ignore[union-attr]
                location = event["location_id"]
                for line in event["lines"]:
                    calls.append(
                        adjust_call(redis_prefix, event, location, line, sign, now, suffixes, policy)
                    )
                    skus.append(line["sku"])
            for sku, reply in zip(skus, send(calls), strict=True):
                producer.produce(changes_topic, orjson.dumps(reply), sku.encode())
            producer.poll(0)
            done += len(records)
        producer.flush(30)
        return done, time.perf_counter() - first
    finally:
        consumer.close()
