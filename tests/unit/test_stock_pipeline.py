"""The batch pipeline turns consumed records into store writes, availability changes and dead letters."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from prometheus_client import CollectorRegistry

from core.network import Capability, Location, LocationKind, Network
from state.memory import InMemoryStockStore
from streams.event_limits import EventLimits
from streams.metrics import WorkerMetrics
from streams.records import Headers
from streams.stock_agents import BatchJob, register_agents
from streams.stock_pipeline import StockPipeline
from tests.support.records import FakeRecord
from topics.catalog import AVAILABILITY_CHANGES
from topics.codec import AvroCodec
from topics.mappers import decode_stock_event
from topics.outputs import availability_change_encoder, cart_hold_encoder
from topics.registry import LocalSchemaList

NOW_MS = 1_795_000_000_000
STORE = Location(
    "ST-1", LocationKind.STORE, "Store 1", 48.8, 2.3, "Europe/Paris", frozenset({Capability.SHIP}), 2
)
NETWORK = Network({"ST-1": STORE})


def record(topic: str, value: bytes, offset: int = 0, headers: Headers | None = None) -> FakeRecord:
    return FakeRecord(topic, value, offset, headers, key=b"ST-1")


def event(event_id: str, quantity: int, occurred_at: int = NOW_MS - 60_000) -> bytes:
    lines = [{"sku": "SKU-A", "quantity": quantity}]
    return orjson.dumps(
        {"event_id": event_id, "occurred_at": occurred_at, "location_id": "ST-1", "lines": lines}
    )


@pytest.fixture
def pipeline() -> StockPipeline:
    store = InMemoryStockStore(lambda: NETWORK)
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    return StockPipeline(store, decode_stock_event, changes, holds, metrics, lambda: NOW_MS)


def decoded_changes(outputs: list) -> list[dict]:
    codec = AvroCodec(LocalSchemaList())
    return [codec.decode(out.value) for out in outputs if out.topic == AVAILABILITY_CHANGES]


def test_a_receipt_publishes_the_new_figures_of_its_location(pipeline: StockPipeline):
    outcome = pipeline.run("stock.receipts.v1", [record("stock.receipts.v1", event("r-1", 10))])
    (change,) = decoded_changes(outcome.outputs)
    assert (change["sku"], change["location_id"], change["on_hand"], change["atp"]) == (
        "SKU-A",
        "ST-1",
        10,
        8,
    )
    assert change["network_atp"] == 8
    assert change["cause_event_id"] == "r-1"


def test_a_sale_sent_twice_changes_the_stock_once_and_publishes_once(pipeline: StockPipeline):
    pipeline.run("stock.receipts.v1", [record("stock.receipts.v1", event("r-1", 10))])
    sale = event("p-1", 3)
    outcome = pipeline.run("pos.sales.v1", [record("pos.sales.v1", sale, 1), record("pos.sales.v1", sale, 2)])
    (change,) = decoded_changes(outcome.outputs)
    assert change["on_hand"] == 7
    assert outcome.outcomes["DUPLICATE"] == 1


def test_a_malformed_record_becomes_a_dead_letter_with_its_bytes_and_the_reason(pipeline: StockPipeline):
    bad = record("pos.sales.v1", b"{not json", 5, [("trace", b"abc")])
    outcome = pipeline.run("pos.sales.v1", [bad, record("pos.sales.v1", event("p-2", 1), 6)])
    (dead,) = [out for out in outcome.outputs if out.topic == "pos.sales.v1.dlq"]
    headers = dict(dead.headers)
    assert dead.value == b"{not json"
    assert headers["trace"] == b"abc"
    assert b"JSON" in headers["omnistock.error"]
    assert headers["omnistock.source.offset"] == b"5"
    assert len(decoded_changes(outcome.outputs)) == 1  # the next record is still applied


def test_a_count_older_than_the_window_kept_goes_to_the_dlq_as_too_late():
    # a dedupe window longer than the count window: the count is not too old to dedupe, only too late
    limits = EventLimits(dedupe_window_s=7 * 24 * 3600)
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    store = InMemoryStockStore(lambda: NETWORK, dedupe_window_s=7 * 24 * 3600)
    pipeline = StockPipeline(
        store, decode_stock_event, changes, holds, metrics, lambda: NOW_MS, limits=limits
    )
    pipeline.run("pos.sales.v1", [record("pos.sales.v1", event("p-1", 1, occurred_at=NOW_MS))])
    too_old = NOW_MS - 3 * 24 * 3600 * 1000
    count = {
        "event_id": "c-1",
        "occurred_at": too_old,
        "location_id": "ST-1",
        "lines": [{"sku": "SKU-A", "on_hand": 4}],
    }
    outcome = pipeline.run("stock.counts.v1", [record("stock.counts.v1", orjson.dumps(count))])
    (dead,) = outcome.outputs
    assert dead.topic == "stock.counts.v1.dlq"
    assert dict(dead.headers)["omnistock.error"].startswith(b"too_late")


def test_the_receipts_agent_applies_a_batch_and_resolves_its_future(pipeline: StockPipeline):
    from streams.app import OmnistockApp

    app = OmnistockApp("test-agents", broker="kafka://127.0.0.1:1", autodiscover=False)  # never dialled
    agents = register_agents(app, {"stock.receipts.v1": pipeline}, WorkerMetrics.create(CollectorRegistry()))

    async def scenario() -> dict:
        async with agents["stock.receipts.v1"].test_context() as agent:
            done = asyncio.get_running_loop().create_future()
            await agent.put(
                BatchJob("stock.receipts.v1", [record("stock.receipts.v1", event("r-9", 4))], done)
            )
            outcome = await asyncio.wait_for(done, 5)
        return decoded_changes(outcome.outputs)[0]

    assert asyncio.run(scenario())["on_hand"] == 4


def test_every_published_change_is_appended_to_the_change_log_once_per_batch():
    class Log:
        def __init__(self) -> None:
            self.appends: list[list] = []

        def append(self, items) -> None:
            self.appends.append(list(items))

    log = Log()
    store = InMemoryStockStore(lambda: NETWORK)
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    pipeline = StockPipeline(
        store, decode_stock_event, changes, holds, metrics, lambda: NOW_MS, change_log=log
    )
    pipeline.run(
        "stock.receipts.v1", [record("stock.receipts.v1", event("r-1", 10)), record("x", event("r-1", 10))]
    )
    ((sku, figures, network_atp),) = log.appends[0]
    assert (sku, figures.location_id, figures.on_hand, network_atp) == ("SKU-A", "ST-1", 10, 8)
    assert len(log.appends) == 1
