"""What HTTP clients and proxies expect: Retry-After on 503, a body size bound, X-Request-ID, an access
log, one timestamp format, 413 for too many items, and invalid JSON located by line and column."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import json_position
from api.promise_schemas import MAX_LINES
from api.timestamps import utc_iso
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock


def _reader() -> FakeReader:
    return FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(_reader(), max_body_bytes=1000))


def test_every_503_says_when_to_retry(client: TestClient) -> None:
    cart = {"lines": [{"sku": "SKU-1", "quantity": 1}], "destination": {"postcode": "75011"}}

    response = client.post("/v1/promises", json=cart)  # an API built without a promise desk

    assert response.status_code == 503
    assert response.json()["error"] == "promise_unavailable"
    assert response.headers["retry-after"] == "1"


def test_a_body_declared_larger_than_the_bound_is_refused_413_before_it_is_read(client: TestClient) -> None:
    body = orjson.dumps({"skus": ["SKU-1"] * 500})

    response = client.post("/v1/availability", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert response.json()["max_bytes"] == 1000
    assert response.json()["received"] == len(body)


def test_a_chunked_body_is_refused_413_once_it_passes_the_bound(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"skus": ['
        for _ in range(200):
            yield b'"SKU-1", '
        yield b'"SKU-1"]}'

    response = client.post("/v1/availability", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert "1000 bytes" in response.json()["message"]


def test_a_body_within_the_bound_is_served(client: TestClient) -> None:
    response = client.post("/v1/availability", json={"skus": ["SKU-1"]})

    assert response.status_code == 200


def test_the_clients_request_id_is_echoed_and_a_missing_one_is_made(client: TestClient) -> None:
    echoed = client.get("/v1/availability/SKU-1", headers={"X-Request-ID": "abc-123"})
    made = client.get("/v1/availability/SKU-1")
    made_again = client.get("/v1/availability/SKU-1")

    assert echoed.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-request-id"] != made_again.headers["x-request-id"]


def test_a_request_id_that_could_forge_log_fields_is_replaced(client: TestClient) -> None:
    response = client.get("/v1/availability/SKU-1", headers={"X-Request-ID": 'a" "status": 200'})

    assert response.headers["x-request-id"] != 'a" "status": 200'
    assert len(response.headers["x-request-id"]) == 32


def test_errors_carry_the_request_id_too(client: TestClient) -> None:
    response = client.get("/v2/nothing", headers={"X-Request-ID": "lost-1"})

    assert response.status_code == 404
    assert response.headers["x-request-id"] == "lost-1"


def test_the_access_log_is_one_record_per_request_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(create_app(_reader(), access_log=True))

    with caplog.at_level(logging.INFO, logger="omnistock.access"):
        client.get("/v1/availability/SKU-1", headers={"X-Request-ID": "r-1"})
        client.get("/v1/availability/NOPE")

    records = [record for record in caplog.records if record.name == "omnistock.access"]
    assert [(r.method, r.path, r.status, r.request_id) for r in records][0] == (  # type: ignore[attr-defined]
        "GET",
        "/v1/availability/SKU-1",
        200,
        "r-1",
    )
    assert records[1].status == 404  # type: ignore[attr-defined]
    assert all(record.duration_ms >= 0 for record in records)  # type: ignore[attr-defined]


def test_the_access_log_is_off_by_default(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="omnistock.access"):
        client.get("/v1/availability/SKU-1")

    assert [record for record in caplog.records if record.name == "omnistock.access"] == []


def test_times_are_written_in_utc_with_z() -> None:
    client = TestClient(create_app(_reader(), clock=lambda: datetime(2026, 3, 1, 12, 30, 5, 123456, UTC)))

    assert client.get("/v1/availability/SKU-1").json()["as_of"] == "2026-03-01T12:30:05.123Z"
    assert utc_iso(datetime.fromisoformat("2026-03-01T13:30:05.123+01:00")) == "2026-03-01T12:30:05.123Z"


def test_invalid_json_is_located_by_line_and_column(client: TestClient) -> None:
    body = b'{\n  "skus": ["SKU-1",]\n}'

    response = client.post("/v1/availability", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422
    answer = response.json()
    assert answer["message"] == "The request body is invalid JSON at line 2 column 20: Expecting value."
    assert answer["fields"][0] == {
        "field": "body",
        "message": answer["message"],
        "type": "json_invalid",
        "line": 2,
        "column": 20,  # the "]" after the comma
    }


def test_a_json_position_counts_lines_and_columns_from_one() -> None:
    assert json_position("abc", 0) == (1, 1)
    assert json_position("ab\ncd\nef", 7) == (3, 2)
    assert json_position(b"a\nb", 2) == (2, 1)


def test_too_many_promise_lines_answer_413_as_a_too_large_batch_does() -> None:
    client = TestClient(create_app(_reader()))
    lines = [{"sku": f"S{n}", "quantity": 1} for n in range(MAX_LINES + 1)]

    promise = client.post("/v1/promises", json={"lines": lines, "destination": {"postcode": "75011"}})
    batch = client.post("/v1/availability", json={"skus": [f"S{n}" for n in range(501)]})

    assert (promise.status_code, batch.status_code) == (413, 413)
    assert promise.json()["error"] == "too_many_items"
    assert promise.json()["max"] == MAX_LINES
    assert promise.json()["received"] == MAX_LINES + 1
    assert promise.json()["field"] == "lines"
