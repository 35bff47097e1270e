"""A receipt, sales (one sent twice), a transfer and a count go in through the topics; the API shows
exactly the figures the contract implies, and a malformed record goes to the DLQ without stopping the
partition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import StoreBackend
from tests.support.stack import Stack, eventually

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).with_name("network.yaml")
T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=20)  # within the dedupe window


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture(scope="module")
def stack(broker_bootstrap: str, backend: StoreBackend, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("e2e-logs")
    with backend.stack(broker_bootstrap, NETWORK, logs) as running:
        yield running


def sale(event_id: str, minutes: int, quantity: int) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": at(minutes),
        "location_id": "ST-1",
        "lines": [{"sku": "SKU-A", "quantity": quantity}],
    }


def transfer(event_id: str, status: str, minutes: int) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": at(minutes),
        "transfer_id": "T-1",
        "status": status,
        "from_location_id": "WH-1",
        "to_location_id": "ST-1",
        "lines": [{"sku": "SKU-A", "quantity": 10}],
    }


def figures(body: dict, location_id: str) -> dict:
    found = [loc for loc in body["locations"] if loc["location_id"] == location_id]
    assert len(found) == 1, f"{location_id} not (yet) in the answer"  # an assertion: `eventually` retries
    (location,) = found
    return {
        key: location[key]
        for key in ("on_hand", "in_transit", "reserved", "allocated", "safety_stock", "atp")
    }


def test_stock_events_reach_the_api_with_the_figures_the_contract_implies(stack: Stack):
    receipt = {
        "event_id": "r-1",
        "occurred_at": at(0),
        "location_id": "WH-1",
        "lines": [{"sku": "SKU-A", "quantity": 100}],
    }
    store_receipt = {
        "event_id": "r-2",
        "occurred_at": at(0),
        "location_id": "ST-1",
        "lines": [{"sku": "SKU-A", "quantity": 20}],
    }
    stack.send("stock.receipts.v1", "WH-1", receipt)
    stack.send("stock.receipts.v1", "ST-1", store_receipt)
    stack.send("pos.sales.v1", "ST-1", sale("p-1", 1, 3))
    stack.send("pos.sales.v1", "ST-1", sale("p-1", 1, 3))  # the same sale, sent twice
    stack.send("pos.sales.v1", "ST-1", sale("p-2", 2, 2))
    stack.send("stock.transfers.v1", "T-1", transfer("t-1s", "SHIPPED", 5))

    def transfer_in_transit() -> None:
        status, body = stack.get("/v1/availability/SKU-A")
        assert status == 200
        assert figures(body, "WH-1")["on_hand"] == 90
        assert figures(body, "ST-1")["in_transit"] == 10
        assert figures(body, "ST-1")["on_hand"] == 15

    eventually(transfer_in_transit)
    stack.send("stock.transfers.v1", "T-1", transfer("t-1r", "RECEIVED", 6))
    stack.send("pos.sales.v1", "ST-1", sale("p-3", 11, 1))  # after the count below, arriving before it
    count = {
        "event_id": "c-1",
        "occurred_at": at(10),
        "location_id": "ST-1",
        "lines": [{"sku": "SKU-A", "on_hand": 24}],
    }
    stack.send("stock.counts.v1", "ST-1", count)

    expected_store = {
        "on_hand": 23,
        "in_transit": 0,
        "reserved": 0,
        "allocated": 0,
        "safety_stock": 2,
        "atp": 21,
    }
    expected_warehouse = {
        "on_hand": 90,
        "in_transit": 0,
        "reserved": 0,
        "allocated": 0,
        "safety_stock": 5,
        "atp": 85,
    }

    def counted() -> dict:
        status, body = stack.get("/v1/availability/SKU-A")
        assert status == 200
        assert figures(body, "ST-1") == expected_store
        assert figures(body, "WH-1") == expected_warehouse
        return body

    body = eventually(counted)
    assert body["network"] == {"on_hand": 113, "in_transit": 0, "reserved": 0, "allocated": 0, "atp": 106}


def test_a_malformed_record_goes_to_the_dlq_and_the_next_record_is_still_applied(stack: Stack):
    stack.send(
        "stock.receipts.v1",
        "ST-2",
        {
            "event_id": "r-9",
            "occurred_at": at(0),
            "location_id": "ST-2",
            "lines": [{"sku": "SKU-B", "quantity": 7}],
        },
    )
    stack.send("pos.sales.v1", "ST-2", b"this is not an event{")
    stack.send(
        "pos.sales.v1",
        "ST-2",
        {
            "event_id": "p-9",
            "occurred_at": at(3),
            "location_id": "ST-2",
            "lines": [{"sku": "SKU-B", "quantity": 1}],
        },
    )

    def applied() -> None:
        status, body = stack.get("/v1/availability/SKU-B")
        assert status == 200
        assert figures(body, "ST-2")["on_hand"] == 6

    eventually(applied)
    (dead,) = stack.read_topic("pos.sales.v1.dlq", expected=1)
    assert dead.value() == b"this is not an event{"
    headers = dict(dead.headers())
    assert b"JSON" in headers["omnistock.error"] or b"Avro" in headers["omnistock.error"]
    assert headers["omnistock.source.topic"].endswith(b"pos.sales.v1")


def test_every_applied_change_is_published_on_availability_changes(stack: Stack):
    stack.send(
        "stock.receipts.v1",
        "ST-2",
        {
            "event_id": "r-c",
            "occurred_at": at(0),
            "location_id": "ST-2",
            "lines": [{"sku": "SKU-C", "quantity": 4}],
        },
    )
    records = stack.read_topic("availability.changes.v1", expected=1000, timeout_s=8)
    keys = [record.key() for record in records]
    assert b"SKU-C" in keys
    assert b"SKU-A" in keys


def test_an_unknown_sku_answers_404_with_a_message(stack: Stack):
    status, body = stack.get("/v1/availability/NEVER-SEEN")
    assert status == 404
    assert body["error"] == "sku_not_found"


def test_poison_records_go_to_the_dlq_with_their_reason_and_the_partition_flows_on(stack: Stack):
    def adjustment(event_id: str, location: str, quantity: int, occurred_at: object) -> dict:
        lines = [{"sku": "SKU-P", "quantity": quantity}]
        return {"event_id": event_id, "occurred_at": occurred_at, "location_id": location, "lines": lines,
                "reason": "FOUND"}  # fmt: skip

    big_time = (
        b'{"event_id": "a-big", "occurred_at": 1e30, "location_id": "ST-2", "lines": [], "reason": "FOUND"}'
    )
    stack.send("stock.adjustments.v1", "ST-2", adjustment("a-1", "ST-2", 5, at(0)))
    stack.send("stock.adjustments.v1", "ST-2", big_time)
    stack.send("stock.adjustments.v1", "ST-2", adjustment("a-2", "ST-NOWHERE", 3, at(1)))
    future = int((datetime.now(UTC) + timedelta(hours=6)).timestamp() * 1000)
    stack.send("stock.adjustments.v1", "ST-2", adjustment("a-3", "ST-2", 50, future))
    stack.send("stock.adjustments.v1", "ST-2", adjustment("a-4", "ST-2", 2, at(2)))

    def applied() -> None:
        status, body = stack.get("/v1/availability/SKU-P")
        assert status == 200
        assert [loc["location_id"] for loc in body["locations"]] == ["ST-2"]  # no ST-NOWHERE row
        assert figures(body, "ST-2")["on_hand"] == 7

    eventually(applied)
    dead = stack.read_topic("stock.adjustments.v1.dlq", expected=3)
    reasons = sorted(dict(d.headers())["omnistock.error.reason"] for d in dead)
    assert reasons == [b"from_the_future", b"invalid_event", b"unknown_location"]


def test_a_record_of_almost_a_megabyte_is_dead_lettered_truncated_and_the_partition_flows_on(stack: Stack):
    from confluent_kafka import Producer

    big = b"{" + b"x" * 990_000  # its copy with the DLQ headers would exceed message.max.bytes (1,000,000)
    producer = Producer({"bootstrap.servers": stack.bootstrap, "message.max.bytes": 2_000_000})
    producer.produce(stack.topic_prefix + "returns.v1", big, b"ret-big")
    assert producer.flush(10) == 0
    lines = [{"sku": "SKU-R", "quantity": 2, "condition": "RESELLABLE"}]
    stack.send(
        "returns.v1", "ret-1", {"event_id": "ret-1", "occurred_at": at(0), "return_id": "ret-1",
                                "location_id": "ST-2", "lines": lines},
    )  # fmt: skip

    def applied() -> None:
        status, body = stack.get("/v1/availability/SKU-R")
        assert status == 200
        assert figures(body, "ST-2")["on_hand"] == 2

    eventually(applied)
    (dead,) = stack.read_topic("returns.v1.dlq", expected=1)
    headers = dict(dead.headers())
    assert len(dead.value()) == 512_000
    assert headers["omnistock.original.value.size"] == b"990001"
    assert headers["omnistock.error.reason"] == b"invalid_event"
