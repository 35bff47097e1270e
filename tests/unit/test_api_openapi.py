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


def test_the_error_schema_requires_a_code_and_a_message(openapi: dict[str, Any]) -> None:
    schema = openapi["components"]["schemas"]["ErrorBody"]

    assert set(schema["required"]) == {"error", "message"}
