"""The delivery promise at a fixed `now`: cut-offs, weekends, closed days, splits, click & collect, zones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from core.geo import Place
from core.network import LocationKind, Network
from core.promise import promise
from core.promise_nodes import AtpView, PromiseNetwork, prepare
from core.promise_types import CLICK_AND_COLLECT, CartLine, PromiseOption, PromiseResult
from tests.support.promise_network import (
    PARIS_CUSTOMER,
    SHIP,
    location,
    network,
    prepared,
    services,
    utc,
)

ONE_A = [CartLine("A", 1)]


def _ask(
    network: PromiseNetwork, now: datetime, atp: AtpView, lines: list[CartLine] = ONE_A, **kw: object
) -> PromiseResult:
    return promise(network, lines, PARIS_CUSTOMER, now, atp, **kw)  # type: ignore[arg-type]


def _option(result: PromiseResult, method: str) -> PromiseOption:
    return next(option for option in result.options if option.method == method)


def test_an_order_ready_before_the_cut_off_leaves_the_same_day():
    # Tue 11:00 Paris + 4 h handling = 15:00, before the 17:00 pass: collected Tuesday, delivered Wednesday
    option = _option(_ask(prepared(), utc(17, 10), {("A", "WH"): 5}), "home_standard")
    assert option.earliest == utc(18, 7)  # Wed 08:00 Paris
    assert option.latest == utc(19, 18)  # Thu 19:00 Paris
    assert option.timezone == "Europe/Paris"


def test_an_order_ready_after_the_cut_off_leaves_the_next_carrier_day():
    # Tue 14:30 Paris + 4 h = 18:30, after the 17:00 pass: collected Wednesday, delivered Thursday
    option = _option(_ask(prepared(), utc(17, 13, 30), {("A", "WH"): 5}), "home_standard")
    assert option.earliest == utc(19, 7)


def test_the_weekend_is_skipped_when_the_carrier_does_not_work_it():
    # Fri 16:00 Paris + 4 h = 20:00: no pass Saturday or Sunday, collected Monday, delivered Tuesday
    option = _option(_ask(prepared(), utc(20, 15), {("A", "WH"): 5}), "home_standard")
    assert option.earliest == utc(24, 7)


def test_a_carrier_holiday_is_skipped_like_a_weekend():
    # Tue 10 Nov 14:30 Paris + 4 h: Wed 11 Nov is a carrier holiday, collected Thursday, delivered Friday
    option = _option(_ask(prepared(), utc(10, 13, 30), {("A", "WH"): 5}), "home_standard")
    assert option.earliest == utc(13, 7)


def test_a_store_closed_on_sunday_finishes_preparing_on_its_next_opening():
    # Sat 18:30 Paris: 30 min of the 2 h before closing, the other 90 min from Monday's 14:00 opening
    option = _option(_ask(prepared(), utc(21, 17, 30), {("A", "SHOP"): 3}), CLICK_AND_COLLECT)
    assert option.pickup_location_id == "SHOP"
    assert not option.ship_to_store
    assert option.earliest == utc(23, 14, 30)  # Mon 15:30 Paris


def test_a_store_closed_for_a_holiday_finishes_preparing_on_its_next_open_day():
    # Mon 18:30 Paris: 30 min of the 2 h before closing; Tue 17 is a closed date, so the other 90 min
    # are from Wednesday's 10:00 opening
    shop = replace(network().locations["SHOP"], closed_dates=frozenset({date(2026, 11, 17)}))
    holiday = prepare(Network({**network().locations, "SHOP": shop}), services())
    option = _option(_ask(holiday, utc(16, 17, 30), {("A", "SHOP"): 3}), CLICK_AND_COLLECT)
    assert option.earliest == utc(18, 10, 30)  # Wed 11:30 Paris


def test_a_store_that_opens_after_the_carrier_passes_misses_that_pass():
    # Fri 12:00 Paris + 2 h = 14:00, after the store's 12:00 pass; Monday the store opens at 14:00 so
    # nobody hands the parcel over at 12:00: collected Tuesday 12:00, delivered Wednesday
    option = _option(_ask(prepared(), utc(20, 11), {("A", "SHOP"): 3}), "home_standard")
    assert [s.location_id for s in option.shipments] == ["SHOP"]
    assert option.earliest == utc(25, 7)


def test_a_cart_no_single_node_can_serve_is_split_into_parcels():
    atp = {("A", "WH"): 2, ("B", "SHOP"): 2}
    result = _ask(prepared(), utc(17, 8), atp, lines=[CartLine("A", 1), CartLine("B", 2)])
    option = _option(result, "home_standard")
    assert option.parcels == 2
    assert {(s.location_id, s.lines) for s in option.shipments} == {
        ("WH", (CartLine("A", 1),)),
        ("SHOP", (CartLine("B", 2),)),
    }
    assert option.price_cents == 1000  # two parcels at 500
    assert result.unserved == ()


def test_one_node_with_the_whole_cart_is_preferred_to_a_cheaper_split():
    atp = {("A", "BIG"): 2, ("B", "BIG"): 2, ("A", "SHOP"): 2, ("B", "DS"): 2}
    expensive = location("BIG", LocationKind.WAREHOUSE, pick_cost_cents=2000)
    network = prepared(expensive, location("DS", LocationKind.DARK_STORE, pick_cost_cents=1))
    result = _ask(network, utc(17, 8), atp, lines=[CartLine("A", 1), CartLine("B", 1)], explain=True)
    option = _option(result, "home_standard")
    assert [s.location_id for s in option.shipments] == ["BIG"]
    assert option.parcels == 1
    assert option.cost_cents == 500 + 2 * 2000  # against 500 + 180 + 500 + 1 for the split


def test_click_and_collect_without_the_stock_in_store_is_shipped_there():
    # The warehouse is ready Tue 15:00 Paris, collected at 17:00, arrives Wed 07:00; the store opens 10:00
    option = _option(_ask(prepared(), utc(17, 10), {("A", "WH"): 5}), CLICK_AND_COLLECT)
    assert option.ship_to_store
    assert option.pickup_location_id == "SHOP"
    assert [s.location_id for s in option.shipments] == ["WH"]
    assert option.earliest == utc(18, 9)  # Wed 10:00 Paris
    assert option.price_cents == 0


def test_click_and_collect_with_the_stock_in_store_is_ready_after_its_handling_time():
    option = _option(_ask(prepared(), utc(17, 10), {("A", "SHOP"): 1, ("A", "WH"): 5}), CLICK_AND_COLLECT)
    assert not option.ship_to_store
    assert option.parcels == 0
    assert option.earliest == utc(17, 12)  # Tue 11:00 Paris + 2 h


def test_a_store_in_another_time_zone_uses_its_own_cut_off_and_the_customer_gets_local_windows():
    london = location(
        "LONDON", LocationKind.WAREHOUSE, lat=51.5151, lon=-0.1419, timezone="Europe/London",
        capabilities=frozenset({SHIP}), handling_time_minutes=120,
    )  # fmt: skip
    # Tue 14:30 UTC is 14:30 in London: ready 16:30, before London's 17:00 pass (16:00 UTC in Paris time)
    option = _option(_ask(prepared(london), utc(17, 14, 30), {("A", "LONDON"): 1}), "home_standard")
    assert [s.location_id for s in option.shipments] == ["LONDON"]
    assert option.earliest == utc(18, 7)  # Wed 08:00 in the customer's Paris
    assert option.earliest.utcoffset() is not None


def test_relay_delivery_goes_to_the_relay_point_near_the_customer():
    option = _option(_ask(prepared(), utc(17, 10), {("A", "WH"): 5}), "relay")
    assert option.pickup_location_id == "RP"
    assert option.earliest == utc(19, 8)  # two carrier days, relay window 09:00 Paris


def test_lines_no_node_has_are_listed_and_no_option_covers_a_partial_cart():
    result = _ask(prepared(), utc(17, 10), {("A", "WH"): 5}, lines=[CartLine("A", 1), CartLine("Z", 1)])
    assert result.options == ()
    assert result.unserved == (CartLine("Z", 1),)


def test_options_are_labelled_and_filtered_by_method_and_a_tie_labels_both():
    result = _ask(prepared(), utc(17, 10), {("A", "WH"): 5}, methods={"home_standard", "home_express"})
    assert [option.method for option in result.options] == ["home_standard", "home_express"]
    standard, express = result.options
    assert standard.earliest == express.earliest  # both deliver from Wednesday 08:00
    assert standard.labels == ("cheapest", "fastest", "greenest")
    assert express.labels == ("fastest",)
    assert express.price_cents > standard.price_cents
    assert express.co2e_grams > standard.co2e_grams


def test_explain_names_every_node_considered_and_why_it_lost():
    result = _ask(prepared(), utc(17, 10), {("A", "WH"): 5}, methods={"home_standard"}, explain=True)
    verdicts = {v.location_id: v.reason for v in result.options[0].considered}
    assert verdicts == {"SHOP": "no ATP for any line", "WH": "chosen: ships 1 line(s)"}


def test_a_destination_outside_every_band_gets_no_home_option():
    far = Place(-20.88, 55.45, "Indian/Reunion")
    assert promise(prepared(), ONE_A, far, utc(17, 10), {("A", "WH"): 5}).options == ()


def test_a_parcels_first_method_trades_a_later_date_for_one_parcel():
    # The documented trade-off: stock arriving at a slow node that holds the whole cart turns a fast
    # two-parcel plan into a slower one-parcel plan; the speed-first method (home_express) keeps the date.
    slow = location("SLOW", LocationKind.SUPPLIER, handling_time_minutes=3 * 1440)
    network = prepared(slow, location("DS", LocationKind.DARK_STORE, handling_time_minutes=30))
    lines = [CartLine("A", 1), CartLine("B", 1)]
    split = {("A", "WH"): 1, ("B", "DS"): 1}
    before = _ask(network, utc(17, 8), split, lines=lines)
    after = _ask(network, utc(17, 8), split | {("A", "SLOW"): 1, ("B", "SLOW"): 1}, lines=lines)
    assert _option(after, "home_standard").parcels == 1
    assert _option(after, "home_standard").earliest > _option(before, "home_standard").earliest
    assert _option(after, "home_express").earliest == _option(before, "home_express").earliest


def test_an_empty_cart_has_no_options_and_nothing_unserved():
    assert _ask(prepared(), utc(17, 10), {("A", "WH"): 5}, lines=[]) == PromiseResult((), ())
