"""`bench worker --cluster`'s phase on the 3-master cluster: the worker applies every event, and the
bench reads its CPU. Bounded: one worker, 400 events over 50 skus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import orjson
import pytest
from redis.cluster import RedisCluster

from omnistock.bench.events import bench_events
from omnistock.bench.worker_phase import Backend, run_phase
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from state.store import RedisStockStore
from topics.catalog import STOCK_RECEIPTS

pytestmark = [pytest.mark.redis, pytest.mark.broker]
NETWORK = load_network(default_network_path())


@pytest.fixture
def cluster(redis_cluster_url: str) -> Iterator[RedisCluster]:
    client = RedisCluster.from_url(redis_cluster_url)
    yield client
    client.close()


def expected_on_hand(records: list[tuple[str, bytes, bytes]]) -> Counter[tuple[str, str]]:
    on_hand: Counter[tuple[str, str]] = Counter()
    for topic, _, value in records:
        event = orjson.loads(value)
        sign = 1 if topic == STOCK_RECEIPTS else -1
        for line in event["lines"]:
            on_hand[line["sku"], event["location_id"]] += sign * line["quantity"]
    return on_hand


def test_one_worker_applies_every_event_of_a_phase_on_the_cluster_and_its_cpu_is_read(
    broker_bootstrap: str, redis_cluster_url: str, cluster: RedisCluster
) -> None:
    records = list(bench_events(NETWORK, 400, sku_count=50))
    backend = Backend("cluster", redis_cluster_url, True, {})  # the session's cluster: no pids to read
    phase = run_phase(Settings(broker=broker_bootstrap), backend, 1, records, broker_pid=-1, timeout_s=120)
    try:
        expected = expected_on_hand(records)
        stock = RedisStockStore(cluster, phase.redis_prefix, lambda: NETWORK)
        found = stock.read_sync(sorted({sku for sku, _ in expected}))
        on_hand = {(sku, loc.location_id): loc.on_hand for sku, s in found.items() for loc in s.locations}
        assert on_hand == dict(expected)
        assert phase.result.rate > 0
        assert phase.result.cpu["worker 1"] > 0
    finally:
        for key in cluster.scan_iter(match=phase.redis_prefix + "*", count=1000):
            cluster.delete(key)
