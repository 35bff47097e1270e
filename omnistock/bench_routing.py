"""`omnistock bench routing`: routed orders/s of one worker, and order -> fulfillment-request latency.

Stock for SKU_COUNT skus is seeded straight into a scratch Redis prefix (omnistock.bench_orders), one
`omnistock worker` runs on it and on a fresh topic prefix of the embedded broker. Throughput: `orders`
PLACED orders are produced flat out and the rate is taken from the Kafka timestamps of the first and
the last orders.status.v1 record (the worker's own pace). Latency: orders produced open loop at `rate`
for LATENCY_S seconds; per order, from its scheduled send time to its first fulfillment.requests.v1
record read by a consumer here. Each phase also prints the CPU taken by the broker, the worker, Redis
and the bench itself (they share the machine's cores), and the latency phase its p99 per SLICE_S.
Targets (issue 5): >= 500 orders/s per worker; p99 < 100 ms at 200/s.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from subprocess import Popen
from typing import Any

import orjson
import redis
from confluent_kafka import OFFSET_BEGINNING, TIMESTAMP_NOT_AVAILABLE, Consumer, Producer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from omnistock.bench import RUN_DIR
from omnistock.bench_kafka import produce_all, worker_env
from omnistock.bench_orders import order_events, pickup_points, stock_atp
from omnistock.bench_promise import load_inputs
from omnistock.bench_promise_http import seed_atp
from omnistock.cpu_meter import CpuMeter, cpu_line
from omnistock.embedded_broker import EmbeddedBroker
from omnistock.embedded_redis import ensure_redis
from omnistock.kafka_admin import create_topics
from omnistock.latency import PhaseSummary, percentile, percentiles_by_slice, schedule, summarize
from omnistock.load_client import sku_name
from omnistock.processes import free_port, start_omnistock, stop, wait_worker_assigned
from omnistock.redis_keys import delete_prefix
from omnistock.settings import Settings
from state.store import RedisStockStore
from topics.catalog import all_topic_names
from topics.codec import AvroCodec
from topics.registry import make_registry

ORDERS, STATUS, REQUESTS = "orders.v1", "orders.status.v1", "fulfillment.requests.v1"
SKU_COUNT, LATENCY_S, SEED = 5000, 20.0, 20261205
SENDING_DONE = "-sending-done-"  # not an order id: order ids are prefixed by the run
QUIET_S = 2.0  # after the last order is sent, how long its request may take to be read back
TARGET_PER_S, TARGET_P99_MS = 500.0, 100.0
SLICE_S = 5.0  # the latency phase's p99 per slice of this many seconds
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class Outputs:
    """What the worker published, per order: its first status (and that record's Kafka timestamp in
    ms) and when its first fulfillment request was read here (epoch seconds)."""

    statuses: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    requests: dict[str, float] = field(default_factory=dict)


class OutputReader:
    """Reads some of the worker's output topics from their start, on assigned partitions (no group join)."""

    def __init__(self, bootstrap: str, topic_prefix: str, partitions: int, topics: Sequence[str]) -> None:
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"bench-routing-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False, "fetch.wait.max.ms": 5, "enable.partition.eof": False,
        })  # fmt: skip
        self._requests = topic_prefix + REQUESTS
        self._consumer.assign([
            TopicPartition(topic_prefix + name, p, OFFSET_BEGINNING)
            for name in topics for p in range(partitions)
        ])  # fmt: skip
        self.out = Outputs()
        self._closed = False

    def read_until(self, until: Callable[[Outputs], bool], timeout_s: float, waiting_for: str) -> None:
        """Polls until `until(self.out)` is true; TimeoutError naming what it waited for after `timeout_s`."""
        if not self.read(until, timeout_s):
            raise TimeoutError(
                f"{waiting_for}: {len(self.out.statuses)} statuses and {len(self.out.requests)} requests "
                f"read after {timeout_s:.0f} s"
            )

    def drain(self, seconds: float) -> None:
        """Reads for `seconds`, keeping what comes."""
        until = time.monotonic() + seconds
        self.read(lambda out: time.monotonic() > until, seconds + 5.0)

    def read(self, until: Callable[[Outputs], bool], timeout_s: float) -> bool:
        """Polls until `until(self.out)` is true (True) or `timeout_s` has passed (False)."""
        deadline = time.monotonic() + timeout_s
        while not until(self.out):
            if time.monotonic() > deadline:
                return False
            # what has arrived, else the first record within 50 ms: consume(1000, 0.05) alone would wait
            # for 1000 records or the full 50 ms, adding its own delay to every latency measured
            records = self._consumer.consume(1000, 0) or self._consumer.consume(1, 0.05)
            for record in records:
                if record.error() is not None:
                    continue
                seen, order_id = time.time(), (record.key() or b"").decode()
                if record.topic() == self._requests:
                    self.out.requests.setdefault(order_id, seen)
                else:
                    kind, stamp = record.timestamp()
                    ms = round(seen * 1000) if kind == TIMESTAMP_NOT_AVAILABLE else stamp
                    self.out.statuses.setdefault(order_id, (record.value() or b"", ms))
        return True

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._consumer.close()


