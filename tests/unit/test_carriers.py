"""Carrier services: parsing with paths, bands, cut-offs, carrier days, CO2e factors, collection."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from core.calendar import calendar_of
from core.carriers import MODES, ServiceKind, collection
from core.carriers_config import parse_services
from core.errors import NetworkConfigError
from omnistock.network_file import default_network_path, load_network
from tests.support.promise_network import SHOP_HOURS, services_raw


def _error(raw: object) -> NetworkConfigError:
    with pytest.raises(NetworkConfigError) as caught:
        parse_services(raw)
    return caught.value


def _changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(services_raw())
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


def test_the_packaged_network_file_has_every_service_and_click_and_collect():
    services = load_network(default_network_path()).services
    assert services is not None
    assert set(services.services) == {"home_standard", "home_express", "relay", "store_transfer"}
    assert services.click_and_collect is not None
    assert services.click_and_collect.transfer_service == "store_transfer"


def test_a_bare_list_of_carriers_is_accepted_without_click_and_collect():
    services = parse_services(services_raw()["carriers"])
    assert services.click_and_collect is None
    assert services.of_kind(ServiceKind.RELAY)[0].service_id == "relay"


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("carriers", 0, "colour"), "red", "services.carriers[0].colour"),
        (("carriers", 0, "cutoff"), 1700, "services.carriers[0].cutoff"),
        (("carriers", 0, "mode"), "teleport", "services.carriers[0].mode"),
        (("carriers", 0, "carrier_days"), ["mon", "someday"], "services.carriers[0].carrier_days[1]"),
        (("carriers", 0, "bands", 0, "days"), [3, 1], "services.carriers[0].bands[0].days"),
        (("carriers", 0, "closed_dates"), ["25/12"], "services.carriers[0].closed_dates[0]"),
        (("carriers", 1, "service_id"), "home_standard", "services.carriers[1].service_id"),
        (("click_and_collect", "transfer_service"), "relay", "services.click_and_collect.transfer_service"),
    ],
)
def test_a_faulty_service_names_the_path_at_fault(path: tuple[Any, ...], value: Any, where: str):
    assert _error(_changed(path, value)).fields["path"] == where


def test_bands_must_grow_with_distance():
    bands = [
        {"max_km": 500, "days": [1, 2], "parcel_cents": 1},
        {"max_km": 100, "days": [1, 2], "parcel_cents": 1},
    ]
    assert (
        _error(_changed(("carriers", 0, "bands"), bands)).fields["path"]
        == "services.carriers[0].bands[1].max_km"
    )


def test_the_band_is_the_first_that_reaches_the_distance_and_none_beyond_the_last():
    service = parse_services(services_raw()).services["home_standard"]
    assert service.band(999.0) is service.bands[0]
    assert service.band(1000.5) is None


def test_a_location_cut_off_wins_over_its_kind_which_wins_over_the_default():
    raw = _changed(("carriers", 0, "location_cutoffs"), {"SHOP-2": "10:30"})
    service = parse_services(raw).services["home_standard"]
    assert service.cutoff_for("SHOP-2", "STORE") == 630
    assert service.cutoff_for("SHOP", "STORE") == 720
    assert service.cutoff_for("WH", "WAREHOUSE") == 1020


def test_carrier_days_skip_weekends_and_holidays():
    service = parse_services(services_raw()).services["home_standard"]
    assert service.add_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday -> Monday
    assert service.add_days(date(2026, 11, 10), 1) == date(2026, 11, 12)  # 11 November is a holiday
    assert service.add_days(date(2026, 11, 10), 0) == date(2026, 11, 10)


def test_co2e_grows_with_distance_and_parcels_by_the_mode_factor():
    service = parse_services(services_raw()).services["home_standard"]
    road = MODES["road"]
    assert service.co2e_grams(100.0, 1) == round(road.per_km * 100 + road.per_parcel)
    assert service.co2e_grams(100.0, 2) == 2 * service.co2e_grams(100.0, 1)
    assert MODES["air"].per_km > MODES["road_express"].per_km > MODES["road"].per_km


def test_the_carrier_collects_only_while_the_location_is_open():
    service = parse_services(services_raw()).services["home_standard"]
    shop = calendar_of("Europe/Paris", SHOP_HOURS)
    ready = datetime(2026, 11, 20, 13, tzinfo=UTC)  # Friday 14:00 Paris, after the 12:00 pass
    # Monday the shop opens at 14:00, after a 12:00 pass: the parcel leaves Tuesday 12:00 Paris
    assert collection(service, shop, 720, ready) == datetime(2026, 11, 24, 11, tzinfo=UTC)
