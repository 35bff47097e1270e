"""The `routing` section's dict form -> `RoutingRules`, refusing anything unclear with the path at fault.

Shape (YAML or JSON, every key optional):
    default: balanced                 # the rule set of orders that name no (known) strategy
    rule_sets:
      store-friendly:
        version: "3"                  # required: decisions name the version that routed them
        based_on: balanced            # start from a built-in's weights (else all weights are 0)
        weights: {cost: 1, speed: 2}  # replace those named; components in core.routing_rules
        max_distance_km: 800
        excluded_locations: [DS-OLD]
        ranks: {kinds: {STORE: 2}, locations: {WH-LYON: 0}}   # smaller preferred
        description: "..."
The built-in strategies are always there; a rule set with a built-in's name replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from core.errors import NetworkConfigError
from core.network import LocationKind
from core.routing_rules import BUILT_IN, COMPONENTS, RoutingRules, RuleSet, Weights

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TOP = frozenset({"default", "rule_sets"})
_RULE_SET = frozenset(
    {"version", "based_on", "weights", "max_distance_km", "excluded_locations", "ranks", "description"}
)
_RANKS = frozenset({"kinds", "locations"})


class RoutingConfigError(NetworkConfigError):
    """The routing rules are not valid; `fields["path"]` says where (a NetworkConfigError, since the
    rules ship in the network file and a reload must refuse them the same way)."""


def parse_routing_rules(data: object, path: str = "routing") -> RoutingRules:
    """Build the rules; raises RoutingConfigError(message, path=...) at the first thing wrong."""
    if data is None:
        return RoutingRules(rule_sets=BUILT_IN)
    item = _mapping(data, path, _TOP)
    sets = dict(BUILT_IN)
    raw_sets = _mapping(item.get("rule_sets", {}), f"{path}.rule_sets", None)
    for name, raw in raw_sets.items():
        where = f"{path}.rule_sets.{name}"
        sets[_identifier(name, where)] = _rule_set(str(name), raw, where)
    default = item.get("default", RoutingRules(rule_sets=BUILT_IN).default)
    if not isinstance(default, str) or default not in sets:
        raise RoutingConfigError(
            f"unknown rule set {default!r}; expected one of {', '.join(sorted(sets))}", path=f"{path}.default"
        )
    return RoutingRules(rule_sets=sets, default=default)


def _rule_set(name: str, raw: object, path: str) -> RuleSet:
    item = _mapping(raw, path, _RULE_SET)
    if "version" not in item:
        raise RoutingConfigError("missing required field 'version'", path=f"{path}.version")
    version = item["version"]
    if isinstance(version, bool) or not isinstance(version, str | int) or not str(version).strip():
        raise RoutingConfigError(f"expected a non-empty string, got {version!r}", path=f"{path}.version")
    base = item.get("based_on")
    if base is not None and base not in BUILT_IN:
        raise RoutingConfigError(
            f"unknown built-in {base!r}; expected one of {', '.join(sorted(BUILT_IN))}",
            path=f"{path}.based_on",
        )
    weights = BUILT_IN[base].weights if isinstance(base, str) else Weights()
    kinds, locations = _ranks(item.get("ranks", {}), f"{path}.ranks")
    description = item.get("description", "")
    if not isinstance(description, str):
        raise RoutingConfigError(f"expected a string, got {description!r}", path=f"{path}.description")
    return RuleSet(
        name=name,
        version=str(version),
        weights=_weights(item.get("weights", {}), weights, f"{path}.weights"),
        max_distance_km=_optional_km(item.get("max_distance_km"), f"{path}.max_distance_km"),
        excluded_locations=_ids(item.get("excluded_locations", []), f"{path}.excluded_locations"),
        kind_ranks=kinds,
        location_ranks=locations,
        description=description,
    )


def _weights(raw: object, base: Weights, path: str) -> Weights:
    item = _mapping(raw, path, frozenset(COMPONENTS))
    changes = {str(key): _number(value, f"{path}.{key}") for key, value in item.items()}
    return replace(base, **changes)


def _ranks(raw: object, path: str) -> tuple[dict[str, int], dict[str, int]]:
    item = _mapping(raw, path, _RANKS)
    kinds_raw = _mapping(item.get("kinds", {}), f"{path}.kinds", frozenset(k.value for k in LocationKind))
    locations_raw = _mapping(item.get("locations", {}), f"{path}.locations", None)
    kinds = {str(key): _rank(value, f"{path}.kinds.{key}") for key, value in kinds_raw.items()}
    locations = {
        _identifier(key, f"{path}.locations.{key}"): _rank(value, f"{path}.locations.{key}")
        for key, value in locations_raw.items()
    }
    return kinds, locations


def _mapping(value: object, path: str, allowed: frozenset[str] | None) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise RoutingConfigError(f"expected a mapping, got {value!r}", path=path)
    for key in value:
        if allowed is not None and key not in allowed:
            raise RoutingConfigError(
                f"unknown field {key!r}; expected one of {', '.join(sorted(allowed))}", path=f"{path}.{key}"
            )
    return value


def _identifier(value: object, path: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise RoutingConfigError(
            f"expected an id of 1-64 letters, digits, '.', '_' or '-', got {value!r}", path=path
        )
    return value


def _ids(value: object, path: str) -> frozenset[str]:
    if not isinstance(value, list):
        raise RoutingConfigError(f"expected a list of location ids, got {value!r}", path=path)
    return frozenset(_identifier(item, f"{path}[{index}]") for index, item in enumerate(value))


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
        raise RoutingConfigError(f"expected a finite number >= 0, got {value!r}", path=path)
    return float(value)


def _optional_km(value: object, path: str) -> float | None:
    return None if value is None else _number(value, path)


def _rank(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RoutingConfigError(f"expected a whole number >= 0, got {value!r}", path=path)
    return value
