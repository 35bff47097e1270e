"""What a channel can promise at a location: its own online ATP, never more than the network's ATP."""

from __future__ import annotations

from core.promise_atp import promisable


def test_an_online_location_promises_no_more_than_the_network_atp_left_by_network_holds() -> None:
    assert promisable(online_atp=5, kept=0, network_atp=2, serves_online=True) == 2
    assert promisable(online_atp=5, kept=0, network_atp=0, serves_online=True) == 0


def test_without_a_binding_network_hold_a_location_promises_its_own_online_atp() -> None:
    assert promisable(online_atp=5, kept=0, network_atp=9, serves_online=True) == 5


def test_a_location_that_does_not_serve_online_is_not_capped_by_the_network() -> None:
    assert promisable(online_atp=5, kept=0, network_atp=0, serves_online=False) == 5


def test_a_walk_in_channel_also_takes_the_units_kept_for_it() -> None:
    assert promisable(online_atp=5, kept=3, network_atp=2, serves_online=True, walk_in=True) == 2 + 3
    assert promisable(online_atp=5, kept=3, network_atp=2, serves_online=True) == 2
