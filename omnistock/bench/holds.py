"""`omnistock bench holds`: cart holds/s of the omnistock worker beside the raw hold-script ceiling.

Stock is received first (stock.receipts.v1 through the worker), then carts.events.v1 LINE_SET events
are produced pre-encoded and the worker's consumed counter for that topic is timed from its first
batch to its last. In the same run, on fresh prefixes seeded with the same stock: the raw ceiling
(one pipelined EVALSHA of the store's hold script per event, batches of 1000, one Python client)
and the store adapter in-process (decode + RedisStockStore.apply, no Kafka) to locate any gap.
Pointing OMNISTOCK_REDIS_URL at a port where nothing answers starts a private server for the run,
which keeps other users of a shared Redis out of the figures.
"""

from __future__ import annotations

import os
import time
import urllib.request
import uuid
from collections import Counter
from typing import Any

import redis
from prometheus_client.parser import text_string_to_metric_families

from core.ledger import DEDUPE_BUCKETS
from core.movements import AdjustOnHand, OnHandDelta, Outcome, SetHold
from core.network import LocationKind, Network
from omnistock.bench.cart_events import cart_events, encoded, receipts
from omnistock.bench.kafka import produce_all, worker_env
from omnistock.bench.worker import RUN_DIR
from omnistock.kafka_admin import create_topics
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.stack.embedded_broker import EmbeddedBroker
from omnistock.stack.embedded_redis import ensure_redis
from omnistock.stack.processes import free_port, start_omnistock, stop, wait_worker_assigned
from omnistock.stack.redis_keys import delete_prefix
from omnistock.stack.worker_metrics import BENCH_SCRAPE_GAP_S
from state import hold_calls, keys
from state.scripts import Scripts
from state.store import RedisStockStore
from topics.catalog import CART_EVENTS, STOCK_RECEIPTS, all_topic_names
from topics.commands import command_decoder

SKU_COUNT, STOCK_PER_LOCATION, BATCH = 2000, 1000, 1000
TARGET_PER_S = 5000
OUTCOMES = tuple(Outcome)


