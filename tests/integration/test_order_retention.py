"""OMNISTOCK_ORDER_RETENTION_DAYS reaches the worker's order store: its decisions and finished orders
expire after that many days on a real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from uuid import uuid4

import orjson
import pytest
import redis
from prometheus_client import CollectorRegistry

from omnistock.network_file import NetworkSource, default_network_path
from omnistock.settings import Settings
from omnistock.stack.redis_keys import delete_prefix
from omnistock.wiring.worker import worker_processing
from state.store import RedisStockStore
from streams.metrics import WorkerMetrics
from streams.order_metrics import OrderMetrics
from tests.support.records import FakeRecord
from topics.catalog import ORDERS

pytestmark = pytest.mark.redis
DAY_S = 86400


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def test_the_worker_keeps_decisions_and_finished_orders_for_the_configured_days(client: redis.Redis) -> None:
    prefix = f"t-retention-{uuid4().hex[:8]}:"
    settings = Settings(redis_prefix=prefix, order_retention_days=2)
    network = NetworkSource(str(default_network_path()))
    store = RedisStockStore(
        client, prefix, network.current, settings.dedupe_window_s, settings.count_window_s
    )
    metrics = WorkerMetrics.create(CollectorRegistry())
    order_metrics = OrderMetrics.create(CollectorRegistry())
    pipelines, _ = worker_processing(settings, metrics, order_metrics, store, network)
    placed = orjson.dumps({
        "event_id": "O-1-placed", "occurred_at": time.time_ns() // 1_000_000, "order_id": "O-1",
        "type": "PLACED",
        "channel": "web", "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
        "lines": [{"line_id": "l1", "sku": "SKU-NOWHERE", "quantity": 1}],
    })  # fmt: skip
    try:
        pipelines[ORDERS].run(ORDERS, [FakeRecord(ORDERS, placed)])

        (decision,) = client.keys(f"{prefix}dec:*")
        assert DAY_S < client.ttl(decision) <= 2 * DAY_S
        assert DAY_S < client.ttl(f"{prefix}ord:{{O-1}}") <= 2 * DAY_S  # UNFULFILLABLE: finished
    finally:
        delete_prefix(client, prefix)
