"""The routing benchmark's load: valid PLACED orders, pickups near the customer, stock where stock is kept."""

from __future__ import annotations

import random
import subprocess
import sys

import redis

from core.geo import Place
from core.network import LocationKind
from omnistock.bench.orders import order_events, pickup_points, stock_atp
from omnistock.bench.routing import run_pids
from omnistock.bench.routing_outputs import worker_line
from omnistock.bench.routing_phases import drift
from omnistock.network_file import default_network_path, load_network
from topics.order_events import OrderEvent

NETWORK = load_network(default_network_path())
PARIS, MARSEILLE = Place(48.8566, 2.3522), Place(43.2965, 5.3698)
SKUS = [f"SKU-{i}" for i in range(1, 21)]


def test_every_order_is_a_valid_placed_event_of_one_to_five_distinct_skus() -> None:
    pickups = pickup_points(NETWORK, {"75": PARIS, "13": MARSEILLE})

    events = order_events(SKUS, pickups, 300, "run", random.Random(1))

    sent_at_ms = 1_794_909_600_000  # the sender stamps each event as it sends it
    parsed = [OrderEvent.model_validate({**event, "occurred_at": sent_at_ms}) for event in events]
    assert len({event.order_id for event in parsed}) == 300
    assert all(1 <= len(event.lines) <= 5 for event in parsed)
    assert all(len({line.sku for line in event.lines}) == len(event.lines) for event in parsed)
    assert {event.delivery.method.value for event in parsed if event.delivery} == {
        "HOME_STANDARD", "HOME_EXPRESS", "CLICK_COLLECT", "RELAY",
    }  # fmt: skip


def test_pickup_orders_name_the_store_or_relay_point_nearest_the_customer() -> None:
    store, relay = pickup_points(NETWORK, {"13": MARSEILLE})["13"]

    assert NETWORK.locations[store].kind is LocationKind.STORE
    assert "MARSEILLE" in store
    assert relay == "RP-MARSEILLE-CASTELLANE"


def test_stock_is_seeded_only_where_stock_is_kept() -> None:
    atp = stock_atp(NETWORK, SKUS, random.Random(2))

    kinds = {NETWORK.locations[location_id].kind for _, location_id in atp}
    assert LocationKind.RELAY_POINT not in kinds
    assert LocationKind.WAREHOUSE in kinds
    assert all(units >= 0 for units in atp.values())


def test_the_worker_line_gives_means_between_two_scrapes() -> None:
    before = {"omnistock_batch_records_count": 2, "omnistock_batch_records_sum": 20,
              "omnistock_routing_batch_seconds_sum": 0.1}  # fmt: skip
    after = {"omnistock_batch_records_count": 4, "omnistock_batch_records_sum": 60,
             "omnistock_routing_batch_seconds_sum": 0.3}  # fmt: skip

    line = worker_line(before, after)

    assert "2 batches of 20.0 orders" in line
    assert "100.0 ms per batch, 5.00 ms per order" in line


def test_the_drift_line_gives_the_p99_of_each_5_s_of_sending() -> None:
    sent = {"a": 100.0, "b": 101.0, "c": 106.0, "lost": 107.0}
    read_at = {"a": 100.050, "b": 101.020, "c": 106.300}
    assert drift(sent, read_at) == "p99 per 5 s of the phase: 50, 300 ms"
    assert drift({}, {}) == ""


def test_a_redis_on_another_host_is_not_measured_as_a_local_process() -> None:
    worker = subprocess.Popen([sys.executable, "-c", "pass"])
    worker.wait()
    remote = redis.Redis(host="10.255.0.1", socket_connect_timeout=0.01)
    assert run_pids(None, worker, remote) == {"worker": worker.pid}
