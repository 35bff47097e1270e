"""Routing properties over random stock, exclusions, capacities and strategies: never a node without the
ATP, never an excluded node, capacities kept, every line placed once or said unrouted, deterministic."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.allocation import OrderLine
from core.network import LocationKind
from core.routing import route
from core.routing_rules import BUILT_IN
from core.routing_types import Delivery, DeliveryMethod, RoutingDecision
from tests.support.promise_network import PARIS_CUSTOMER, location, prepared, utc

SKUS = ("A", "B", "C")
NODES = ("WH", "SHOP", "DS", "LYON", "SUP")
NETWORK = prepared(
    location("DS", LocationKind.DARK_STORE, lat=48.8157, lon=2.3849, handling_time_minutes=30),
    location("LYON", LocationKind.WAREHOUSE, lat=45.6432, lon=5.1124, pick_cost_cents=30),
    location("SUP", LocationKind.SUPPLIER, lat=50.63, lon=3.06, handling_time_minutes=1440),
)
DELIVERIES = (
    Delivery(DeliveryMethod.HOME_STANDARD, PARIS_CUSTOMER),
    Delivery(DeliveryMethod.HOME_EXPRESS, PARIS_CUSTOMER),
    Delivery(DeliveryMethod.RELAY, PARIS_CUSTOMER),
    Delivery(DeliveryMethod.CLICK_COLLECT, PARIS_CUSTOMER, "SHOP"),
)

atps = st.dictionaries(
    st.tuples(st.sampled_from(SKUS), st.sampled_from(NODES)), st.integers(0, 4), max_size=15
)
orders = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=5).map(
    lambda items: [OrderLine(f"l{i}", sku, quantity) for i, (sku, quantity) in enumerate(items)]
)
exclusions = st.dictionaries(
    st.sampled_from([f"l{i}" for i in range(5)]),
    st.frozensets(st.sampled_from(NODES), max_size=3),
    max_size=5,
)
capacities = st.dictionaries(st.sampled_from(NODES), st.none() | st.integers(0, 3), max_size=5)
settings_ = {"deadline": None, "max_examples": 150}


def _route(
    lines: list[OrderLine], atp: Any, excluded: Any, capacity: Any, strategy: str, delivery: Delivery
) -> RoutingDecision:
    return route(NETWORK, lines, delivery, utc(17, 10), atp, BUILT_IN[strategy], capacity, excluded)


@settings(**settings_)
@given(orders, atps, exclusions, capacities, st.sampled_from(sorted(BUILT_IN)), st.sampled_from(DELIVERIES))
def test_routing_keeps_stock_exclusions_and_capacity(lines, atp, excluded, capacity, strategy, delivery):
    decision = _route(lines, atp, excluded, capacity, strategy, delivery)
    for shipment in decision.shipments:
        units = Counter[str]()
        for line in shipment.lines:
            units[line.sku] += line.quantity
            assert shipment.location_id not in excluded.get(line.line_id, frozenset())
        for sku, quantity in units.items():
            assert atp.get((sku, shipment.location_id), 0) >= quantity
        left = capacity.get(shipment.location_id)
        assert left is None or len(shipment.lines) <= left
    placed = [line.line_id for shipment in decision.shipments for line in shipment.lines]
    placed += [item.line.line_id for item in decision.unrouted]
    assert sorted(placed) == sorted(line.line_id for line in lines)


@settings(**settings_)
@given(orders, atps, exclusions, capacities, st.sampled_from(sorted(BUILT_IN)), st.sampled_from(DELIVERIES))
def test_routing_the_same_input_twice_gives_the_same_decision(
    lines, atp, excluded, capacity, strategy, delivery
):
    assert _route(lines, atp, excluded, capacity, strategy, delivery) == _route(
        lines, dict(reversed(list(atp.items()))), excluded, capacity, strategy, delivery
    )


@settings(**settings_)
@given(orders, atps, st.sampled_from(sorted(BUILT_IN)))
def test_a_line_some_single_eligible_node_can_serve_is_always_routed(lines, atp, strategy):
    """Without exclusions or capacity limits, a line is unrouted only when no shipper has the ATP for it
    beyond what the decision ships from there of the same sku (lines of one sku share a node's ATP)."""
    decision = _route(lines, atp, {}, {}, strategy, DELIVERIES[0])
    shipped = Counter[tuple[str, str]]()
    for shipment in decision.shipments:
        for line in shipment.lines:
            shipped[(line.sku, shipment.location_id)] += line.quantity
    for item in decision.unrouted:
        sku, quantity = item.line.sku, item.line.quantity
        assert all(atp.get((sku, n), 0) - shipped[(sku, n)] < quantity for n in NODES), item
