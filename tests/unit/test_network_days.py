"""Each location's own date, the day its daily pick capacity is counted in."""

from __future__ import annotations

from core.network import LocationKind
from tests.support.promise_network import location, network, utc


def _ms(day: int, hour: int, minute: int = 0) -> int:
    return int(utc(day, hour, minute).timestamp() * 1000)


def test_every_location_gets_its_local_date() -> None:
    days = network().local_days(_ms(17, 10))
    assert days == {"WH": "2026-11-17", "SHOP": "2026-11-17", "RP": "2026-11-17"}


def test_a_location_east_of_utc_is_already_on_tomorrow_before_utc_midnight() -> None:
    tokyo = location("WH-TOKYO", LocationKind.WAREHOUSE, timezone="Asia/Tokyo")
    days = network(tokyo).local_days(_ms(17, 23, 30))  # 00:30 Wed in Paris, 08:30 Wed in Tokyo
    assert days["WH"] == days["WH-TOKYO"] == "2026-11-18"


def test_a_location_west_of_utc_is_still_on_yesterday_after_utc_midnight() -> None:
    new_york = location("ST-NYC", LocationKind.STORE, timezone="America/New_York")
    days = network(new_york).local_days(_ms(18, 2))  # 21:00 Tue in New York, 03:00 Wed in Paris
    assert (days["ST-NYC"], days["WH"]) == ("2026-11-17", "2026-11-18")
