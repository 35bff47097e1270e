"""API keys with scopes: 401 without a valid key, 403 without the scope, open without keys, ops stay open."""

from __future__ import annotations

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock

READER_KEY = "k-reader-3f9a"
OPS_KEY = "k-ops-77c1"
KEYS = {READER_KEY: ["availability:read"], OPS_KEY: ["ops"]}


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(reader: FakeReader, registry: CollectorRegistry) -> TestClient:
    return TestClient(create_app(reader, api_keys=KEYS, registry=registry))


def _rejected(registry: CollectorRegistry, reason: str) -> float | None:
    return registry.get_sample_value("omnistock_http_rejected_total", {"reason": reason})


def test_a_request_without_a_key_is_401_with_a_challenge_and_reads_nothing(
    client: TestClient, reader: FakeReader
) -> None:
    response = client.get("/v1/availability/SKU-1")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "ApiKey"
    assert response.json()["error"] == "unauthorized"
    assert "X-API-Key" in response.json()["message"]
    assert reader.reads == []


def test_a_request_with_an_unknown_key_is_401_and_the_body_does_not_echo_it(client: TestClient) -> None:
    response = client.post("/v1/availability", json={"skus": ["SKU-1"]}, headers={"X-API-Key": "guess-123"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "ApiKey"
    assert response.json() == {"error": "unauthorized", "message": "The API key is not valid."}


def test_a_key_without_the_availability_scope_is_403_naming_the_scope(
    client: TestClient, reader: FakeReader
) -> None:
    response = client.get("/v1/availability/SKU-1", headers={"X-API-Key": OPS_KEY})

    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "forbidden"
    assert body["message"].endswith("needs scope availability:read.")
    assert body["scope"] == "availability:read"
    assert "www-authenticate" not in response.headers
    assert reader.reads == []


def test_a_key_with_the_availability_scope_reads_both_availability_routes(client: TestClient) -> None:
    headers = {"X-API-Key": READER_KEY}

    single = client.get("/v1/availability/SKU-1", headers=headers)
    batch = client.post("/v1/availability", json={"skus": ["SKU-1"]}, headers=headers)

    assert single.status_code == 200
    assert single.json()["network"]["atp"] == 3
    assert batch.status_code == 200
    assert [item["sku"] for item in batch.json()["items"]] == ["SKU-1"]


def test_without_configured_keys_the_api_is_open(reader: FakeReader) -> None:
    client = TestClient(create_app(reader))

    assert client.get("/v1/availability/SKU-1").status_code == 200
    assert client.get("/v1/availability/SKU-1", headers={"X-API-Key": "anything"}).status_code == 200


def test_an_empty_key_mapping_locks_the_api_rather_than_opening_it(reader: FakeReader) -> None:
    client = TestClient(create_app(reader, api_keys={}))

    assert client.get("/v1/availability/SKU-1", headers={"X-API-Key": "anything"}).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_readiness_and_metrics_stay_open_when_keys_are_configured(
    client: TestClient, path: str
) -> None:
    assert client.get(path).status_code == 200


def test_auth_failures_are_counted_by_reason_without_the_key_as_a_label(
    client: TestClient, registry: CollectorRegistry
) -> None:
    client.get("/v1/availability/SKU-1")
    client.get("/v1/availability/SKU-1", headers={"X-API-Key": "guess-123"})
    client.get("/v1/availability/SKU-1", headers={"X-API-Key": OPS_KEY})

    assert _rejected(registry, "unauthorized") == 2
    assert _rejected(registry, "forbidden") == 1
    assert _rejected(registry, "rate_limited") == 0
    exposition = client.get("/metrics").text
    assert "guess-123" not in exposition
    assert OPS_KEY not in exposition


def test_the_extra_guards_still_run_after_the_key_check(reader: FakeReader) -> None:
    calls: list[str] = []

    async def record() -> None:
        calls.append("guard")

    client = TestClient(create_app(reader, api_keys=KEYS, guards=[Depends(record)]))

    assert client.get("/v1/availability/SKU-1").status_code == 401
    assert client.get("/v1/availability/SKU-1", headers={"X-API-Key": READER_KEY}).status_code == 200
    assert calls == ["guard"]
