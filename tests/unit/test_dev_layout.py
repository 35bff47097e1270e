"""The dev screen fits 100 columns: a wrapped line breaks the columns a reader follows."""

from __future__ import annotations

from omnistock.dev import screen
from omnistock.dev.layout import WIDTH, cut, fit, pack
from omnistock.dev.screen import Scrape, Screen


def test_parts_are_packed_in_order_into_lines_no_wider_than_the_screen() -> None:
    parts = [f"part-{n}" + "x" * (n * 3) for n in range(12)]

    lines = pack(parts, width=60)

    assert all(len(line) <= 60 for line in lines)
    assert len(lines) > 1
    assert [part for line in lines for part in line.strip().split(" | ")] == parts


def test_a_part_wider_than_the_screen_is_cut_with_an_ellipsis() -> None:
    assert cut("y" * 150) == "y" * (WIDTH - 1) + "…"
    assert cut("short") == "short"


def test_blocks_start_unindented_and_continue_indented() -> None:
    text = fit(["a | b", "c"], width=5)

    assert text.splitlines() == ["a | b", "    c"]


def test_the_screen_with_large_figures_and_long_answers_fits_100_columns(monkeypatch) -> None:
    big = Scrape(
        totals={
            "omnistock_events_consumed_total": 9_876_543_210.0,
            "omnistock_events_applied_total": 9_876_543_210.0,
            "omnistock_events_duplicate_total": 123_456_789.0,
            "omnistock_events_dlq_total": 98_765.0,
        },
        statuses={"ROUTED": 9e6, "PARTIALLY_ROUTED": 8e5, "BACKORDERED": 7e4, "UNFULFILLABLE": 6e3},
        reroutes={"NOT_FOUND": 1e5, "SLA_EXPIRED": 2e5, "SHORTAGE": 3e5, "CARRIER_DOWN": 4e5},
        routing_s=(1e4, 1e6),
    )
    monkeypatch.setattr(screen, "scrape", lambda url: big)
    monkeypatch.setattr(
        screen, "availability", lambda api, sku: f"{sku} atp 123456 on_hand 1234567 in_transit 98765"
    )
    option = "HOME_STANDARD 12-07 10:00 4.90EUR 1234g 3p"
    monkeypatch.setattr(
        screen, "promise", lambda api, skus, pc: f"promise 3 lines to {pc}: " + " | ".join([option] * 4)
    )
    monkeypatch.setattr(
        screen, "order_summary", lambda api, order: f"{order} PARTIALLY_ROUTED " + "WH-1 PICKED, " * 12
    )
    shown = Screen(
        "http://m", "http://a", ["SKU-000001", "SKU-000002", "SKU-000003"], lambda: "ORD-1", lambda: 612.0
    )

    text = shown.line(produced=12_345_678_901)

    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    assert "broker 612 MB" in text
    assert "lag" in lines[0]
    assert all(line.startswith("    ") for line in lines[1:])
