"""Cart events become holds; what each line got is published; expired holds are released and published."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest
from prometheus_client import CollectorRegistry

from core.network import Capability, Location, LocationKind, Network
from state.memory import InMemoryStockStore
from streams.hold_expiry import HoldExpiry
from streams.metrics import WorkerMetrics
from streams.stock_pipeline import StockPipeline
from tests.support.records import FakeRecord
from topics.catalog import AVAILABILITY_CHANGES, CART_HOLDS
from topics.codec import AvroCodec
from topics.commands import CommandDecoder
from topics.outputs import availability_change_encoder, cart_hold_encoder
from topics.registry import LocalSchemaList

TTL_MS = 15 * 60 * 1000
START_MS = 1_795_000_000_000
STORE = Location(
    "ST-1", LocationKind.STORE, "Store 1", 48.8, 2.3, "Europe/Paris", frozenset({Capability.SHIP}), 0
)
CODEC = AvroCodec(LocalSchemaList())


class Clock:
    def __init__(self) -> None:
        self.now_ms = START_MS

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> InMemoryStockStore:
    return InMemoryStockStore(lambda: Network({"ST-1": STORE}))


@pytest.fixture
def pipeline(store: InMemoryStockStore, clock: Clock) -> StockPipeline:
    metrics = WorkerMetrics.create(CollectorRegistry())
    decode = CommandDecoder(CODEC, TTL_MS)
    return StockPipeline(
        store, decode, availability_change_encoder(None), cart_hold_encoder(None), metrics, clock
    )


@pytest.fixture
def expiry(store: InMemoryStockStore, clock: Clock) -> HoldExpiry:
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    return HoldExpiry(store, changes, holds, WorkerMetrics.create(CollectorRegistry()), clock)


def receive(pipeline: StockPipeline, quantity: int) -> None:
    lines = [{"sku": "SKU-A", "quantity": quantity}]
    receipt = {"event_id": "r-1", "occurred_at": START_MS - 1000, "location_id": "ST-1", "lines": lines}
    pipeline.run("stock.receipts.v1", [FakeRecord("stock.receipts.v1", orjson.dumps(receipt))])


def line_set(event_id: str, cart_id: str, quantity: int) -> FakeRecord:
    event = {
        "event_id": event_id,
        "occurred_at": START_MS,
        "cart_id": cart_id,
        "type": "LINE_SET",
        "sku": "SKU-A",
        "quantity": quantity,
        "location_id": "ST-1",
        "channel": "web",
    }
    return FakeRecord("carts.events.v1", orjson.dumps(event))


def published(outputs: list, topic: str) -> list[dict]:
    return [CODEC.decode(out.value) for out in outputs if out.topic == topic]


def test_a_line_set_holds_stock_and_says_what_it_got(pipeline: StockPipeline):
    receive(pipeline, 5)
    outcome = pipeline.run("carts.events.v1", [line_set("c-1", "cart-1", 3)])
    (hold,) = published(outcome.outputs, CART_HOLDS)
    (change,) = published(outcome.outputs, AVAILABILITY_CHANGES)
    assert (hold["cart_id"], hold["requested"], hold["granted"], hold["outcome"]) == (
        "cart-1",
        3,
        3,
        "APPLIED",
    )
    assert (change["reserved"], change["atp"]) == (3, 2)


def test_a_hold_beyond_atp_is_trimmed_and_the_cart_is_told(pipeline: StockPipeline):
    receive(pipeline, 5)
    pipeline.run("carts.events.v1", [line_set("c-1", "cart-1", 4)])
    outcome = pipeline.run("carts.events.v1", [line_set("c-2", "cart-2", 3)])
    (hold,) = published(outcome.outputs, CART_HOLDS)
    assert (hold["requested"], hold["granted"], hold["outcome"]) == (3, 1, "TRIMMED")


def test_an_expired_hold_is_released_once_and_published(
    pipeline: StockPipeline, expiry: HoldExpiry, clock: Clock
):
    receive(pipeline, 5)
    pipeline.run("carts.events.v1", [line_set("c-1", "cart-1", 3)])
    clock.now_ms = START_MS + TTL_MS - 1
    assert expiry.sweep() == []
    clock.now_ms = START_MS + TTL_MS + 1
    outputs = expiry.sweep()
    (released,) = published(outputs, CART_HOLDS)
    (change,) = published(outputs, AVAILABILITY_CHANGES)
    assert (released["cart_id"], released["outcome"], released["requested"]) == ("cart-1", "EXPIRED", 3)
    assert (change["reserved"], change["atp"]) == (0, 5)
    assert expiry.sweep() == []  # released exactly once


def test_any_event_of_the_cart_renews_its_holds(
    pipeline: StockPipeline, store, expiry: HoldExpiry, clock: Clock
):
    receive(pipeline, 5)
    pipeline.run("carts.events.v1", [line_set("c-1", "cart-1", 3)])
    clock.now_ms = START_MS + TTL_MS - 1000
    pipeline.run("carts.events.v1", [line_set("c-2", "cart-1", 3)])
    clock.now_ms = START_MS + TTL_MS + 1000
    assert expiry.sweep() == []
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].reserved == 3


@pytest.mark.parametrize(("channel", "granted"), [("web", 3), ("store", 5)])
def test_units_a_store_keeps_for_walk_in_customers_are_held_only_by_walk_in_carts(channel: str, granted: int):
    protected = replace(STORE, online_protection=2)
    store = InMemoryStockStore(lambda: Network({"ST-1": protected}))
    metrics = WorkerMetrics.create(CollectorRegistry())
    pipeline = StockPipeline(
        store,
        CommandDecoder(CODEC, TTL_MS),
        availability_change_encoder(None),
        cart_hold_encoder(None),
        metrics,
        lambda: START_MS,
    )
    receive(pipeline, 5)
    cart = orjson.loads(line_set("c-1", "cart-1", 5).value()) | {"channel": channel}
    outcome = pipeline.run("carts.events.v1", [FakeRecord("carts.events.v1", orjson.dumps(cart))])
    (hold,) = published(outcome.outputs, CART_HOLDS)
    assert hold["granted"] == granted