def worker_sums(url: str) -> dict[str, float]:
    """The worker's orders.v1 batch figures: records and routing seconds (sums and counts so far)."""
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a loopback URL we built
            text = answer.read().decode()
    except OSError:
        return {}
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith(("omnistock_routing_batch_seconds_", "omnistock_batch_records_"))
        and sample.labels.get("topic", ORDERS).endswith(ORDERS)
        and sample.name.endswith(("_sum", "_count"))
    } | {
        f"age_le_{sample.labels['le']}": sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "omnistock_event_age_seconds_bucket" and sample.labels.get("topic") == ORDERS
    }


def worker_line(before: dict[str, float], after: dict[str, float]) -> str:
    """Mean orders per batch and routing milliseconds per batch and per order, between two scrapes."""
    d = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    batches, orders = d.get("omnistock_batch_records_count", 0.0), d.get("omnistock_batch_records_sum", 0.0)
    routing = d.get("omnistock_routing_batch_seconds_sum", 0.0) * 1000
    if not batches or not orders:
        return "worker: no orders.v1 batch figures"
    ages = {name[7:]: count for name, count in d.items() if name.startswith("age_le_")}
    total = ages.get("+Inf", 0.0)
    aged = (
        ", ".join(f"{ages.get(le, 0.0) / total:.0%} < {float(le) * 1000:.0f} ms" for le in ("0.05", "0.1"))
        if total
        else ""
    )
    return (
        f"worker: {batches:.0f} batches of {orders / batches:.1f} orders on average; routing "
        f"{routing / batches:.1f} ms per batch, {routing / orders:.2f} ms per order"
        + (f"; oldest order of a batch, sent to produced: {aged}" if aged else "")
    )


def throughput(reader: OutputReader, bootstrap: str, topic: str, events: list[dict[str, Any]]) -> float:
    """Orders/s between the worker's first and last status of these orders."""
    now_ms = time.time_ns() // 1_000_000
    records = [(e["order_id"].encode(), orjson.dumps({**e, "occurred_at": now_ms})) for e in events]
    ids = [e["order_id"] for e in events]
    produce_all(bootstrap, topic, records)
    reader.read_until(lambda out: all(i in out.statuses for i in ids), 60 + len(ids) / 20, "every status")
    stamps = sorted(reader.out.statuses[i][1] for i in ids)
    return (len(stamps) - 1) / max((stamps[-1] - stamps[0]) / 1000, 1e-3)


