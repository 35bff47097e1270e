"""POST /v1/availability: found and not_found, duplicates collapsed, the cap, readable 422s."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STOCKS = [
    sku_stock("A", LocationStock("dc-1", on_hand=5), LocationStock("store-1", on_hand=2)),
    sku_stock("B", LocationStock("dc-1", on_hand=1, reserved=1)),
]


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader(STOCKS)


@pytest.fixture
def client(reader: FakeReader) -> TestClient:
    return TestClient(create_app(reader, batch_max_skus=3, clock=lambda: NOW))


def test_a_batch_answers_the_found_skus_in_request_order_and_lists_the_others(client: TestClient) -> None:
    response = client.post("/v1/availability", json={"skus": ["B", "X", "A"]})

    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-03-01T12:00:00.000Z"
    assert [item["sku"] for item in body["items"]] == ["B", "A"]
    assert body["not_found"] == ["X"]


def test_each_batch_item_has_the_shape_of_a_single_sku_answer(client: TestClient) -> None:
    single = client.get("/v1/availability/A").json()
    batch = client.post("/v1/availability", json={"skus": ["A"]}).json()

    assert batch["items"] == [single]


def test_duplicate_skus_are_read_once_and_answered_once(client: TestClient, reader: FakeReader) -> None:
    body = client.post("/v1/availability", json={"skus": ["A", "Y", "A"]}).json()

    assert reader.reads == [["A", "Y"]]
    assert [item["sku"] for item in body["items"]] == ["A"]
    assert body["not_found"] == ["Y"]


def test_location_ids_narrow_the_locations_of_every_item(client: TestClient) -> None:
    body = client.post("/v1/availability", json={"skus": ["A", "B"], "location_ids": ["store-1"]}).json()

    assert [[loc["location_id"] for loc in item["locations"]] for item in body["items"]] == [["store-1"], []]


def test_a_batch_over_the_cap_is_refused_naming_the_cap_and_the_count(client: TestClient) -> None:
    response = client.post("/v1/availability", json={"skus": ["A", "B", "C", "D"]})

    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "batch_too_large"
    assert (body["max_skus"], body["received"]) == (3, 4)
    assert "at most 3" in body["message"]
    assert "has 4" in body["message"]


def test_an_empty_batch_is_a_422_naming_the_skus_field(client: TestClient) -> None:
    response = client.post("/v1/availability", json={"skus": []})

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert [problem["field"] for problem in body["fields"]] == ["body.skus"]
    assert "body.skus" in body["message"]


@pytest.mark.parametrize(
    ("payload", "bad_field"),
    [
        ({"skus": ["A", ""]}, "body.skus.1"),
        ({"skus": ["A", 7]}, "body.skus.1"),
        ({"skus": "A"}, "body.skus"),
        ({}, "body.skus"),
        ({"skus": ["A"], "location_ids": []}, "body.location_ids"),
        ({"skus": ["A"], "extra": 1}, "body.extra"),
    ],
)
def test_an_invalid_batch_is_a_422_listing_the_bad_field(
    client: TestClient, payload: dict[str, object], bad_field: str
) -> None:
    response = client.post("/v1/availability", json=payload)

    assert response.status_code == 422
    assert bad_field in [problem["field"] for problem in response.json()["fields"]]


def test_a_body_that_is_not_json_is_a_422_with_the_same_shape(client: TestClient) -> None:
    response = client.post(
        "/v1/availability", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert response.json()["fields"][0]["type"] == "json_invalid"
