"""Routing decisions on the packaged network stay exactly what they were (a speed-up must not change one).

ORDERS seeded random orders (every method, every built-in strategy and a custom rule set with a distance
limit, an excluded node and ranks; random ATP, capacities, order exclusions; a few long orders so the
exact search runs out of budget) are routed in batches at one `now` sharing a Timetable, each taking
its stock and capacity, as the worker does. Each decision_dict is compared with the one recorded in
data/routing_golden.json: readable fields (id, shipments, unrouted lines, every candidate's filter and
rounded score) and a digest of the whole dict (reasons, components, ranks). Regenerate ONLY when a
decision is meant to change: python -m tests.unit.test_routing_golden --write
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.allocation import OrderLine
from core.network import Capability, LocationKind
from core.promise_nodes import PromiseNetwork, Timetable, prepare
from core.routing import route
from core.routing_rules import BUILT_IN, RuleSet, Weights
from core.routing_types import Delivery, DeliveryMethod, Filter, decision_dict
from omnistock.network_file import default_network_path, load_network
from omnistock.postcodes import load_postcodes

GOLDEN = Path(__file__).parent / "data" / "routing_golden.json"
# The destinations the golden orders are drawn from: the packaged table's rows when it was recorded
# (metropolitan France), so that rows added to the table since do not change the orders.
# fmt: off
GOLDEN_PREFIXES = frozenset((
    "01", "06", "13", "14", "17", "20", "21", "25", "29", "31", "33", "34", "35", "37", "38", "42",
    "44", "45", "49", "51", "54", "57", "59", "63", "64", "66", "67", "68", "69", "74", "75", "76",
    "77", "78", "80", "83", "84", "86", "87", "91", "92", "93", "94", "95",
))
# fmt: on
ORDERS, BATCH, SEED, SKUS = 300, 30, 20261201, 40
START = datetime(2026, 11, 16, tzinfo=UTC)
CODES = {None: ".", **{f: f.value[0] for f in Filter if f is not Filter.CAPACITY}, Filter.CAPACITY: "k"}
CUSTOM = RuleSet(
    "golden-custom", "1", Weights(cost=1.0, speed=1.0, distance=1.0, balance=3.0, priority=1.0),
    max_distance_km=450.0, excluded_locations=frozenset({"WH-PARIS-BUSSY"}),
    kind_ranks={"STORE": 2, "SUPPLIER": 3}, location_ranks={"ST-NICE": 0},
)  # fmt: skip
RULE_SETS = (*BUILT_IN.values(), CUSTOM)


@dataclass(frozen=True)
class Case:
    lines: tuple[OrderLine, ...]
    delivery: Delivery
    rule_set: RuleSet
    excluded: dict[str, frozenset[str]]


def _prepared() -> PromiseNetwork:
    network = load_network(default_network_path())
    assert network.services is not None
    return prepare(network, network.services)


def _case(prepared: PromiseNetwork, places: list[Any], rng: random.Random) -> Case:
    locations = sorted(prepared.network.locations.values(), key=lambda loc: loc.location_id)
    stores = [loc.location_id for loc in locations if Capability.PICKUP in loc.capabilities]
    holders = [loc.location_id for loc in locations if loc.kind is not LocationKind.RELAY_POINT]
    size = rng.randint(6, 9) if rng.random() < 0.1 else rng.randint(1, 5)
    lines = tuple(
        OrderLine(f"l{i + 1}", f"G-{rng.randrange(SKUS):03d}", rng.randint(1, 3)) for i in range(size)
    )
    method = rng.choice(list(DeliveryMethod))
    pickup = None
    if method is DeliveryMethod.CLICK_COLLECT:
        pickup = rng.choice(stores + ["WH-PARIS-BUSSY"])  # a warehouse has no PICKUP: unroutable
    elif method is DeliveryMethod.RELAY and rng.random() < 0.5:
        pickup = rng.choice([loc.location_id for loc in prepared.relay_points])
    excluded = {line.line_id: frozenset[str]() for line in lines}
    for line in rng.sample(lines, k=min(len(lines), rng.choice((0, 0, 1, 2)))):
        excluded[line.line_id] = frozenset(rng.sample(holders, k=rng.randint(1, 3)))
    delivery = Delivery(method, rng.choice(places), pickup)
    return Case(lines, delivery, rng.choice(RULE_SETS), excluded)


def _atp(prepared: PromiseNetwork, rng: random.Random) -> dict[tuple[str, str], int]:
    holders = sorted(
        loc.location_id
        for loc in prepared.network.locations.values()
        if loc.kind is not LocationKind.RELAY_POINT
    )
    atp: dict[tuple[str, str], int] = {}
    for number in range(SKUS):
        share = rng.choice((0.1, 0.3, 0.5, 0.95))  # the last: nearly everywhere, the search's worst case
        for location_id in holders:
            if rng.random() < share:
                atp[(f"G-{number:03d}", location_id)] = rng.randint(0, 9)
    return atp


def decisions() -> Iterator[dict[str, object]]:
    """Every golden order's decision_dict, in order."""
    rng = random.Random(SEED)
    prepared = _prepared()
    places = [place for prefix, place in sorted(load_postcodes().items()) if prefix in GOLDEN_PREFIXES]
    atp = _atp(prepared, rng)
    for batch in range(ORDERS // BATCH):
        now = START + timedelta(minutes=rng.randrange(14 * 24 * 60))
        timetable = Timetable(prepared, now) if batch else None
        capacity: dict[str, int | None] = {}
        for loc in sorted(prepared.network.locations):
            capacity[loc] = rng.choice((None, 0, 1, 3, 50, 50, 50, 50))
        for _ in range(BATCH):
            case = _case(prepared, places, rng)
            decision = route(
                prepared, case.lines, case.delivery, now, atp, case.rule_set, capacity, case.excluded,
                timetable=timetable,
            )  # fmt: skip
            for shipment in decision.shipments:
                for line in shipment.lines:
                    atp[(line.sku, shipment.location_id)] -= line.quantity
                left = capacity.get(shipment.location_id)
                if left is not None:
                    capacity[shipment.location_id] = left - len(shipment.lines)
            yield decision_dict(decision, case.rule_set.name)


def summary(decision: dict[str, Any]) -> dict[str, object]:
    """What the golden file keeps of a decision: small, readable, and a digest of all the rest."""
    whole = json.dumps(decision, sort_keys=True).encode()
    ineligible = [
        {"location_id": node, "excluded_by": Filter.CAPABILITY.value, "score": None}
        for group in decision["ineligible"]
        for node in group["location_ids"]
    ]  # listed apart from the candidates: put back in place, every node gets its filter code
    candidates = sorted(decision["candidates"] + ineligible, key=lambda c: str(c["location_id"]))
    return {
        "id": decision["decision_id"],
        "search": decision["search"],
        "score": decision["score"],
        "shipments": [
            [
                s["location_id"],
                " ".join(line["line_id"] for line in s["lines"]),
                s["carrier_service"],
                s["promised_earliest"],
                s["promised_latest"],
                s["cost_cents"],
                s["co2e_grams"],
                s["km"],
            ]
            for s in decision["shipments"]
        ],  # fmt: skip
        "unrouted": [[u["line_id"], u["reason"][:40]] for u in decision["unrouted"]],
        "filters": "".join(
            CODES[None if c["excluded_by"] is None else Filter(c["excluded_by"])] for c in candidates
        ),
        "scores": {c["location_id"]: c["score"] for c in candidates if c["score"] is not None},
        "digest": hashlib.sha256(whole).hexdigest()[:24],
    }


def test_routing_decisions_are_the_recorded_ones() -> None:
    expected = json.loads(GOLDEN.read_text())
    actual = [summary(decision) for decision in decisions()]
    assert len(actual) == len(expected) == ORDERS
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert got == want, f"order {index} decided differently"


def test_golden_orders_cover_every_filter_greedy_and_unrouted_lines() -> None:
    expected = json.loads(GOLDEN.read_text())
    filters = "".join(str(item["filters"]) for item in expected)
    assert set(CODES.values()) <= set(filters)
    assert any(item["search"] == "greedy" for item in expected)
    assert any(item["unrouted"] for item in expected)
    assert sum(len(item["shipments"]) > 1 for item in expected) > 10


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.unit.test_routing_golden --write")
    GOLDEN.parent.mkdir(exist_ok=True)
    records = [summary(decision) for decision in decisions()]
    GOLDEN.write_text("[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in records) + "\n]\n")
    print(f"wrote {len(records)} decisions to {GOLDEN}")
