"""Simulated web shoppers: carts, orders and cancellations shaped as the contract says, in budget."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from core.geo import place_of_postcode
from core.network import Capability, LocationKind, Network
from omnistock.network_file import default_network_path, load_network
from omnistock.postcodes import load_postcodes
from omnistock.sim.simulation import Item, Simulation
from topics.order_events import CartEvent, OrderEvent

FRIDAY = datetime(2024, 6, 7, 4, tzinfo=UTC)
WEB = ("carts.events.v1", "orders.v1")


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(default_network_path())


@pytest.fixture(scope="module")
def two_days(network: Network) -> tuple[Simulation, list[Item]]:
    simulation = Simulation(network, sku_count=2000, seed=5)
    simulation.initial_stock_events(FRIDAY)
    return simulation, simulation.events_between(FRIDAY, FRIDAY + timedelta(days=2), random.Random(8))


def _web(items: list[Item], topic: str) -> list[dict[str, object]]:
    return [event for name, _, event in items if name == topic]


def test_every_cart_and_order_event_validates_against_the_contract_models(
    two_days: tuple[Simulation, list[Item]],
) -> None:
    carts, orders = _web(two_days[1], "carts.events.v1"), _web(two_days[1], "orders.v1")
    assert len(carts) > 500
    assert len(orders) > 300
    for event in carts:
        assert CartEvent.model_validate_json(orjson.dumps(event)).channel == "web"
    for event in orders:
        assert OrderEvent.model_validate_json(orjson.dumps(event)).channel == "web"


def test_records_are_keyed_by_cart_and_by_order(two_days: tuple[Simulation, list[Item]]) -> None:
    for topic, key, event in two_days[1]:
        if topic in WEB:
            assert key == event["cart_id" if topic == "carts.events.v1" else "order_id"]


def test_most_carts_become_an_order_naming_them_with_the_cart_lines_and_some_are_abandoned(
    two_days: tuple[Simulation, list[Item]],
) -> None:
    lines: dict[str, dict[str, object]] = {}
    outcome: dict[str, str] = {}
    for topic, _, event in two_days[1]:
        if topic == "carts.events.v1" and event["type"] == "LINE_SET":
            assert str(event["cart_id"]) not in outcome, "a cart is filled before it is placed"
            lines.setdefault(str(event["cart_id"]), {})[str(event["sku"])] = event["quantity"]
        elif topic == "carts.events.v1":
            outcome[str(event["cart_id"])] = str(event["type"])
        elif topic == "orders.v1" and event["type"] == "PLACED" and "cart_id" in event:
            cart_id = str(event["cart_id"])
            outcome[cart_id] = "PLACED"
            placed = event["lines"]
            assert isinstance(placed, list)
            assert {line["sku"]: line["quantity"] for line in placed} == lines[cart_id]
    shares = Counter(outcome.get(cart_id, "LAPSED") for cart_id in lines)
    assert shares["PLACED"] > 0.65 * len(lines)
    assert shares["ABANDONED"] > 0.05 * len(lines)
    assert shares["LAPSED"] > 0  # the hold TTL lets these go


def test_orders_have_one_to_four_lines_of_popular_skus(
    two_days: tuple[Simulation, list[Item]],
) -> None:
    placed = [event for event in _web(two_days[1], "orders.v1") if event["type"] == "PLACED"]
    counts = Counter()
    for event in placed:
        lines = event["lines"]
        assert isinstance(lines, list)
        assert 1 <= len(lines) <= 4
        counts.update(line["sku"] for line in lines)
    top = set(two_days[0].popular_skus(200))
    assert sum(n for sku, n in counts.items() if sku in top) > 0.6 * sum(counts.values())


def test_deliveries_go_mostly_home_to_known_postcodes_else_to_pickup_stores_and_relay_points(
    network: Network, two_days: tuple[Simulation, list[Item]]
) -> None:
    postcodes = load_postcodes()
    methods: Counter[str] = Counter()
    for event in _web(two_days[1], "orders.v1"):
        if event["type"] != "PLACED":
            continue
        delivery = event["delivery"]
        assert isinstance(delivery, dict)
        methods[delivery["method"]] += 1
        if delivery["method"].startswith("HOME"):
            assert len(delivery["postcode"]) == 5
            assert place_of_postcode(delivery["postcode"], postcodes) is not None
        else:
            point = network.locations[delivery["pickup_location_id"]]
            assert Capability.PICKUP in point.capabilities
            kind = LocationKind.STORE if delivery["method"] == "CLICK_COLLECT" else LocationKind.RELAY_POINT
            assert point.kind is kind
    total = sum(methods.values())
    assert methods["HOME_STANDARD"] + methods["HOME_EXPRESS"] > 0.6 * total
    assert methods["CLICK_COLLECT"] > 0.08 * total
    assert methods["RELAY"] > 0.02 * total


def test_a_click_and_collect_cart_holds_at_its_pickup_store(two_days: tuple[Simulation, list[Item]]) -> None:
    held = {
        str(event["cart_id"]): event.get("location_id")
        for event in _web(two_days[1], "carts.events.v1")
        if event["type"] == "LINE_SET"
    }
    for event in _web(two_days[1], "orders.v1"):
        if event["type"] == "PLACED" and "cart_id" in event:
            delivery = event["delivery"]
            assert isinstance(delivery, dict)
            expected = delivery.get("pickup_location_id") if delivery["method"] == "CLICK_COLLECT" else None
            assert held[str(event["cart_id"])] == expected


def test_a_few_orders_are_cancelled_after_they_are_placed(two_days: tuple[Simulation, list[Item]]) -> None:
    placed_at: dict[str, int] = {}
    cancelled = 0
    for event in _web(two_days[1], "orders.v1"):
        assert isinstance(event["occurred_at"], int)
        if event["type"] == "PLACED":
            placed_at[str(event["order_id"])] = event["occurred_at"]
        else:
            assert event["occurred_at"] > placed_at[str(event["order_id"])]
            cancelled += 1
    assert 0 < cancelled < 0.1 * len(placed_at)


@pytest.mark.parametrize("hour", [1, 8, 16, 19])
def test_at_a_fixed_rate_the_web_takes_a_small_share_of_the_budget_at_any_hour(
    network: Network, hour: int
) -> None:
    simulation = Simulation(network, sku_count=1000, seed=2)
    simulation.initial_stock_events(FRIDAY)
    start, rng = FRIDAY.replace(hour=0) + timedelta(hours=hour), random.Random(hour)
    simulation.events_between(start - timedelta(hours=1), start, rng, count=20_000)  # carts under way
    items = simulation.events_between(start, start + timedelta(minutes=30), rng, count=20_000)
    web = sum(1 for topic, _, _ in items if topic in WEB)
    assert len(items) == 20_000
    assert 0.03 * len(items) < web < 0.11 * len(items)


def test_units_taken_by_fulfillment_leave_the_simulated_stock_before_the_next_draw(network: Network) -> None:
    simulation = Simulation(network, sku_count=300, seed=1)
    simulation.initial_stock_events(FRIDAY)
    before = simulation.stock.on_hand[("WH-PARIS-BUSSY", "SKU-00001")]
    simulation.take("WH-PARIS-BUSSY", "SKU-00001", 3)
    simulation.events_between(FRIDAY, FRIDAY + timedelta(seconds=1), random.Random(1), count=0)
    assert simulation.stock.on_hand[("WH-PARIS-BUSSY", "SKU-00001")] == before - 3
