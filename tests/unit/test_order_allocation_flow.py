"""Orders are allocated directly at their pickup store (or a lone warehouse); shipments remove stock,
cancellations release it, and every step publishes the order's status."""

from __future__ import annotations

import orjson
import pytest
from prometheus_client import CollectorRegistry

from core.network import Capability, Location, LocationKind, Network
from state.memory import InMemoryStockStore
from state.order_book import InMemoryOrderBook
from streams.metrics import WorkerMetrics
from streams.order_pipeline import ORDER_STATUS, OrderPipeline
from streams.stock_pipeline import StockPipeline
from tests.unit.test_stock_pipeline import Record
from topics.codec import AvroCodec
from topics.commands import CommandDecoder
from topics.outputs import availability_change_encoder, cart_hold_encoder
from topics.registry import LocalSchemaList

NOW_MS = 1_795_000_000_000
CODEC = AvroCodec(LocalSchemaList())
PICKUP = frozenset({Capability.PICKUP, Capability.SHIP})


def location(location_id: str, kind: LocationKind) -> Location:
    return Location(location_id, kind, location_id, 48.8, 2.3, "Europe/Paris", PICKUP, 0)


NETWORK = Network(
    {"ST-1": location("ST-1", LocationKind.STORE), "WH-1": location("WH-1", LocationKind.WAREHOUSE)}
)


@pytest.fixture
def store() -> InMemoryStockStore:
    return InMemoryStockStore(lambda: NETWORK)


def pipelines(store: InMemoryStockStore) -> tuple[StockPipeline, OrderPipeline]:
    metrics, changes = WorkerMetrics.create(CollectorRegistry()), availability_change_encoder(None)
    stock = StockPipeline(
        store, CommandDecoder(CODEC, 900_000), changes, cart_hold_encoder(None), metrics, lambda: NOW_MS
    )
    orders = OrderPipeline(
        store, InMemoryOrderBook(), CODEC, lambda: NETWORK, changes, metrics, lambda: NOW_MS
    )
    return stock, orders


def send(pipeline, topic: str, event: dict) -> list[dict]:
    outcome = pipeline.run(topic, [Record(topic, orjson.dumps({"occurred_at": NOW_MS, **event}))])
    return [CODEC.decode(out.value) for out in outcome.outputs if out.topic == ORDER_STATUS]


def figures(store: InMemoryStockStore, location_id: str = "ST-1") -> tuple[int, int, int, int]:
    (found,) = [
        loc for loc in store.read_sync(["SKU-A"])["SKU-A"].locations if loc.location_id == location_id
    ]
    return found.on_hand, found.reserved, found.allocated, found.atp


def click_and_collect(order_id: str, quantity: int, cart_id: str | None = None) -> dict:
    return {
        "event_id": f"{order_id}-placed",
        "order_id": order_id,
        "type": "PLACED",
        "channel": "web",
        "lines": [{"line_id": "1", "sku": "SKU-A", "quantity": quantity}],
        "delivery": {"method": "CLICK_COLLECT", "pickup_location_id": "ST-1"},
        **({"cart_id": cart_id} if cart_id else {}),
    }


@pytest.fixture
def stocked(store: InMemoryStockStore) -> tuple[StockPipeline, OrderPipeline]:
    stock, orders = pipelines(store)
    receipt = {"event_id": "r-1", "location_id": "ST-1", "lines": [{"sku": "SKU-A", "quantity": 5}]}
    stock.run(
        "stock.receipts.v1",
        [Record("stock.receipts.v1", orjson.dumps({"occurred_at": NOW_MS - 1, **receipt}))],
    )
    return stock, orders


def test_a_click_and_collect_order_takes_over_its_carts_hold(stocked, store):
    stock, orders = stocked
    cart = {
        "event_id": "c-1",
        "cart_id": "cart-1",
        "type": "LINE_SET",
        "sku": "SKU-A",
        "quantity": 2,
        "location_id": "ST-1",
        "channel": "web",
    }
    send(stock, "carts.events.v1", cart)
    assert figures(store) == (5, 2, 0, 3)
    (status,) = send(orders, "orders.v1", click_and_collect("o-1", 2, cart_id="cart-1"))
    assert status["status"] == "ROUTED"
    assert status["shipments"][0]["location_id"] == "ST-1"
    assert figures(store) == (5, 0, 2, 3)


def test_an_order_beyond_the_stock_is_unfulfillable_and_allocates_nothing(stocked, store):
    _, orders = stocked
    (status,) = send(orders, "orders.v1", click_and_collect("o-2", 9))
    assert status["status"] == "UNFULFILLABLE"
    assert figures(store) == (5, 0, 0, 5)


def test_a_shipment_removes_the_stock_and_its_allocation(stocked, store):
    _, orders = stocked
    send(orders, "orders.v1", click_and_collect("o-3", 2))
    update = {
        "event_id": "f-1",
        "order_id": "o-3",
        "shipment_id": "s-1",
        "location_id": "ST-1",
        "status": "COLLECTED",
    }
    (status,) = send(orders, "fulfillment.updates.v1", update)
    assert status["status"] == "COMPLETED"
    assert figures(store) == (3, 0, 0, 3)


def test_a_cancelled_order_releases_what_it_had_allocated(stocked, store):
    _, orders = stocked
    send(orders, "orders.v1", click_and_collect("o-4", 2))
    assert figures(store) == (5, 0, 2, 3)
    (status,) = send(
        orders, "orders.v1", {"event_id": "o-4-x", "order_id": "o-4", "type": "CANCELLED", "channel": "web"}
    )
    assert status["status"] == "CANCELLED"
    assert figures(store) == (5, 0, 0, 5)


def test_a_home_delivery_in_a_network_of_one_warehouse_is_allocated_there(stocked, store):
    stock, orders = stocked
    receipt = {"event_id": "r-2", "location_id": "WH-1", "lines": [{"sku": "SKU-A", "quantity": 4}]}
    send(stock, "stock.receipts.v1", receipt)
    order = {**click_and_collect("o-5", 1), "delivery": {"method": "HOME_STANDARD", "postcode": "75001"}}
    (status,) = send(orders, "orders.v1", order)
    assert (status["status"], status["shipments"][0]["location_id"]) == ("ROUTED", "WH-1")
