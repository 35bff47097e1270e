"""Ops routes: liveness, readiness on the store's ping, the Prometheus exposition with route templates."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from api.app import create_app
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader([sku_stock("SKU-1", LocationStock("dc-1", on_hand=3))])


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(reader: FakeReader, registry: CollectorRegistry) -> TestClient:
    return TestClient(create_app(reader, registry=registry, version="9.9.9"))


def test_healthz_answers_200_with_the_version_even_when_the_store_is_down(
    client: TestClient, reader: FakeReader
) -> None:
    reader.alive = False

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "9.9.9"}


def test_readyz_answers_200_when_the_store_answers_its_ping(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"stock_store": "ok"}}


def test_readyz_answers_503_naming_the_store_when_its_ping_is_false(
    client: TestClient, reader: FakeReader
) -> None:
    reader.alive = False

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["error"] == "not_ready"
    assert response.json()["dependency"] == "stock_store"


def test_readyz_answers_503_when_the_ping_raises(client: TestClient, reader: FakeReader) -> None:
    reader.ping_error = ConnectionError("refused")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["dependency"] == "stock_store"


def test_readyz_answers_503_when_the_ping_hangs(
    client: TestClient, reader: FakeReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def hang() -> bool:
        await asyncio.sleep(10)
        return True

    monkeypatch.setattr("api.routes.ops.PING_TIMEOUT_S", 0.05)
    monkeypatch.setattr(reader, "ping", hang)

    assert client.get("/readyz").status_code == 503


def _requests(registry: CollectorRegistry, route: str, status: str) -> float | None:
    labels = {"route": route, "method": "GET", "status": status}
    return registry.get_sample_value("omnistock_http_requests_total", labels)


def test_requests_are_counted_by_route_template_never_by_sku(
    client: TestClient, registry: CollectorRegistry
) -> None:
    client.get("/v1/availability/SKU-1")
    client.get("/v1/availability/SKU-1")
    client.get("/v1/availability/UNKNOWN-9")

    route = "/v1/availability/{sku}"
    assert _requests(registry, route, "200") == 2
    assert _requests(registry, route, "404") == 1
    assert registry.get_sample_value("omnistock_http_request_duration_seconds_count", {"route": route}) == 3


def test_metrics_exposes_the_http_counter_with_the_template_and_not_the_sku(client: TestClient) -> None:
    client.get("/v1/availability/SKU-1")
    client.get("/v1/availability/UNKNOWN-9")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    series = 'omnistock_http_requests_total{method="GET",route="/v1/availability/{sku}",status="200"} 1.0'
    assert series in text
    assert "omnistock_http_request_duration_seconds_bucket" in text
    assert "SKU-1" not in text
    assert "UNKNOWN-9" not in text


def test_an_unknown_path_is_counted_as_unmatched(client: TestClient, registry: CollectorRegistry) -> None:
    client.get("/no/such/thing-123")

    assert _requests(registry, "unmatched", "404") == 1


def test_two_apps_can_be_built_in_one_process_each_with_its_own_registry(reader: FakeReader) -> None:
    first, second = create_app(reader), create_app(reader)

    assert TestClient(first).get("/healthz").status_code == 200
    assert TestClient(second).get("/healthz").status_code == 200


class _Marker:
    def __init__(self, present: bool) -> None:
        self.answer = present

    async def present(self) -> bool:
        return self.answer


def test_readyz_answers_503_store_lost_when_the_store_marker_is_gone(
    reader: FakeReader, registry: CollectorRegistry
) -> None:
    marker = _Marker(present=False)
    client = TestClient(create_app(reader, registry=registry, store_marker=marker))

    response = client.get("/readyz")
    marker.answer = True
    after_rebuild = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["reason"] == "store_lost"
    assert response.json()["dependency"] == "stock_store"
    assert after_rebuild.status_code == 200