def send_open_loop(
    bootstrap: str, topic: str, events: list[dict[str, Any]], rate: float, sent: dict[str, float]
) -> None:
    """Each event at its scheduled time (occurred_at = that time); `sent` gets order -> scheduled time
    and, once every event is sent, SENDING_DONE -> when."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    start = time.time() + 0.2
    for event, due in zip(events, schedule(len(events), rate), strict=True):
        at = start + due
        time.sleep(max(0.0, at - time.time()))
        sent[event["order_id"]] = at
        value = orjson.dumps({**event, "occurred_at": round(at * 1000)})
        producer.produce(topic, value, event["order_id"].encode())
        producer.poll(0)
    producer.flush(30)
    sent[SENDING_DONE] = time.time()


def latency(
    reader: OutputReader, bootstrap: str, topic: str, events: list[dict[str, Any]], rate: float
) -> tuple[PhaseSummary, dict[str, float]]:
    """Orders sent open loop; each one's first fulfillment request read back. Returns the summary and
    each order's scheduled send time."""
    sent: dict[str, float] = {}
    sender = threading.Thread(target=send_open_loop, args=(bootstrap, topic, events, rate, sent))
    started = time.time()
    sender.start()
    ids = [e["order_id"] for e in events]
    reader.read_until(lambda out: not sender.is_alive(), 120 + len(ids) / rate, "the sender")
    sender.join()
    # the last requests, then a second more for any late one (an order no node can serve has none)
    reader.read(lambda out: all(i in out.requests for i in ids), QUIET_S)
    reader.drain(1.0)
    elapsed = sent.pop(SENDING_DONE) - started  # the sending rate: the worker's pace shows in the latency
    took = [reader.out.requests[i] - sent[i] for i in ids if i in reader.out.requests]
    summary = summarize(f"{rate:.0f} orders/s open loop", len(ids), took, [], len(ids) - len(took), elapsed)
    return summary, sent


def split(sent: Mapping[str, float], out: Outputs) -> None:
    """Where the time goes: the status's broker timestamp is when the worker produced it (CreateTime)."""
    both = [i for i in sent if i in out.requests and i in out.statuses]
    inbound = sorted(out.statuses[i][1] / 1000 - sent[i] for i in both)
    outbound = sorted(out.requests[i] - out.statuses[i][1] / 1000 for i in both)
    for name, part in (
        ("order sent -> worker produced its status", inbound),
        ("-> request read back", outbound),
    ):
        print(f"  {name}: p50 {percentile(part, 50) * 1000:.1f} ms, p99 {percentile(part, 99) * 1000:.1f} ms")


def shares(out: Outputs, codec: AvroCodec, ids: list[str]) -> Counter[str]:
    return Counter(str(codec.decode(out.statuses[i][0])["status"]) for i in ids if i in out.statuses)


