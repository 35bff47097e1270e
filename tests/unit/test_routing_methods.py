"""Delivery methods as routing maps them (click & collect, relay, home services) and the decision record.

Clock: Tue 17 Nov 2026 10:00 UTC (11:00 Paris). SHOP (Paris) is open 10:00-19:00, 2 h handling, picks
at 1.80 EUR; WH (Bussy) is always open, 4 h handling: ready 15:00, before every 17:00 pass.
"""

from __future__ import annotations

import json

from core.allocation import OrderLine
from core.network import Capability, LocationKind
from core.routing import route
from core.routing_rules import BUILT_IN
from core.routing_types import IN_STORE, Delivery, DeliveryMethod, Filter, RoutingDecision, decision_dict
from tests.support.promise_network import PARIS_CUSTOMER, location, prepared, utc

NOW = utc(17, 10)
LINES = [OrderLine("l1", "A", 1)]
COLLECT = Delivery(DeliveryMethod.CLICK_COLLECT, PARIS_CUSTOMER, "SHOP")


def decide(delivery: Delivery, atp: dict[tuple[str, str], int], **kw: object) -> RoutingDecision:
    network = kw.pop("network", None) or prepared()
    return route(network, LINES, delivery, NOW, atp, BUILT_IN["balanced"], **kw)  # type: ignore[arg-type]


def test_click_and_collect_uses_the_stores_own_stock_without_a_parcel():
    """SHOP picks it: 11:00 + 2 h = 13:00 Paris, 1.80 EUR, no parcel, no CO2e; WH would ship it in for
    2.50 + 0.45 EUR and be ready Wednesday."""
    decision = decide(COLLECT, {("A", "SHOP"): 2, ("A", "WH"): 9})
    (shipment,) = decision.shipments
    assert (shipment.location_id, shipment.carrier_service) == ("SHOP", IN_STORE)
    assert (shipment.earliest, shipment.co2e_grams, shipment.cost_cents) == (utc(17, 12), 0, 180)
    assert decision.components["parcels"] == 0.0


def test_click_and_collect_ships_to_the_store_when_it_lacks_the_stock():
    """WH ready 15:00, store_transfer pass 17:00, one day: Wed 07:00 at the store, which opens at 10:00."""
    decision = decide(COLLECT, {("A", "WH"): 9})
    (shipment,) = decision.shipments
    assert (shipment.location_id, shipment.carrier_service) == ("WH", "store_transfer")
    assert shipment.earliest == utc(18, 9)


def test_a_store_that_takes_no_parcels_serves_only_its_own_stock():
    store = location("KIOSK", LocationKind.STORE, capabilities=frozenset({Capability.PICKUP}))
    delivery = Delivery(DeliveryMethod.CLICK_COLLECT, PARIS_CUSTOMER, "KIOSK")
    decision = decide(delivery, {("A", "WH"): 9}, network=prepared(store))
    assert decision.shipments == ()
    assert [u.line.line_id for u in decision.unrouted] == ["l1"]
    assert next(c for c in decision.candidates if c.location_id == "WH").excluded_by is Filter.CAPABILITY


def test_click_and_collect_without_a_pickup_store_routes_nothing():
    decision = decide(Delivery(DeliveryMethod.CLICK_COLLECT, PARIS_CUSTOMER), {("A", "WH"): 9})
    assert decision.shipments == ()
    assert decision.unrouted[0].reason == "click & collect needs a pickup store, got None"


def test_relay_ships_to_the_relay_point_near_the_customer():
    """WH collected Tue 17:00, two carrier days: Thu 09:00 Paris at RP (open 08:00)."""
    decision = decide(Delivery(DeliveryMethod.RELAY, PARIS_CUSTOMER), {("A", "WH"): 9})
    (shipment,) = decision.shipments
    assert (shipment.location_id, shipment.carrier_service) == ("WH", "relay")
    assert shipment.earliest == utc(19, 8)


def test_home_express_uses_the_express_service():
    decision = decide(Delivery(DeliveryMethod.HOME_EXPRESS, PARIS_CUSTOMER), {("A", "WH"): 9})
    assert [s.carrier_service for s in decision.shipments] == ["home_express"]


def test_a_method_with_no_configured_service_routes_nothing():
    delivery = Delivery(DeliveryMethod.HOME_EXPRESS, PARIS_CUSTOMER)
    decision = decide(delivery, {("A", "WH"): 9}, method_services={})
    assert decision.unrouted[0].reason == "no carrier service configured for HOME_EXPRESS"


def test_the_decision_dict_is_json_with_iso_times_and_the_contract_names():
    decision = decide(COLLECT, {("A", "SHOP"): 2, ("A", "WH"): 9})
    record = decision_dict(decision, strategy="balanced")
    json.dumps(record)  # plain data only
    assert record["rule_set"] == "balanced"
    assert record["rule_set_version"] == "builtin-1"
    assert record["decided_at"] == "2026-11-17T10:00:00Z"
    candidates = record["candidates"]
    assert isinstance(candidates, list)
    assert {c["location_id"] for c in candidates} == {"SHOP", "WH"}
    assert set(candidates[0]) >= {"location_id", "chosen", "excluded_by", "reason", "score", "scores"}
    shipments = record["shipments"]
    assert isinstance(shipments, list)
    assert shipments[0]["promised_earliest"] == "2026-11-17T12:00:00Z"
