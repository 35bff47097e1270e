"""Each built-in strategy on small networks whose best answer is worked out by hand, and the filters.

Clock: Tue 17 Nov 2026 10:00 UTC (11:00 Paris). home_standard: 500 cents a parcel up to 1000 km, one
to two carrier days, cut-off 17:00 at warehouses, CO2e 150 g + 0.2 g/km a parcel. A warehouse open
around the clock with handling <= 6 h is ready before 17:00: delivered Wed 08:00 Paris (07:00 UTC,
21 h = 0.875 day away); with 10 h handling it is ready at 21:00, misses the pass: delivered Thursday.
"""

from __future__ import annotations

from typing import Any

from core.allocation import OrderLine
from core.network import Location, LocationKind
from core.promise_nodes import AtpView, PromiseNetwork
from core.routing import route
from core.routing_rules import BUILT_IN, CHEAPEST, FASTEST, FEWEST_SPLITS, GREENEST, RuleSet
from core.routing_search import EXACT_MAX_NODES
from core.routing_types import Delivery, DeliveryMethod, Filter, RoutingDecision
from tests.support.promise_network import PARIS_CUSTOMER, location, prepared, utc

NOW = utc(17, 10)
LYON = {"lat": 45.7640, "lon": 4.8357}  # about 390 km from the Paris customer
AT_CUSTOMER = {"lat": PARIS_CUSTOMER.lat, "lon": PARIS_CUSTOMER.lon}
HOME = Delivery(DeliveryMethod.HOME_STANDARD, PARIS_CUSTOMER)
ONE_A = [OrderLine("l1", "A", 1)]
TWO = [OrderLine("l1", "A", 1), OrderLine("l2", "B", 1)]


def wh(location_id: str, **fields: Any) -> Location:
    return location(location_id, LocationKind.WAREHOUSE, **fields)


def decide(
    network: PromiseNetwork,
    atp: AtpView,
    rules: RuleSet | str,
    lines: list[OrderLine] = ONE_A,
    delivery: Delivery = HOME,
    **kw: Any,
) -> RoutingDecision:
    rule_set = BUILT_IN[rules] if isinstance(rules, str) else rules
    return route(network, lines, delivery, NOW, atp, rule_set, **kw)


def shipped(decision: RoutingDecision) -> dict[str, list[str]]:
    return {s.location_id: [line.line_id for line in s.lines] for s in decision.shipments}


def verdict(decision: RoutingDecision, location_id: str) -> Filter | None:
    return next(c.excluded_by for c in decision.candidates if c.location_id == location_id)


THREE_WAY = prepared(
    wh("CHEAP", **LYON, pick_cost_cents=10, handling_time_minutes=600),
    wh("FAST", **LYON, pick_cost_cents=200, handling_time_minutes=60),
    wh("GREEN", **AT_CUSTOMER, pick_cost_cents=300, handling_time_minutes=600),
)
THREE_WAY_ATP = {("A", "CHEAP"): 5, ("A", "FAST"): 5, ("A", "GREEN"): 5}


def test_cheapest_takes_the_lowest_parcel_and_picking_cost():
    """CHEAP 500 + 10 = 5.10 EUR, FAST 7.00, GREEN 8.00: CHEAP, though it arrives a day later."""
    decision = decide(THREE_WAY, THREE_WAY_ATP, CHEAPEST)
    assert shipped(decision) == {"CHEAP": ["l1"]}
    assert decision.components["cost"] == 5.10
    assert decision.shipments[0].earliest == utc(19, 7)


def test_fastest_takes_the_earliest_delivery():
    """FAST is ready at 12:00, before the 17:00 pass: Wed 08:00 Paris; CHEAP and GREEN miss it: Thursday."""
    decision = decide(THREE_WAY, THREE_WAY_ATP, FASTEST)
    assert shipped(decision) == {"FAST": ["l1"]}
    assert decision.shipments[0].earliest == utc(18, 7)
    assert decision.components["speed"] == 0.875
    assert decision.components["cost"] == 7.0