class Stock:
    """The stock every run starts from: SKU_COUNT skus at the warehouses and five stores."""

    def __init__(self, network: Network) -> None:
        kinds = {LocationKind.WAREHOUSE: 0, LocationKind.STORE: 0}
        picked = []
        for loc in sorted(network.locations.values(), key=lambda loc: loc.location_id):
            if loc.kind in kinds and kinds[loc.kind] < (3 if loc.kind is LocationKind.WAREHOUSE else 5):
                kinds[loc.kind] += 1
                picked.append(loc)
        self.locations = [loc.location_id for loc in picked]
        self.stores = [loc.location_id for loc in picked if loc.kind is LocationKind.STORE]
        self.skus = [f"SKU-{i:05d}" for i in range(1, SKU_COUNT + 1)]

    def seed(self, store: RedisStockStore) -> None:
        """The same stock as the receipts, written straight through the store."""
        deltas = tuple(OnHandDelta(loc, STOCK_PER_LOCATION) for loc in self.locations)
        movements = [AdjustOnHand(f"seed-{sku}", sku, 0, deltas) for sku in self.skus]
        for start in range(0, len(movements), 500):
            store.apply(movements[start : start + 500], time.time_ns() // 1_000_000)


class _RawBatch:
    """What hold_calls.command needs of a batch, with no store around it."""

    def __init__(self, prefix: str, network: Network, now_ms: int) -> None:
        self.prefix, self.network, self.now_ms = prefix, network, now_ms
        self.suffixes = [str(now_ms * DEDUPE_BUCKETS // 3_600_000 - i) for i in range(DEDUPE_BUCKETS + 1)]
        self.common = (3_600_000 + 3_600_000 // DEDUPE_BUCKETS, 86_400_000, len(self.suffixes))

    def head(self, sku: str) -> list[Any]:
        base = keys.dedupe_base(self.prefix, sku)
        return [keys.stock(self.prefix, sku), *[base + s for s in self.suffixes]]

    def location(self, location_id: str) -> tuple[int, int, int]:
        return hold_calls.settings(self.network, location_id)


def raw_holds(
    client: redis.Redis, prefix: str, network: Network, events: list[dict[str, Any]]
) -> tuple[float, Counter[str]]:
    """Seconds for one EVALSHA of the hold script per event, pipelined by BATCH; outcome tally."""
    sha, tally = Scripts().shas(client)["hold"], Counter[str]()
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        batch = _RawBatch(prefix, network, time.time_ns() // 1_000_000)
        pipe = client.pipeline(transaction=False)
        for e in events[start : start + BATCH]:
            hold = SetHold(
                e["event_id"], e["cart_id"], e["sku"], e.get("location_id"), e["quantity"], 900_000
            )
            _name, args, _ = hold_calls.command(hold, batch)
            pipe.evalsha(sha, *args)
        tally.update(OUTCOMES[reply[0]].value for reply in pipe.execute())
    return time.perf_counter() - started, tally


def store_holds(store: RedisStockStore, values: list[bytes], ttl_ms: int) -> tuple[float, Counter[str]]:
    """Seconds to decode and apply the events through the store adapter, BATCH events per apply."""
    decode, tally = command_decoder(None, ttl_ms), Counter[str]()
    started = time.perf_counter()
    for start in range(0, len(values), BATCH):
        commands = [c for value in values[start : start + BATCH] for c in decode(CART_EVENTS, value)]
        results = store.apply(commands, time.time_ns() // 1_000_000)
        tally.update(
            r.outcome.value for r, c in zip(results, commands, strict=True) if isinstance(c, SetHold)
        )
    return time.perf_counter() - started, tally


def _counters(url: str, topic: str) -> Counter[str]:
    """The worker's counters for one topic, by name (and reason, for the ignored ones)."""
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a loopback URL we built
            text = answer.read().decode()
    except OSError:
        return Counter()
    found: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("topic", "").endswith(topic):
                reason = sample.labels.get("reason")
                found[sample.name + (f"[{reason}]" if reason else "")] += int(sample.value)
    return found


def _wait_consumed(
    url: str, topic: str, expected: int, timeout_s: float
) -> tuple[float, float, Counter[str]]:
    """Polls the consumed counter of `topic` until `expected`: (events/s between the first and the
    last batch seen, those seconds, the final counters)."""
    first_at, first_count, consumed = 0.0, 0, 0
    counters: Counter[str] = Counter()
    deadline = time.monotonic() + timeout_s
    while consumed < expected and time.monotonic() < deadline:
        counters = _counters(url, topic)
        consumed = counters["omnistock_events_consumed_total"]
        if consumed and not first_at:
            first_at, first_count = time.perf_counter(), consumed
        time.sleep(BENCH_SCRAPE_GAP_S)
    if consumed < expected:
        raise TimeoutError(
            f"the worker consumed {consumed} of {expected} {topic} events in {timeout_s:.0f} s"
        )
    elapsed = time.perf_counter() - first_at
    return (consumed - first_count) / elapsed, elapsed, counters


def worker_holds(
    settings: Settings,
    topic_prefix: str,
    redis_prefix: str,
    stock: list[bytes],
    carts: list[tuple[bytes, bytes]],
) -> tuple[float, float, Counter[str]]:
    """Receipts first (already produced), then the cart events: the worker's cart events/s."""
    port = free_port()
    env = worker_env(settings, topic_prefix, redis_prefix, port, "bench-holds")
    worker = start_omnistock(["worker"], env, RUN_DIR / "worker-holds.log")
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_worker_assigned(url, 60, worker)
        _wait_consumed(url, STOCK_RECEIPTS, len(stock), 300)
        produce_all(settings.broker, topic_prefix + CART_EVENTS, carts)
        return _wait_consumed(url, CART_EVENTS, len(carts), 600)
    finally:
        stop(worker)


def run_bench_holds(settings: Settings, events: int) -> int:
    run = uuid.uuid4().hex[:8]
    topic_prefix = f"bench-holds-{run}."
    prefixes = {name: f"bench-holds-{name}-{run}:" for name in ("raw", "store", "omni")}
    network = load_network(settings.network_file or default_network_path())
    stock = Stock(network)
    carts = cart_events(stock.skus, stock.stores, events)
    stock_records = encoded(receipts(stock.skus, stock.locations, STOCK_PER_LOCATION), "location_id")
    cart_records = encoded(carts, "cart_id")
    ttl_ms = settings.hold_ttl_s * 1000
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores before the run")
    embedded_redis = ensure_redis(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url)
    try:
        with EmbeddedBroker(log_path=RUN_DIR / "broker.log") as broker:
            create_topics(broker.bootstrap, all_topic_names(topic_prefix), settings.topic_partitions)
            print(
                f"{len(stock_records)} receipts ({SKU_COUNT} skus x {len(stock.locations)} locations), "
                f"then {events} LINE_SET cart events ({len(stock.stores)} click & collect stores)..."
            )
            produce_all(broker.bootstrap, topic_prefix + STOCK_RECEIPTS, stock_records)
            tuned = settings.model_copy(update={"broker": broker.bootstrap})
            stock_values = [value for _key, value in stock_records]
            omni = worker_holds(tuned, topic_prefix, prefixes["omni"], stock_values, cart_records)
        for name in ("raw", "store"):
            stock.seed(RedisStockStore(client, prefixes[name], lambda: network))
        raw = raw_holds(client, prefixes["raw"], network, carts)
        store = RedisStockStore(client, prefixes["store"], lambda: network)
        in_process = store_holds(store, [value for _key, value in cart_records], ttl_ms)
    finally:
        for prefix in prefixes.values():
            delete_prefix(client, prefix)
        if embedded_redis is not None:
            embedded_redis.stop()
    report(events, raw, in_process, omni)
    return 0


def report(
    events: int,
    raw: tuple[float, Counter[str]],
    in_process: tuple[float, Counter[str]],
    omni: tuple[float, float, Counter[str]],
) -> None:
    raw_rate, store_rate, omni_rate = events / raw[0], events / in_process[0], omni[0]
    print(f"{'':40}{'holds/s':>9}{'seconds':>9}  outcomes")
    print(f"{'raw: EVALSHA hold, pipelines of 1000':40}{raw_rate:9.0f}{raw[0]:9.1f}  {_mix(raw[1])}")
    store_line = f"{'store.apply in-process (no Kafka)':40}{store_rate:9.0f}{in_process[0]:9.1f}"
    print(f"{store_line}  {_mix(in_process[1])}")
    counters = {
        k.removeprefix("omnistock_events_").replace("_total", ""): v
        for k, v in omni[2].items()
        if k.startswith("omnistock_events_") and v and "consumed" not in k
    }
    print(f"{'omnistock worker (1 process)':40}{omni_rate:9.0f}{omni[1]:9.1f}  {_mix(Counter(counters))}")
    print(
        f"ratio worker / raw: {omni_rate / raw_rate:.2f}; worker / in-process: {omni_rate / store_rate:.2f}"
    )
    print("(worker outcomes count commands: each LINE_SET is a hold and a renewal of its cart)")
    verdict = "met" if omni_rate >= TARGET_PER_S else "NOT met"
    print(f"target >= {TARGET_PER_S} holds/s per worker: {verdict}")


def _mix(tally: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(tally.items()))
