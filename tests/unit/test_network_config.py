"""The network file: parsing, errors that name their place, the packaged network, reload without restart."""

from __future__ import annotations

import copy
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.errors import NetworkConfigError
from core.network import Capability, LocationKind
from core.network_config import parse_network
from omnistock.network_file import NetworkSource, default_network_path, load_network
from tests.support.promise_network import services_raw


def _store(**changes: Any) -> dict[str, Any]:
    store: dict[str, Any] = {
        "location_id": "ST-1",
        "kind": "store",
        "name": "Lyon Part-Dieu",
        "lat": 45.76,
        "lon": 4.86,
        "timezone": "Europe/Paris",
        "capabilities": ["pickup", "returns"],
        "opening_hours": {"mon": "09:30-20:00", "sun": ["09:30", "13:00"]},
        "safety_stock": 2,
    }
    store.update(changes)
    return store


def _network(*locations: dict[str, Any]) -> dict[str, Any]:
    return {"locations": list(locations) or [_store()]}


def _error(data: dict[str, Any]) -> NetworkConfigError:
    with pytest.raises(NetworkConfigError) as caught:
        parse_network(data)
    return caught.value


def test_a_valid_location_is_parsed_with_its_hours_and_capabilities() -> None:
    network = parse_network(_network(_store(daily_pick_capacity=300, pick_cost_cents=120)))
    store = network.locations["ST-1"]
    assert store.kind is LocationKind.STORE
    assert store.capabilities == frozenset({Capability.PICKUP, Capability.RETURNS})
    assert store.opening_hours == {"mon": ("09:30", "20:00"), "sun": ("09:30", "13:00")}
    assert (store.safety_stock, store.daily_pick_capacity, store.pick_cost_cents) == (2, 300, 120)
    assert not store.serves_online


def test_online_protection_is_read_per_location_and_defaults_to_none_kept() -> None:
    network = parse_network(_network(_store(online_protection=4), _store(location_id="ST-2")))
    assert network.locations["ST-1"].online_protection == 4
    assert (network.online_protection("ST-1"), network.online_protection("ST-2")) == (4, 0)
    assert network.online_protection("UNKNOWN") == 0


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"kind": "shop"}, "locations[1].kind", "unknown kind 'shop'"),
        (
            {"capabilities": ["pickup", "teleport"]},
            "locations[1].capabilities[1]",
            "unknown capability 'teleport'",
        ),
        ({"lat": 91.5}, "locations[1].lat", "between -90 and 90"),
        ({"lon": "east"}, "locations[1].lon", "expected a number"),
        ({"timezone": "Europe/Lyon"}, "locations[1].timezone", "unknown time zone 'Europe/Lyon'"),
        ({"opening_hours": {"mon": "9h-20h"}}, "locations[1].opening_hours.mon", 'expected "HH:MM"'),
        (
            {"opening_hours": {"mon": 600}},
            "locations[1].opening_hours.mon",
            "unquoted 10:00 reads as a number",
        ),
        ({"opening_hours": {"mon": "20:00-09:00"}}, "locations[1].opening_hours.mon", "not after opening"),
        ({"opening_hours": {"monday": "09:00-20:00"}}, "locations[1].opening_hours.monday", "unknown day"),
        ({"safety_stock": -1}, "locations[1].safety_stock", "whole number >= 0"),
        ({"safety_stock": True}, "locations[1].safety_stock", "whole number >= 0"),
        ({"online_protection": -1}, "locations[1].online_protection", "whole number >= 0"),
        ({"online_protection": "3"}, "locations[1].online_protection", "whole number >= 0"),
        ({"location_id": "ST 2"}, "locations[1].location_id", "expected an id"),
        ({"saftey_stock": 3}, "locations[1].saftey_stock", "unknown field 'saftey_stock'"),
        ({"kind": "relay_point", "capabilities": ["ship"]}, "locations[1].capabilities", "cannot have SHIP"),
    ],
)
def test_each_error_names_the_exact_place_and_what_was_expected(
    change: dict[str, Any], path: str, words: str
) -> None:
    error = _error(_network(_store(location_id="ST-0"), _store(location_id="ST-2") | change))
    assert error.fields["path"] == path
    assert words in error.message


def test_a_missing_required_field_is_named() -> None:
    store = _store()
    del store["timezone"]
    error = _error(_network(store))
    assert (error.fields["path"], error.message) == (
        "locations[0].timezone",
        "missing required field 'timezone'",
    )


def test_a_duplicate_location_id_names_both_places() -> None:
    error = _error(_network(_store(), _store(name="Another")))
    assert error.fields["path"] == "locations[1].location_id"
    assert "first at locations[0]" in error.message


def test_an_empty_or_missing_location_list_is_refused() -> None:
    assert _error({"locations": []}).fields["path"] == "locations"
    assert _error({"version": "1"}).fields["path"] == "locations"


def test_an_unknown_top_level_section_is_refused() -> None:
    assert _error({**_network(), "carrier": []}).fields["path"] == "carrier"


