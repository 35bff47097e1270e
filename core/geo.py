"""Distances on the Earth and postcode -> coordinates through a lookup table passed in."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


@dataclass(frozen=True, slots=True)
class Place:
    """A point and the IANA time zone its wall clocks use."""

    lat: float
    lon: float
    timezone: str = "Europe/Paris"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_km(a: Place, b: Place) -> float:
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


# A full UK postcode without its space: the outward code (area and district, "SW1A", "E1") then the
# inward code, always a digit and two letters ("1AA").
_UK_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")


def place_of_postcode(postcode: str, table: Mapping[str, Place]) -> Place | None:
    """The place of the longest prefix of `postcode` found in `table` (e.g. "69" for "69003"), or None.

    Spaces are ignored and letters upper-cased, so "2a004" finds a "2A" entry. Of a full UK postcode
    only the outward code is matched: "E16AN" is E1 6AN (Whitechapel), not a prefix of E16.
    """
    code = postcode.replace(" ", "").upper()
    uk = _UK_POSTCODE.fullmatch(code)
    if uk is not None:
        code = uk.group(1)
    for length in range(len(code), 0, -1):
        place = table.get(code[:length])
        if place is not None:
            return place
    return None


def place_of_point(lat: float, lon: float, table: Mapping[str, Place], timezone: str | None = None) -> Place:
    """A point given by coordinates; without a time zone it takes that of the nearest table entry (a
    customer's clock is its region's), or UTC when the table is empty."""
    if timezone is None:
        nearest = min(table.values(), key=lambda p: haversine_km(lat, lon, p.lat, p.lon), default=None)
        timezone = nearest.timezone if nearest is not None else "UTC"
    return Place(lat, lon, timezone)


def parse_postcode_rows(rows: list[list[str]]) -> dict[str, Place]:
    """Rows of `prefix, lat, lon[, timezone]` (a CSV read by the caller, header row excluded) -> table.

    Raises ValueError naming the row at fault.
    """
    table: dict[str, Place] = {}
    for number, row in enumerate(rows, start=1):
        if len(row) not in (3, 4) or not row[0].strip():
            raise ValueError(f"postcode row {number}: expected prefix, lat, lon[, timezone], got {row!r}")
        try:
            lat, lon = float(row[1]), float(row[2])
        except ValueError:
            raise ValueError(f"postcode row {number}: lat and lon must be numbers, got {row!r}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"postcode row {number}: coordinates out of range: {row!r}")
        zone = row[3].strip() if len(row) == 4 and row[3].strip() else "Europe/Paris"
        table[row[0].strip().upper()] = Place(lat, lon, zone)
    return table