def test_greenest_takes_the_node_next_to_the_customer():
    """GREEN ships 0 km: 150 g; CHEAP and FAST ship ~390 km: 150 + 0.2 x 390 = ~228 g."""
    decision = decide(THREE_WAY, THREE_WAY_ATP, GREENEST)
    assert shipped(decision) == {"GREEN": ["l1"]}
    assert decision.shipments[0].co2e_grams == 150


def test_fewest_splits_prefers_one_parcel_to_a_cheaper_split():
    """ONE has both lines at 9 EUR a pick: 5 + 18 = 23 EUR. X (l1) + Y (l2) at 0.10 a pick: 2 x 5.10 = 10.20.
    Cheapest splits; fewest-splits pays for one parcel."""
    network = prepared(
        wh("ONE", pick_cost_cents=900), wh("X", pick_cost_cents=10), wh("Y", pick_cost_cents=10)
    )
    atp = {("A", "ONE"): 1, ("B", "ONE"): 1, ("A", "X"): 1, ("B", "Y"): 1}
    assert shipped(decide(network, atp, CHEAPEST, TWO)) == {"X": ["l1"], "Y": ["l2"]}
    decision = decide(network, atp, FEWEST_SPLITS, TWO)
    assert shipped(decision) == {"ONE": ["l1", "l2"]}
    assert decision.components["parcels"] == 1.0


def test_balanced_spares_the_node_a_line_would_empty():
    """LAST and PLENTY are alike but LAST has 1 unit (balance 1/1 = 1.0) and PLENTY 10 (0.1): balanced
    weighs balance at 2, so PLENTY scores 1.8 lower. Cheapest sees a tie and takes the smaller id, LAST."""
    network = prepared(wh("LAST"), wh("PLENTY"))
    atp = {("A", "LAST"): 1, ("A", "PLENTY"): 10}
    assert shipped(decide(network, atp, "balanced")) == {"PLENTY": ["l1"]}
    assert shipped(decide(network, atp, CHEAPEST)) == {"LAST": ["l1"]}


def test_a_tie_goes_to_the_better_ranked_node_then_to_the_smaller_id():
    """A and B are identical: the same score. No ranks: A (id). B ranked before A: B."""
    network = prepared(wh("B"), wh("A"))
    atp = {("A", "A"): 3, ("A", "B"): 3}
    assert shipped(decide(network, atp, CHEAPEST)) == {"A": ["l1"]}
    ranked = RuleSet("ranked", "1", BUILT_IN[CHEAPEST].weights, location_ranks={"A": 2, "B": 1})
    decision = decide(network, atp, ranked)
    assert shipped(decision) == {"B": ["l1"]}
    assert [c.rank for c in decision.candidates if c.location_id in ("A", "B")] == [2, 1]


def test_a_node_with_no_capacity_left_is_filtered_out():
    """CHEAP would win on cost but has no pick capacity left today: FAST (7.00) beats GREEN (8.00)."""
    decision = decide(THREE_WAY, THREE_WAY_ATP, CHEAPEST, capacity_left={"CHEAP": 0})
    assert shipped(decision) == {"FAST": ["l1"]}
    assert verdict(decision, "CHEAP") is Filter.CAPACITY


def test_capacity_left_defaults_to_the_daily_capacity_and_none_means_unlimited():
    network = prepared(wh("ZERO", daily_pick_capacity=0, pick_cost_cents=1), wh("OTHER", pick_cost_cents=99))
    atp = {("A", "ZERO"): 1, ("A", "OTHER"): 1}
    assert shipped(decide(network, atp, CHEAPEST)) == {"OTHER": ["l1"]}
    assert shipped(decide(network, atp, CHEAPEST, capacity_left={"ZERO": None})) == {"ZERO": ["l1"]}


def test_capacity_for_one_line_splits_a_two_line_order():
    """ONE has both lines but can pick one more line today; BACKUP has only B. One parcel cannot do:
    A, which only ONE has, goes there first; B to BACKUP."""
    network = prepared(wh("ONE", pick_cost_cents=10), wh("BACKUP", pick_cost_cents=500))
    atp = {("A", "ONE"): 1, ("B", "ONE"): 1, ("B", "BACKUP"): 1}
    decision = decide(network, atp, FEWEST_SPLITS, TWO, capacity_left={"ONE": 1})
    assert shipped(decision) == {"BACKUP": ["l2"], "ONE": ["l1"]}
    assert not decision.unrouted


