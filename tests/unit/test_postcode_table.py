"""The packaged postcode table covers every French department, metropolitan and overseas, and London's
postcode districts, as the README says; a full UK postcode resolves by its outward code."""

from __future__ import annotations

import pytest

from core.geo import Place, haversine_km, place_of_postcode
from omnistock.postcodes import load_postcodes

TABLE = load_postcodes()
METROPOLITAN = [f"{n:02d}" for n in range(1, 96) if n != 20]
OVERSEAS = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
}
LONDON_DISTRICTS = (
    [f"E{n}" for n in range(1, 19)]
    + ["E20", "E1W"]
    + [f"EC{n}" for n in range(1, 5)]
    + [f"N{n}" for n in range(1, 23)]
    + [f"NW{n}" for n in range(1, 12)]
    + [f"SE{n}" for n in range(1, 29)]
    + [f"SW{n}" for n in range(1, 21)]
    + [f"W{n}" for n in range(1, 15)]
    + ["WC1", "WC2"]
)
CHARING_CROSS = Place(51.5073, -0.1276, "Europe/London")


@pytest.mark.parametrize("department", METROPOLITAN)
def test_every_metropolitan_department_resolves_in_metropolitan_france(department: str) -> None:
    place = place_of_postcode(f"{department}100", TABLE)

    assert place is not None
    assert 41.3 < place.lat < 51.1
    assert -5.2 < place.lon < 9.6
    assert place.timezone == "Europe/Paris"


@pytest.mark.parametrize(("department", "zone"), sorted(OVERSEAS.items()))
def test_every_overseas_department_resolves_in_its_own_time_zone(department: str, zone: str) -> None:
    place = place_of_postcode(f"{department}10", TABLE)

    assert place is not None
    assert place.timezone == zone


def test_corsican_postcodes_resolve_to_their_department() -> None:
    ajaccio, bastia = TABLE["2A"], TABLE["2B"]

    assert place_of_postcode("20000", TABLE) == ajaccio
    assert place_of_postcode("20167", TABLE) == ajaccio
    assert place_of_postcode("20200", TABLE) == bastia
    assert place_of_postcode("20600", TABLE) == bastia
    assert place_of_postcode("2b033", TABLE) == bastia


@pytest.mark.parametrize("district", LONDON_DISTRICTS)
def test_every_london_postcode_district_resolves_within_20_km_of_charing_cross(district: str) -> None:
    place = TABLE.get(district)

    assert place is not None, f"{district} is missing"
    assert place.timezone == "Europe/London"
    assert haversine_km(place.lat, place.lon, CHARING_CROSS.lat, CHARING_CROSS.lon) < 20


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("E1 6AN", "E1"),
        ("E16AN", "E1"),
        ("E16 1AA", "E16"),
        ("E161AA", "E16"),
        ("SW1A 1AA", "SW1"),
        ("sw1a1aa", "SW1"),
        ("SW19 5AE", "SW19"),
        ("EC1A 1BB", "EC1"),
        ("W1A 0AX", "W1"),
        ("N1C 4AG", "N1C"),
        ("SE10", "SE10"),
    ],
)
def test_a_uk_postcode_resolves_by_its_outward_code(postcode: str, district: str) -> None:
    assert place_of_postcode(postcode, TABLE) == TABLE[district]


def test_a_uk_area_outside_the_table_resolves_to_nothing() -> None:
    assert place_of_postcode("M1 1AE", TABLE) is None
