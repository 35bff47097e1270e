"""Rule sets from their plain dict form: built-ins always there, custom sets versioned, errors with a path."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import NetworkConfigError
from core.routing_config import RoutingConfigError, parse_routing_rules
from core.routing_rules import BALANCED, BUILT_IN, CHEAPEST, DEFAULT_RULES, FEWEST_SPLITS, Weights

STORE_FRIENDLY: dict[str, Any] = {
    "default": "store-friendly",
    "rule_sets": {
        "store-friendly": {
            "version": 3,
            "based_on": "balanced",
            "weights": {"balance": 5, "co2e": 0},
            "max_distance_km": 800,
            "excluded_locations": ["DS-OLD"],
            "ranks": {"kinds": {"STORE": 2}, "locations": {"WH-LYON": 0}},
        }
    },
}


def test_no_section_gives_the_built_in_strategies_with_balanced_by_default():
    rules = parse_routing_rules(None)
    assert set(rules.rule_sets) == {"cheapest", "fastest", "greenest", "fewest-splits", "balanced"}
    assert rules.for_strategy(None).name == BALANCED
    assert rules == DEFAULT_RULES


def test_a_custom_rule_set_starts_from_its_built_in_and_replaces_the_weights_it_names():
    rules = parse_routing_rules(STORE_FRIENDLY)
    custom = rules.for_strategy(None)
    assert (custom.name, custom.version) == ("store-friendly", "3")
    assert custom.weights.balance == 5.0
    assert custom.weights.co2e == 0.0
    assert custom.weights.cost == BUILT_IN[BALANCED].weights.cost
    assert custom.max_distance_km == 800.0
    assert custom.excluded_locations == frozenset({"DS-OLD"})
    assert custom.rank("SHOP-1", "STORE") == 2
    assert custom.rank("WH-LYON", "WAREHOUSE") == 0


def test_an_order_naming_a_known_strategy_gets_it_and_an_unknown_one_the_default():
    rules = parse_routing_rules(STORE_FRIENDLY)
    assert rules.for_strategy(FEWEST_SPLITS).name == FEWEST_SPLITS
    assert rules.for_strategy("no-such-thing").name == "store-friendly"


def test_without_based_on_every_weight_not_named_is_zero():
    rules = parse_routing_rules({"rule_sets": {"cost-only": {"version": "1", "weights": {"cost": 2}}}})
    assert rules.rule_sets["cost-only"].weights == Weights(cost=2.0)
    assert rules.rule_sets[CHEAPEST] == BUILT_IN[CHEAPEST]


def _x(**fields: Any) -> dict[str, Any]:
    return {"rule_sets": {"x": {"version": "1", **fields}}}


X = "routing.rule_sets.x"


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"defualt": "balanced"}, "routing.defualt"),
        ({"default": "nope"}, "routing.default"),
        ({"rule_sets": {"x": {"weights": {}}}}, f"{X}.version"),
        (_x(weights={"speed": -1}), f"{X}.weights.speed"),
        (_x(weights={"sped": 1}), f"{X}.weights.sped"),
        (_x(based_on="cheap"), f"{X}.based_on"),
        (_x(max_distance_km="far"), f"{X}.max_distance_km"),
        (_x(excluded_locations="WH"), f"{X}.excluded_locations"),
        (_x(ranks={"kinds": {"SHED": 1}}), f"{X}.ranks.kinds.SHED"),
        (_x(ranks={"locations": {"WH": -1}}), f"{X}.ranks.locations.WH"),
        ({"rule_sets": {"bad name": {"version": "1"}}}, "routing.rule_sets.bad name"),
        ({"rule_sets": ["x"]}, "routing.rule_sets"),
    ],
)
def test_a_bad_rule_set_is_refused_with_the_path_at_fault(data: dict[str, Any], path: str):
    with pytest.raises(RoutingConfigError) as error:
        parse_routing_rules(data)
    assert error.value.fields["path"] == path
    assert isinstance(error.value, NetworkConfigError)
