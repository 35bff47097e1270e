"""POST /v1/promises: options with local times, explanations, unserved lines, readable 4xx answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.promise_desk import PromiseDesk
from core.geo import Place
from core.network import Network
from core.stock import LocationStock
from tests.support.fake_reader import FakeReader, sku_stock
from tests.support.promise_network import network, services, utc

NOW = utc(17, 10)  # Tue 11:00 in Paris
POSTCODES = {"75": Place(48.8566, 2.3522, "Europe/Paris"), "SW1": Place(51.4975, -0.1357, "Europe/London")}
STOCK = [
    sku_stock("A", LocationStock("WH", on_hand=5), LocationStock("SHOP", on_hand=1)),
    sku_stock("B", LocationStock("WH", on_hand=2)),
    sku_stock("GONE", LocationStock("WH", on_hand=3, allocated=3)),
]


def _network() -> Network:
    return replace(network(), services=services(), version="test-1")


def _client(current: list[Network] | None = None) -> TestClient:
    networks = current if current is not None else [_network()]
    desk = PromiseDesk(lambda: networks[-1], POSTCODES, FakeReader(STOCK))
    return TestClient(create_app(FakeReader(STOCK), clock=lambda: NOW, promises=desk))


def _ask(client: TestClient, body: dict[str, Any], query: str = "") -> Any:
    return client.post(f"/v1/promises{query}", json=body)


PARIS_CART = {"lines": [{"sku": "A", "quantity": 1}], "destination": {"postcode": "75011"}}


def _method(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(option for option in body["options"] if option["method"] == name)


def test_a_cart_gets_one_option_per_method_with_local_times_price_co2e_and_its_plan() -> None:
    response = _ask(_client(), PARIS_CART)

    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-11-17T10:00:00.000Z"
    assert body["network_version"] == "test-1"
    assert body["destination"]["timezone"] == "Europe/Paris"
    assert [option["method"] for option in body["options"]] == [
        "home_standard", "home_express", "relay", "click_and_collect"
    ]  # fmt: skip
    home = _method(body, "home_standard")
    # Tue 11:00 + 4 h at WH = 15:00, before the 17:00 pass: delivered Wed 08:00 to Thu 19:00, Paris time
    assert (home["earliest"], home["latest"]) == ("2026-11-18T08:00:00+01:00", "2026-11-19T19:00:00+01:00")
    assert home["shipments"] == [{"location_id": "WH", "lines": [{"sku": "A", "quantity": 1}]}]
    assert home["parcels"] == 1
    assert home["co2e_grams"] > 0
    assert home["price_cents"] == 500  # one parcel in the service's only band
    collect = _method(body, "click_and_collect")
    assert collect["pickup_location_id"] == "SHOP"
    assert collect["parcels"] == 0
    assert collect["earliest"] == "2026-11-17T13:00:00+01:00"  # the store's 2 h of preparation
    assert "fastest" in collect["labels"]
    assert "considered" not in home
    assert body["unserved"] == []


def test_explain_lists_every_node_considered_and_why_it_lost() -> None:
    body = _ask(_client(), PARIS_CART, "?explain=true").json()

    home = _method(body, "home_standard")
    reasons = {verdict["location_id"]: verdict["reason"] for verdict in home["considered"]}
    assert reasons["WH"].startswith("chosen")
    assert set(reasons) == {"WH", "SHOP"}
    assert not reasons["SHOP"].startswith("chosen")


def test_lines_no_node_can_serve_are_listed_and_no_option_serves_part_of_the_cart() -> None:
    cart = {
        "lines": [{"sku": "A", "quantity": 1}, {"sku": "GONE", "quantity": 1}],
        "destination": {"postcode": "75"},
    }
    body = _ask(_client(), cart).json()

    assert body["options"] == []
    assert body["unserved"] == [{"sku": "GONE", "quantity": 1}]


def test_methods_filter_the_options_and_may_be_written_as_in_orders() -> None:
    body = _ask(_client(), {**PARIS_CART, "methods": ["HOME_EXPRESS", "click_and_collect"]}).json()

    assert [option["method"] for option in body["options"]] == ["home_express", "click_and_collect"]


def test_coordinates_take_the_time_zone_of_the_nearest_known_postcode() -> None:
    cart = {"lines": [{"sku": "A", "quantity": 1}], "destination": {"lat": 51.5, "lon": -0.12}}
    body = _ask(_client(), {**cart, "methods": ["home_standard"]}).json()

    assert body["destination"]["timezone"] == "Europe/London"
    assert body["options"][0]["earliest"].endswith("+00:00")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**PARIS_CART, "destination": {"postcode": "99999"}}, "unknown_postcode"),
        ({**PARIS_CART, "methods": ["teleport"]}, "unknown_method"),
        ({**PARIS_CART, "destination": {}}, "validation_error"),
        ({**PARIS_CART, "destination": {"lat": 48.8}}, "validation_error"),
        ({**PARIS_CART, "destination": {"postcode": "75", "timezone": "Mars/Olympus"}}, "validation_error"),
        ({"lines": [{"sku": "A", "quantity": 0}], "destination": {"postcode": "75"}}, "validation_error"),
        ({"lines": [], "destination": {"postcode": "75"}}, "validation_error"),
    ],
)
def test_a_bad_cart_or_destination_answers_422_saying_what_is_wrong(body: dict[str, Any], code: str) -> None:
    response = _ask(_client(), body)

    assert response.status_code == 422
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_an_unknown_method_answer_names_the_methods_offered() -> None:
    answer = _ask(_client(), {**PARIS_CART, "methods": ["teleport"]}).json()

    assert answer["known"] == ["home_standard", "home_express", "relay", "click_and_collect"]


def test_a_network_without_carrier_services_answers_503() -> None:
    response = _ask(_client([network()]), PARIS_CART)

    assert response.status_code == 503
    assert response.json()["error"] == "promise_unavailable"


def test_a_reloaded_network_is_prepared_again() -> None:
    networks = [_network()]
    client = _client(networks)
    assert _ask(client, PARIS_CART).json()["network_version"] == "test-1"

    networks.append(replace(_network(), version="test-2"))

    assert _ask(client, PARIS_CART).json()["network_version"] == "test-2"
