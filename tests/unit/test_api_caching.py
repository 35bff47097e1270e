"""HTTP caching of availability: ETag from the figures only, 304 on If-None-Match, Cache-Control, 500 skus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.caching import etag_matches, figures_etag
from core.stock import LocationStock, SkuStock
from tests.support.fake_reader import FakeReader, sku_stock


class StepClock:
    """Each read is one second later: two reads never share an `as_of`."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _stock_of_a(on_hand: int) -> SkuStock:
    return sku_stock("A", LocationStock("dc-1", on_hand=on_hand), LocationStock("store-1", on_hand=2))


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader([_stock_of_a(5)])


@pytest.fixture
def client(reader: FakeReader) -> TestClient:
    return TestClient(create_app(reader, clock=StepClock()))


def _set_on_hand(reader: FakeReader, on_hand: int) -> None:
    reader.stocks["A"] = _stock_of_a(on_hand)


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_etag_is_the_same_for_the_same_figures_read_at_different_times(
    client: TestClient, method: str
) -> None:
    first, second = (_read(client, method) for _ in range(2))

    assert first.json()["as_of"] != second.json()["as_of"]
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["etag"].startswith('W/"')


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_etag_changes_when_a_figure_changes(client: TestClient, reader: FakeReader, method: str) -> None:
    before = _read(client, method).headers["etag"]
    _set_on_hand(reader, 4)

    assert _read(client, method).headers["etag"] != before


@pytest.mark.parametrize("method", ["get", "post"])
def test_if_none_match_with_the_current_etag_answers_304_without_a_body(
    client: TestClient, method: str
) -> None:
    etag = _read(client, method).headers["etag"]

    response = _read(client, method, {"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "private, max-age=1"


def test_if_none_match_with_a_stale_etag_answers_200_with_the_new_figures(
    client: TestClient, reader: FakeReader
) -> None:
    etag = _read(client, "get").headers["etag"]
    _set_on_hand(reader, 9)

    response = _read(client, "get", {"If-None-Match": etag})

    assert response.status_code == 200
    assert response.json()["network"]["on_hand"] == 11


@pytest.mark.parametrize("method", ["get", "post"])
def test_availability_answers_a_short_private_cache_control(client: TestClient, method: str) -> None:
    assert _read(client, method).headers["cache-control"] == "private, max-age=1"


def test_the_cache_max_age_is_configurable(reader: FakeReader) -> None:
    client = TestClient(create_app(reader, cache_max_age_s=5))

    assert client.get("/v1/availability/A").headers["cache-control"] == "private, max-age=5"


def test_the_location_filter_is_part_of_the_etag(client: TestClient) -> None:
    whole = client.get("/v1/availability/A").headers["etag"]
    narrowed = client.get("/v1/availability/A", params={"location_id": "dc-1"}).headers["etag"]

    assert whole != narrowed


def test_errors_carry_no_etag(client: TestClient) -> None:
    response = client.get("/v1/availability/NOPE")

    assert response.status_code == 404
    assert "etag" not in response.headers


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('W/"abc"', True),
        ('"abc"', True),
        ('"x", W/"abc"', True),
        ("*", True),
        ('W/"abd"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_compares_weakly_and_accepts_lists_and_star(header: str | None, matches: bool) -> None:
    assert etag_matches(header, 'W/"abc"') is matches


def test_a_batch_of_500_skus_is_answered_in_one_call_by_default() -> None:
    skus = [f"SKU-{n:04d}" for n in range(500)]
    reader = FakeReader([sku_stock(sku, LocationStock("dc-1", on_hand=n)) for n, sku in enumerate(skus)])
    client = TestClient(create_app(reader))

    response = client.post("/v1/availability", json={"skus": skus})

    assert response.status_code == 200
    assert [item["sku"] for item in response.json()["items"]] == skus
    assert response.json()["items"][499]["network"]["on_hand"] == 499
    assert reader.reads == [skus]
    assert client.post("/v1/availability", json={"skus": [*skus, "ONE-MORE"]}).status_code == 413


def _read(client: TestClient, method: str, headers: dict[str, str] | None = None) -> httpx.Response:
    response: httpx.Response
    if method == "get":
        response = client.get("/v1/availability/A", headers=headers)
    else:
        response = client.post("/v1/availability", json={"skus": ["A", "NOPE"]}, headers=headers)
    return response


def test_the_etag_ignores_every_as_of_in_the_answer_and_nothing_else() -> None:
    at_noon = b'{"as_of":"12:00","items":[{"as_of":"12:00","atp":7}]}'
    at_one = b'{"as_of":"13:00","items":[{"as_of":"13:00","atp":7}]}'
    changed = b'{"as_of":"13:00","items":[{"as_of":"13:00","atp":8}]}'

    assert figures_etag(at_noon, "12:00") == figures_etag(at_one, "13:00")
    assert figures_etag(changed, "13:00") != figures_etag(at_one, "13:00")
