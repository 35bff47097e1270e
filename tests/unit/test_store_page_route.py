"""The store page is served by the API to anyone (the page sends the key), carries the location id only
as escaped data, ships its CSS and JS from the same origin, and stays out of the OpenAPI document."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.store_page import ASSETS, render_store_page
from tests.support.fake_reader import FakeReader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(FakeReader([]), api_keys={"k-store-1": ["availability:read"]}))


def test_the_store_page_loads_without_a_key_even_when_keys_are_configured(client: TestClient) -> None:
    page = client.get("/store/S-1")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'data-location-id="S-1"' in page.text
    assert 'src="/store/assets/store.js"' in page.text


def test_the_store_picker_is_the_same_page_with_no_location(client: TestClient) -> None:
    page = client.get("/store")
    assert page.status_code == 200
    assert 'data-location-id=""' in page.text


def test_a_hostile_location_id_reaches_the_page_only_as_escaped_attribute_text() -> None:
    html = render_store_page('S-1"><script>alert(1)</script>', "")
    assert "<script>alert(1)" not in html
    assert 'data-location-id="S-1&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_a_placeholder_inside_a_value_is_not_expanded_again() -> None:
    html = render_store_page("{{api_base}}", "/behind-proxy")
    assert 'data-location-id="{{api_base}}"' in html
    assert 'data-api-base="/behind-proxy"' in html
    assert html.count("{{") == 1


def test_a_percent_encoded_script_in_the_path_stays_escaped(client: TestClient) -> None:
    page = client.get("/store/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert 'data-location-id="&lt;img src=x onerror=alert(1)&gt;"' in page.text


def test_the_page_forbids_inline_and_foreign_scripts(client: TestClient) -> None:
    policy = client.get("/store/S-1").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(("name", "media_type"), sorted(ASSETS.items()))
def test_each_asset_is_served_with_its_media_type(client: TestClient, name: str, media_type: str) -> None:
    asset = client.get(f"/store/assets/{name}")
    assert asset.status_code == 200
    assert asset.headers["content-type"] == media_type
    assert len(asset.text) > 1000


def test_an_unknown_asset_answers_404_in_the_api_error_shape(client: TestClient) -> None:
    answer = client.get("/store/assets/..%2F..%2Fapi%2Fapp.py")
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_the_pages_stay_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/store")]


def test_an_installed_package_carries_the_page_files() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = package_data["api.pages"]
    for name in ("store.html", *ASSETS):
        assert any(Path(name).match(pattern) for pattern in shipped), name
        assert (ROOT / "api" / "pages" / name).is_file()


def test_the_page_has_the_hooks_the_browser_tests_use() -> None:
    html = (ROOT / "api" / "pages" / "store.html").read_text()
    for hook in ('data-testid="connection"', 'data-testid="capacity"', 'data-testid="error"'):
        assert hook in html
    for reason in ("NOT_FOUND", "DAMAGED", "STORE_BUSY", "OTHER"):
        assert f'data-reason="{reason}"' in html