def test_carrier_services_are_read_with_the_network_and_their_errors_name_their_place() -> None:
    services = services_raw()
    assert parse_network(_network()).services is None
    assert set(parse_network({**_network(), "services": services}).services.services) == {  # type: ignore[union-attr]
        "home_standard", "home_express", "relay", "store_transfer"
    }  # fmt: skip
    services["carriers"][0]["cutoff"] = "5pm"
    assert _error({**_network(), "services": services}).fields["path"] == "services.carriers[0].cutoff"


def test_closed_dates_are_read_per_location_and_a_bad_date_is_named() -> None:
    store = parse_network(_network(_store(closed_dates=["2026-12-25", date(2027, 1, 1)])))
    assert store.locations["ST-1"].closed_dates == {date(2026, 12, 25), date(2027, 1, 1)}
    assert parse_network(_network()).locations["ST-1"].closed_dates == frozenset()
    error = _error(_network(_store(closed_dates=["25/12"])))
    assert error.fields["path"] == "locations[0].closed_dates[0]"


def test_without_a_version_the_content_names_the_version() -> None:
    first, same = parse_network(_network()), parse_network(_network())
    other = parse_network(_network(_store(safety_stock=5)))
    assert first.version == same.version != other.version


def test_the_packaged_network_parses_with_every_kind_of_location() -> None:
    network = load_network(default_network_path())
    kinds = [location.kind for location in network.locations.values()]
    assert kinds.count(LocationKind.WAREHOUSE) == 3
    assert kinds.count(LocationKind.STORE) >= 40
    assert kinds.count(LocationKind.DARK_STORE) == 2
    assert kinds.count(LocationKind.RELAY_POINT) >= 10
    assert kinds.count(LocationKind.SUPPLIER) == 1
    assert {location.timezone for location in network.locations.values()} >= {"Europe/Paris", "Europe/London"}
    assert not any(
        loc.serves_online for loc in network.locations.values() if loc.kind is LocationKind.RELAY_POINT
    )


def test_a_json_file_reads_like_the_yaml_one(tmp_path: Path) -> None:
    path = tmp_path / "network.json"
    path.write_text(json.dumps(_network()))
    assert set(load_network(path).locations) == {"ST-1"}


def test_a_file_error_is_a_network_config_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkConfigError, match="cannot read"):
        load_network(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("locations: [\n")
    with pytest.raises(NetworkConfigError, match="not valid YAML") as caught:
        load_network(broken)
    assert caught.value.fields["file"] == str(broken)


def test_a_parse_error_from_a_file_keeps_its_path(tmp_path: Path) -> None:
    path = tmp_path / "network.yaml"
    path.write_text(
        "locations:\n  - {location_id: A, kind: store, name: A, lat: 1, lon: 1, timezone: Mars/Olympus}\n"
    )
    with pytest.raises(NetworkConfigError) as caught:
        load_network(path)
    assert caught.value.fields["path"] == "locations[0].timezone"


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _write(path: Path, data: dict[str, Any], mtime_ns: int) -> None:
    path.write_text(json.dumps(data))
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_changed_file_is_reloaded_but_not_before_the_check_interval(tmp_path: Path) -> None:
    path, clock = tmp_path / "network.json", _Clock()
    _write(path, _network(), 1_000_000_000)
    source = NetworkSource(path, check_every_s=5, clock=clock)
    _write(path, _network(_store(safety_stock=7)), 2_000_000_000)
    clock.now = 4.0
    assert source.current().locations["ST-1"].safety_stock == 2
    clock.now = 5.0
    assert source.current().locations["ST-1"].safety_stock == 7


def test_a_bad_new_file_keeps_the_old_network_and_reports_the_error(tmp_path: Path) -> None:
    path, clock = tmp_path / "network.json", _Clock()
    _write(path, _network(), 1_000_000_000)
    source = NetworkSource(path, check_every_s=1, clock=clock)
    before = source.current()
    bad = copy.deepcopy(_network())
    bad["locations"][0]["lat"] = 200
    _write(path, bad, 2_000_000_000)
    clock.now = 2.0
    assert source.current() is before
    assert source.last_error is not None
    assert source.last_error.fields["path"] == "locations[0].lat"
    _write(path, _network(_store(safety_stock=3)), 3_000_000_000)
    clock.now = 4.0
    assert source.current().locations["ST-1"].safety_stock == 3
    assert source.last_error is None


def test_routing_rules_and_acceptance_deadlines_are_read_with_the_network() -> None:
    routing = {"default": "fastest", "rule_sets": {"mine": {"version": "2", "based_on": "cheapest"}}}
    network = parse_network({**_network(_store(accept_sla_minutes=30)), "routing": routing})

    assert network.locations["ST-1"].accept_sla_minutes == 30
    assert network.routing.default == "fastest"
    assert network.routing.for_strategy("mine").version == "2"
    assert parse_network(_network()).routing.for_strategy(None).name == "balanced"
    assert _error({**_network(), "routing": {"default": 3}}).fields["path"].startswith("routing")