def run_bench_routing(settings: Settings, orders: int, rate: float) -> int:
    run = uuid.uuid4().hex[:8]
    topic_prefix, redis_prefix = f"bench-routing-{run}.", f"bench-routing-{run}:"
    prepared, table = load_inputs()
    network, rng = prepared.network, random.Random(SEED)  # noqa: S311 - a reproducible load
    skus = [sku_name(i) for i in range(1, SKU_COUNT + 1)]
    atp, pickups = stock_atp(network, skus, rng), pickup_points(network, table)
    fast = order_events(skus, pickups, orders, f"t{run}", rng)
    paced = order_events(skus, pickups, round(rate * LATENCY_S), f"l{run}", rng)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the run")
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    worker = None
    try:
        print(
            f"seeding {len(atp)} (sku, location) stock positions, {SKU_COUNT} skus, under {redis_prefix} ..."
        )
        seed_atp(RedisStockStore(client, redis_prefix, lambda: network), network, atp)
        with EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker:
            create_topics(broker.bootstrap, all_topic_names(topic_prefix), settings.topic_partitions)
            tuned = settings.model_copy(update={"broker": broker.bootstrap})
            port = free_port()
            env = worker_env(tuned, topic_prefix, redis_prefix, port, "bench-routing")
            worker = start_omnistock(["worker"], env, RUN_DIR / "worker-routing.log")
            url = f"http://127.0.0.1:{port}/metrics"
            wait_worker_assigned(url, 60, worker)
            parts, orders_topic = settings.topic_partitions, topic_prefix + ORDERS
            meter = CpuMeter(run_pids(broker.process, worker, client))
            print(f"{orders} orders flat out, then {len(paced)} at {rate:.0f}/s (1 worker) ...")
            # One reader per phase, of what that phase measures: the embedded broker's cost per fetch
            # grows with the batches stored in the partition (it lists them all), so a reader of the
            # status topic during the timed phase would load the broker the worker depends on.
            requests = OutputReader(broker.bootstrap, topic_prefix, parts, (REQUESTS,))
            statuses = OutputReader(broker.bootstrap, topic_prefix, parts, (STATUS,))
            try:
                scrapes = [worker_sums(url)]
                meter.mark()
                per_s = throughput(statuses, broker.bootstrap, orders_topic, fast)
                cpu = [meter.shares()]
                scrapes.append(worker_sums(url))
                statuses.close()
                requests.drain(1.0)  # the requests of the flat-out phase, read and set aside
                meter.mark()
                paced_summary, sent = latency(requests, broker.bootstrap, orders_topic, paced, rate)
                cpu.append(meter.shares())
                scrapes.append(worker_sums(url))
                statuses = OutputReader(broker.bootstrap, topic_prefix, parts, (STATUS,))
                every = [e["order_id"] for e in fast + paced]
                statuses.read_until(lambda out: all(i in out.statuses for i in every), 60, "every status")
            finally:
                requests.close()
                statuses.close()
            stop(worker)
    finally:
        if worker is not None:
            stop(worker)
        delete_prefix(client, redis_prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
    codec = AvroCodec(make_registry(settings.schema_registry_url, topic_prefix))
    mix = shares(statuses.out, codec, [e["order_id"] for e in fast + paced])
    lines = [worker_line(a, b) for a, b in zip(scrapes, scrapes[1:], strict=False)]
    split(sent, Outputs(statuses.out.statuses, requests.out.requests))
    report(per_s, paced_summary, mix, rate, lines, cpu, drift(sent, requests.out.requests))
    return 0


def run_pids(broker: Popen[bytes] | None, worker: Popen[bytes], client: redis.Redis) -> dict[str, int]:
    """The processes sharing this machine's cores in the run: broker, worker, and Redis when it is on
    this machine (its pid elsewhere would name some process of ours)."""
    pids = {"broker": broker.pid} if broker is not None else {}
    pids["worker"] = worker.pid
    if client.connection_pool.connection_kwargs.get("host") in LOCAL_HOSTS:
        with contextlib.suppress(redis.RedisError, KeyError, ValueError):  # then Redis is left out
            pids["Redis"] = int(client.info("server")["process_id"])
    return pids


def drift(sent: Mapping[str, float], read_at: Mapping[str, float]) -> str:
    """The latency phase's p99 per SLICE_S of sending: flat, or growing as the run goes on."""
    if not sent:
        return ""
    start = min(sent.values())
    pairs = [(at - start, read_at[i] - at) for i, at in sent.items() if i in read_at]
    p99s = ", ".join(f"{p99 * 1000:.0f}" for _, p99, _ in percentiles_by_slice(pairs, SLICE_S))
    return f"p99 per {SLICE_S:g} s of the phase: {p99s} ms"


def report(
    per_s: float,
    paced: PhaseSummary,
    mix: Counter[str],
    rate: float,
    worker: list[str],
    cpu: list[dict[str, float]],
    slices: str,
) -> None:
    total = sum(mix.values())
    print(f"statuses of {total} orders: " + ", ".join(f"{k} {n / total:.1%}" for k, n in sorted(mix.items())))
    print(f"throughput: {per_s:.0f} routed orders/s, 1 worker (first to last status)")
    print(f"  {worker[0]}")
    print(f"  {cpu_line(cpu[0])}")
    print("latency: order -> first fulfillment request read back, from its scheduled send time (ms)")
    print(f"{'':26}{'orders/s':>9}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>9}{'no request':>11}")
    p = paced
    line = f"{p.name:26}{p.achieved_rate:9.0f}{p.p50_ms:8.1f}{p.p90_ms:8.1f}{p.p99_ms:8.1f}{p.max_ms:9.1f}"
    print(f"{line}{p.errors:11d}")
    print(f"  {worker[1]}")
    print(f"  {cpu_line(cpu[1])}")
    if slices:
        print(f"  {slices}")
    print(f"target >= {TARGET_PER_S:.0f} orders/s per worker: {_verdict(per_s >= TARGET_PER_S)}")
    print(f"target p99 < {TARGET_P99_MS:.0f} ms at {rate:.0f} orders/s: {_verdict(p.p99_ms < TARGET_P99_MS)}")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"
