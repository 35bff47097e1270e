"""The OpenAPI document lists every route with a title, a description and its response models."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support.fake_reader import FakeReader


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    client = TestClient(create_app(FakeReader(), version="1.2.3"))
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def test_openapi_lists_every_route_and_method(openapi: dict[str, Any]) -> None:
    routes = {(path, method) for path, item in openapi["paths"].items() for method in item}

    assert routes == {
        ("/v1/availability/{sku}", "get"),
        ("/v1/availability", "post"),
        ("/v1/availability/stream", "get"),
        ("/v1/promises", "post"),
        ("/v1/orders/{order_id}", "get"),
        ("/v1/stores", "get"),
        ("/v1/stores/{location_id}/shipments", "get"),
        ("/v1/stores/{location_id}/shipments/{shipment_id}/{action}", "post"),
        ("/v1/stores/{location_id}/stock/{sku}", "get"),
        ("/v1/stores/{location_id}/counts", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    }
    assert openapi["info"]["title"] == "omnistock API"
    assert openapi["info"]["version"] == "1.2.3"


def test_every_operation_has_a_summary_and_a_description(openapi: dict[str, Any]) -> None:
    for item in openapi["paths"].values():
        for operation in item.values():
            assert operation["summary"]
            assert operation["description"]


def test_the_availability_routes_document_their_models_and_errors(openapi: dict[str, Any]) -> None:
    single = openapi["paths"]["/v1/availability/{sku}"]["get"]["responses"]
    batch = openapi["paths"]["/v1/availability"]["post"]["responses"]

    assert single["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SkuAvailability")
    assert single["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert batch["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/BatchAvailability")
    assert batch["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert batch["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationErrorBody")


def test_the_order_route_documents_its_answer_404_and_503(openapi: dict[str, Any]) -> None:
    responses = openapi["paths"]["/v1/orders/{order_id}"]["get"]["responses"]

    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/OrderAnswer")
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert responses["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_the_error_schema_requires_a_code_and_a_message(openapi: dict[str, Any]) -> None:
    schema = openapi["components"]["schemas"]["ErrorBody"]

    assert set(schema["required"]) == {"error", "message"}


@pytest.fixture(scope="module")
def guarded_openapi() -> dict[str, Any]:
    app = create_app(FakeReader(), api_keys={"k1": ["availability:read"]}, rate_limit_per_s=10)
    document: dict[str, Any] = TestClient(app).get("/openapi.json").json()
    return document


def test_with_keys_the_document_declares_an_api_key_scheme_in_the_x_api_key_header(
    guarded_openapi: dict[str, Any],
) -> None:
    scheme = guarded_openapi["components"]["securitySchemes"]["ApiKey"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")


def test_with_keys_the_availability_routes_require_the_scheme_and_document_401_403_429(
    guarded_openapi: dict[str, Any],
) -> None:
    paths = guarded_openapi["paths"]
    for operation in (paths["/v1/availability/{sku}"]["get"], paths["/v1/availability"]["post"]):
        assert operation["security"] == [{"ApiKey": []}]
        assert {"401", "403", "429"} <= set(operation["responses"])
    for path in ("/healthz", "/readyz", "/metrics"):
        assert "security" not in paths[path]["get"]


def test_the_availability_routes_document_304_and_the_if_none_match_header(openapi: dict[str, Any]) -> None:
    for operation in (
        openapi["paths"]["/v1/availability/{sku}"]["get"],
        openapi["paths"]["/v1/availability"]["post"],
    ):
        assert "304" in operation["responses"]
        assert "if-none-match" in [param["name"] for param in operation["parameters"]]


def test_without_keys_the_document_declares_no_security(openapi: dict[str, Any]) -> None:
    assert "securitySchemes" not in openapi.get("components", {})
    assert "security" not in openapi["paths"]["/v1/availability/{sku}"]["get"]