def test_a_node_excluded_for_a_line_never_gets_it():
    """The order excludes CHEAP for l1 (it rejected it): FAST is next cheapest. A rule set's own
    exclusions work the same way for every line."""
    decision = decide(THREE_WAY, THREE_WAY_ATP, CHEAPEST, excluded={"l1": frozenset({"CHEAP"})})
    assert shipped(decision) == {"FAST": ["l1"]}
    assert verdict(decision, "CHEAP") is Filter.EXCLUDED
    no_fast = RuleSet("no-fast", "1", BUILT_IN[FASTEST].weights, excluded_locations=frozenset({"FAST"}))
    assert "FAST" not in shipped(decide(THREE_WAY, THREE_WAY_ATP, no_fast))


def test_a_distance_limit_keeps_far_nodes_out():
    """Within 100 km only GREEN (0 km) and the network's WH (~26 km, no stock of A) remain."""
    limited = RuleSet("near", "1", BUILT_IN[CHEAPEST].weights, max_distance_km=100)
    decision = decide(THREE_WAY, THREE_WAY_ATP, limited)
    assert shipped(decision) == {"GREEN": ["l1"]}
    assert verdict(decision, "CHEAP") is Filter.DISTANCE
    assert verdict(decision, "FAST") is Filter.DISTANCE
    assert verdict(decision, "WH") is Filter.ATP


def test_a_cart_no_single_node_can_serve_is_split_into_shipments():
    network = prepared(wh("X"), wh("Y"))
    decision = decide(network, {("A", "X"): 2, ("B", "Y"): 2}, "balanced", TWO)
    assert shipped(decision) == {"X": ["l1"], "Y": ["l2"]}
    assert decision.search == "exact"


def test_beyond_the_exact_bound_the_greedy_plan_still_covers_the_cart():
    """One sku per node and one more line than the exact search combines: only greedy can cover it."""
    count = EXACT_MAX_NODES + 1
    network = prepared(*(wh(f"N{i}") for i in range(count)))
    lines = [OrderLine(f"l{i}", f"S{i}", 1) for i in range(count)]
    decision = decide(network, {(f"S{i}", f"N{i}"): 1 for i in range(count)}, "balanced", lines)
    assert decision.search == "greedy"
    assert shipped(decision) == {f"N{i}": [f"l{i}"] for i in range(count)}
    assert not decision.unrouted


def test_a_line_no_node_has_is_unrouted_with_its_reason():
    decision = decide(THREE_WAY, THREE_WAY_ATP, CHEAPEST, [*ONE_A, OrderLine("l9", "NOPE", 1)])
    assert shipped(decision) == {"CHEAP": ["l1"]}
    assert [(u.line.line_id, u.reason) for u in decision.unrouted] == [
        ("l9", "no node has the ATP for the whole line")
    ]


def test_every_node_gets_a_verdict_and_eligible_ones_a_score():
    decision = decide(THREE_WAY, THREE_WAY_ATP, CHEAPEST)
    by_id = {c.location_id: c for c in decision.candidates}
    assert sorted(by_id) == ["CHEAP", "FAST", "GREEN", "SHOP", "WH"]  # RP is a relay point
    assert by_id["CHEAP"].chosen
    assert by_id["FAST"].score == 7.0 + 0.01 * 0.875  # cost 1 / EUR, speed 0.01 / day
    assert by_id["WH"].excluded_by is Filter.ATP
    assert by_id["WH"].score is None


def test_the_same_input_gives_the_same_decision_and_id():
    first = decide(THREE_WAY, THREE_WAY_ATP, "balanced", capacity_left={"FAST": 3})
    again = decide(THREE_WAY, THREE_WAY_ATP, "balanced", capacity_left={"FAST": 3})
    assert first == again
    other = decide(THREE_WAY, THREE_WAY_ATP, "balanced", capacity_left={"FAST": 2})
    assert other.decision_id != first.decision_id
    assert decide(THREE_WAY, THREE_WAY_ATP, "balanced", decision_id="given").decision_id == "given"
