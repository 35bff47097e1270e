"""Every error answers JSON `{"error", "message", ...}`: unknown routes, wrong methods, crashes, guards."""

from __future__ import annotations

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ApiError
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])


@pytest.fixture
def client(reader: FakeReader) -> TestClient:
    return TestClient(create_app(reader))


def test_an_unknown_route_answers_a_json_404(client: TestClient) -> None:
    response = client.get("/v2/nothing")

    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "No route matches GET /v2/nothing.",
        "path": "/v2/nothing",
    }


def test_a_wrong_method_answers_a_json_405_with_the_allowed_methods(client: TestClient) -> None:
    response = client.delete("/v1/availability/SKU-1")

    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.json()["message"]
    assert response.headers["allow"] == "GET"


def test_a_reader_crash_answers_a_json_500(reader: FakeReader) -> None:
    reader.read_error = RuntimeError("boom")
    client = TestClient(create_app(reader), raise_server_exceptions=False)

    response = client.get("/v1/availability/SKU-1")

    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "The server failed to answer this request.",
    }


def test_an_invalid_query_parameter_is_a_json_422(client: TestClient) -> None:
    response = client.post("/v1/availability", json={"skus": [["nested"]]})

    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "body.skus.0"


def test_a_guard_runs_before_the_v1_routes_and_can_refuse_them(reader: FakeReader) -> None:
    def require_key() -> None:
        raise ApiError(401, "unauthorized", "An API key is required.")

    client = TestClient(create_app(reader, guards=[Depends(require_key)]))

    refused = client.get("/v1/availability/SKU-1")
    assert refused.status_code == 401
    assert refused.json() == {"error": "unauthorized", "message": "An API key is required."}
    assert client.get("/healthz").status_code == 200
    assert reader.reads == []
