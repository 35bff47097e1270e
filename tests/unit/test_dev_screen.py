"""The dev screen's order line and the dev network whose acceptance deadlines follow the simulated clock."""

from __future__ import annotations

from pathlib import Path

from omnistock.dev.screen import Scrape, order_figures
from omnistock.dev.stack import dev_network_file
from omnistock.network_file import default_network_path, load_network


def test_the_order_line_gives_the_routing_rate_the_outcome_shares_and_every_reroute_reason() -> None:
    before = Scrape(statuses={"ROUTED": 10.0}, routing_s=(0.1, 10.0))
    now = Scrape(
        statuses={"ROUTED": 90.0, "PARTIALLY_ROUTED": 5.0, "UNFULFILLABLE": 5.0, "SHIPPED": 40.0},
        reroutes={"SLA_EXPIRED": 3.0, "CAPACITY": 2.0},
        routing_s=(0.5, 30.0),
    )
    line = order_figures(now, before, span_s=2.0)
    assert line.startswith("orders  45.0/s routed: ROUTED  90% PARTIALLY   5% UNFULFILLABLE   5%")
    assert "BACKORDERED" not in line  # shown only when some are
    assert "re-routed lines NOT_FOUND 0 SLA_EXPIRED 3 SHORTAGE 0 CAPACITY 2" in line
    assert line.endswith("routing 20.0 ms/batch")


def test_the_dev_network_scales_acceptance_deadlines_to_the_simulated_hour(tmp_path: Path) -> None:
    original = load_network(default_network_path())
    path = dev_network_file(default_network_path(), 60.0, 60.0, tmp_path / "network.json")
    scaled = load_network(path)
    assert scaled.locations.keys() == original.locations.keys()
    for location_id, location in original.locations.items():
        expected = (location.accept_sla_minutes or 60.0) / 60
        assert scaled.locations[location_id].accept_sla_minutes == expected
        assert scaled.locations[location_id].closed_dates == location.closed_dates
