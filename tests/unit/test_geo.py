"""Distances and the postcode table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.errors import NetworkConfigError
from core.geo import Place, haversine_km, parse_postcode_rows, place_of_point, place_of_postcode
from omnistock.network_file import default_network_path
from omnistock.postcodes import load_postcodes


def test_paris_to_lyon_is_about_390_km():
    assert haversine_km(48.8566, 2.3522, 45.764, 4.8357) == pytest.approx(392, abs=3)


def test_the_longest_known_prefix_of_a_postcode_gives_its_place():
    table = {"69": Place(45.76, 4.84), "971": Place(16.27, -61.55, "America/Guadeloupe")}
    assert place_of_postcode("69003", table) == Place(45.76, 4.84)
    assert place_of_postcode("97110", table) == Place(16.27, -61.55, "America/Guadeloupe")
    assert place_of_postcode("12000", table) is None


def test_the_packaged_postcode_table_covers_paris_and_corsica():
    path = default_network_path().parent / "postcodes.csv"
    with path.open(encoding="utf-8", newline="") as file:
        table = parse_postcode_rows(list(csv.reader(file))[1:])
    assert len(table) >= 40
    paris = place_of_postcode("75011", table)
    assert paris is not None
    assert paris.timezone == "Europe/Paris"
    assert place_of_postcode("20000", table) is not None


def test_a_bad_postcode_row_names_its_number():
    with pytest.raises(ValueError, match="row 2"):
        parse_postcode_rows([["75", "48.8", "2.3"], ["69", "north", "4.8"]])


def test_coordinates_without_a_time_zone_take_the_nearest_entrys_and_utc_without_a_table() -> None:
    table = {"75": Place(48.85, 2.35, "Europe/Paris"), "SW1": Place(51.50, -0.14, "Europe/London")}

    assert place_of_point(51.0, 0.5, table) == Place(51.0, 0.5, "Europe/London")
    assert place_of_point(51.0, 0.5, table, "Europe/Paris").timezone == "Europe/Paris"
    assert place_of_point(51.0, 0.5, {}).timezone == "UTC"


def test_a_postcode_file_that_cannot_be_parsed_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "codes.csv"
    bad.write_text("prefix,lat,lon\n75,north,2.3\n", encoding="utf-8")

    with pytest.raises(NetworkConfigError, match="codes.csv"):
        load_postcodes(bad)
    assert load_postcodes()["75"].timezone == "Europe/Paris"
