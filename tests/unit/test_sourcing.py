"""Sourcing as a set cover: fewest parcels, then cost, exact while small, greedy beyond, speed first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.sourcing import EXACT_MAX_NODES, Quote, choose_plan

T0 = datetime(2026, 11, 18, 7, tzinfo=UTC)


def quote(location_id: str, mask: int, cents: int = 500, days: int = 0) -> Quote:
    when = T0 + timedelta(days=days)
    return Quote(location_id, mask, cents, 50, when, when + timedelta(days=1), 100)


def test_no_plan_when_the_nodes_together_miss_a_line():
    assert choose_plan([quote("A", 0b01)], 2) is None


def test_the_cheapest_of_the_fewest_parcels_wins():
    plan = choose_plan([quote("A", 0b11, 900), quote("B", 0b11, 600), quote("C", 0b01, 1)], 2)
    assert plan is not None
    assert plan.ids() == ("B",)


def test_each_line_goes_to_the_node_of_the_plan_that_picks_it_cheapest():
    cheap_pick = Quote("B", 0b11, 500, 10, T0, T0, 100)
    plan = choose_plan([quote("A", 0b01), cheap_pick, quote("C", 0b10, 1)], 2)
    assert plan is not None
    assert plan.ids() == ("B",)
    assert plan.lines == ((0, 1),)


def test_beyond_the_exact_bound_a_greedy_cover_still_serves_every_line():
    lines = EXACT_MAX_NODES + 1
    quotes = [quote(f"N{i}", 1 << i) for i in range(lines)]
    plan = choose_plan(quotes, lines)
    assert plan is not None
    assert len(plan.quotes) == lines
    assert sorted(line for shipped in plan.lines for line in shipped) == list(range(lines))


def test_speed_first_takes_the_earliest_date_even_with_more_parcels():
    slow_all = quote("SLOW", 0b11, days=3)
    fast = [quote("F1", 0b01), quote("F2", 0b10)]
    assert choose_plan([slow_all, *fast], 2).ids() == ("SLOW",)  # type: ignore[union-attr]
    plan = choose_plan([slow_all, *fast], 2, speed_first=True)
    assert plan is not None
    assert plan.ids() == ("F1", "F2")
    assert plan.earliest == T0
