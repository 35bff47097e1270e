"""The exact search with its cuts finds the plan a brute force over every combination finds; the budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import routing_search
from core.routing_offers import Offer, Plan
from core.routing_rules import BUILT_IN, Weights
from core.routing_search import EXACT_MAX_NODES, best_plan

NOW = datetime(2026, 11, 17, 10, tzinfo=UTC)
LINES = 4
FULL = (1 << LINES) - 1


def offer(index: int, mask: int, cents: int, hours: int, km: int, capacity: int | None) -> Offer:
    when = NOW + timedelta(hours=hours)
    balance = {line: 0.5 for line in range(LINES) if mask >> line & 1}
    return Offer(
        location_id=f"N{index}",
        rank=index % 3,
        mask=mask,
        capacity=capacity,
        parcels=1,
        parcel_cents=cents,
        pick_cents=40,
        co2e_grams=150 + km // 5,
        km=km,
        earliest=when,
        latest=when,
        balance=balance,
    )


offers = st.lists(
    st.tuples(st.integers(1, FULL), st.integers(100, 900), st.integers(5, 80), st.integers(0, 800),
              st.none() | st.integers(1, 3)),
    min_size=1, max_size=7,
).map(lambda rows: [offer(i, *row) for i, row in enumerate(rows)])  # fmt: skip


def brute_force(candidates: list[Offer], weights: Weights) -> Plan | None:
    plans = [
        routing_search._place(combo, FULL, weights, NOW)
        for size in range(1, EXACT_MAX_NODES + 1)
        for combo in combinations(sorted(candidates, key=lambda o: o.location_id), size)
    ]
    found = [plan for plan in plans if plan is not None]
    return min(found, key=Plan.key) if found else None


@settings(deadline=None, max_examples=200)
@given(offers, st.sampled_from(sorted(BUILT_IN)))
def test_the_cut_exact_search_finds_what_brute_force_finds(candidates, strategy):
    weights = BUILT_IN[strategy].weights
    expected = brute_force(candidates, weights)
    plan, exact = best_plan(candidates, FULL, weights, NOW)
    if expected is not None:
        assert exact
        assert plan is not None
        assert plan.key() == expected.key()


def test_over_the_budget_the_search_is_greedy_and_still_covers_the_cart(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(routing_search, "EXACT_BUDGET", 2)
    candidates = [offer(i, 1 << i, 500, 24, 10, None) for i in range(LINES)]
    plan, exact = best_plan(candidates, FULL, BUILT_IN["balanced"].weights, NOW)
    assert not exact
    assert plan is not None
    assert plan.routed == LINES


def test_a_negative_weight_is_refused():
    with pytest.raises(ValueError, match="weight cost"):
        Weights(cost=-1)
