"""GET /v1/availability/{sku}: the figures of a known sku, 404 for an unknown one, the location filter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.errors import StoreUnavailable
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock

NOW = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
SHIRT = sku_stock(
    "SHIRT-M",
    LocationStock("store-2", on_hand=4, reserved=1, safety_stock=1),
    LocationStock("dc-1", on_hand=10, in_transit=3, reserved=2, allocated=1, safety_stock=2),
)


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader([SHIRT])


@pytest.fixture
def client(reader: FakeReader) -> TestClient:
    return TestClient(create_app(reader, clock=lambda: NOW))


def test_a_known_sku_answers_its_network_and_location_figures(client: TestClient) -> None:
    response = client.get("/v1/availability/SHIRT-M")

    assert response.status_code == 200
    assert response.json() == {
        "sku": "SHIRT-M",
        "as_of": "2026-03-01T12:30:05.123Z",
        "network": {"on_hand": 14, "in_transit": 3, "reserved": 3, "allocated": 1, "atp": 7},
        "locations": [
            {"location_id": "dc-1", "on_hand": 10, "in_transit": 3, "reserved": 2, "allocated": 1,
             "safety_stock": 2, "atp": 5, "online_atp": 5},
            {"location_id": "store-2", "on_hand": 4, "in_transit": 0, "reserved": 1, "allocated": 0,
             "safety_stock": 1, "atp": 2, "online_atp": 2},
        ],
    }


def test_as_of_is_the_utc_time_of_the_read_when_the_real_clock_is_used(reader: FakeReader) -> None:
    before = datetime.now(UTC)
    body = TestClient(create_app(reader)).get("/v1/availability/SHIRT-M").json()

    as_of = datetime.fromisoformat(body["as_of"])
    assert body["as_of"].endswith("Z")
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= as_of <= datetime.now(UTC)


def test_a_sku_never_seen_answers_404_with_a_json_body_naming_it(client: TestClient) -> None:
    response = client.get("/v1/availability/NOPE-1")

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "sku_not_found"
    assert body["sku"] == "NOPE-1"
    assert "NOPE-1" in body["message"]


def test_the_location_filter_keeps_only_the_named_locations_and_the_whole_network(
    client: TestClient,
) -> None:
    body = client.get("/v1/availability/SHIRT-M", params={"location_id": ["store-2", "elsewhere"]}).json()

    assert [loc["location_id"] for loc in body["locations"]] == ["store-2"]
    assert body["network"]["atp"] == 7


def test_the_location_filter_is_repeatable(client: TestClient) -> None:
    body = client.get("/v1/availability/SHIRT-M?location_id=dc-1&location_id=store-2").json()

    assert [loc["location_id"] for loc in body["locations"]] == ["dc-1", "store-2"]


def test_a_sku_read_asks_the_reader_for_that_sku_only(client: TestClient, reader: FakeReader) -> None:
    client.get("/v1/availability/SHIRT-M")

    assert reader.reads == [["SHIRT-M"]]


def test_an_unavailable_store_answers_503_with_retry_after(client: TestClient, reader: FakeReader) -> None:
    reader.read_error = StoreUnavailable("redis down", attempts=3)

    response = client.get("/v1/availability/SHIRT-M")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"] == "store_unavailable"
    assert response.json()["dependency"] == "stock_store"
