"""Promise properties over random stock, carts and clocks: stock respected, dates, signs, determinism."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from core.network import LocationKind
from core.promise import promise
from core.promise_nodes import AtpView
from core.promise_types import CartLine, PromiseResult
from tests.support.promise_network import PARIS_CUSTOMER, SHIP, location, prepared

SKUS = ("A", "B", "C", "D")
NETWORK = prepared(
    location("DS", LocationKind.DARK_STORE, lat=48.8157, lon=2.3849, handling_time_minutes=30),
    location("LYON", LocationKind.WAREHOUSE, lat=45.6432, lon=5.1124, pick_cost_cents=30),
    location(
        "LONDON", LocationKind.STORE, lat=51.5151, lon=-0.1419, timezone="Europe/London",
        capabilities=frozenset({SHIP}), handling_time_minutes=120,
    ),
)  # fmt: skip
STOCKED = ("WH", "SHOP", "DS", "LYON", "LONDON")

atps = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(STOCKED)), st.integers(0, 4), max_size=20
)
carts = st.lists(
    st.builds(CartLine, st.sampled_from(SKUS), st.integers(1, 3)),
    min_size=1,
    max_size=4,
    unique_by=lambda line: line.sku,
)
# hypothesis takes naive bounds and attaches the time zone itself
clocks = st.datetimes(datetime(2026, 11, 2), datetime(2026, 11, 30), timezones=st.just(UTC))  # noqa: DTZ001


def _ask(cart: list[CartLine], now: datetime, atp: AtpView) -> PromiseResult:
    return promise(NETWORK, cart, PARIS_CUSTOMER, now, atp, explain=True)


@settings(max_examples=300, deadline=None)
@given(cart=carts, now=clocks, atp=atps)
def test_an_option_never_uses_a_node_without_the_atp_for_its_lines(cart, now, atp):
    for option in _ask(cart, now, atp).options:
        shipped = [line for shipment in option.shipments for line in shipment.lines]
        assert sorted(shipped, key=lambda line: line.sku) == sorted(cart, key=lambda line: line.sku)
        for shipment in option.shipments:
            for line in shipment.lines:
                assert atp.get((line.sku, shipment.location_id), 0) >= line.quantity


@settings(max_examples=300, deadline=None)
@given(cart=carts, now=clocks, atp=atps, extra=st.tuples(st.sampled_from(SKUS), st.sampled_from(STOCKED)))
def test_adding_stock_never_makes_the_speed_first_method_later(cart, now, atp, extra):
    # home_express prefers speed; parcels-first methods may trade a date for one parcel (see test_promise)
    more = dict(atp)
    more[extra] = more.get(extra, 0) + 3
    before = [o for o in _ask(cart, now, atp).options if o.method == "home_express"]
    after = [o for o in _ask(cart, now, more).options if o.method == "home_express"]
    if before:
        assert after
        assert after[0].earliest <= before[0].earliest


@settings(max_examples=300, deadline=None)
@given(cart=carts, now=clocks, atp=atps, extra=st.tuples(st.sampled_from(SKUS), st.sampled_from(STOCKED)))
def test_adding_stock_never_makes_the_best_date_of_the_cart_later(cart, now, atp, extra):
    # the best date: the earliest of all options, the one labelled fastest
    more = dict(atp)
    more[extra] = more.get(extra, 0) + 3
    before = _ask(cart, now, atp).options
    after = _ask(cart, now, more).options
    if before:
        assert after
        assert min(o.earliest for o in after) <= min(o.earliest for o in before)


@settings(max_examples=300, deadline=None)
@given(cart=carts, now=clocks, atp=atps)
def test_prices_costs_and_co2e_are_never_negative_and_dates_are_ordered_and_aware(cart, now, atp):
    for option in _ask(cart, now, atp).options:
        assert option.price_cents >= 0
        assert option.cost_cents >= 0
        assert option.co2e_grams >= 0
        assert option.earliest.utcoffset() is not None
        assert now <= option.earliest <= option.latest


@settings(max_examples=200, deadline=None)
@given(cart=carts, now=clocks, atp=atps)
def test_the_same_input_gives_the_same_answer_whatever_the_order_of_the_stock_view(cart, now, atp):
    reordered = dict(reversed(list(atp.items())))
    assert _ask(cart, now, atp) == _ask(list(reversed(cart)), now, reordered)
    assert _ask(cart, now, atp) == _ask(cart, now, atp)
