"""The store marker on a cluster: a key in every hash slot, and one slot checked per range a master owns."""

from __future__ import annotations

from dataclasses import dataclass

from redis.crc import key_slot

from state.shard_markers import SLOTS, checked_slots, slot_marker_key, slot_tags


@dataclass(frozen=True)
class Node:
    name: str


def test_every_slot_has_a_marker_key_that_lands_in_that_slot() -> None:
    keys = [slot_marker_key("os:", slot) for slot in range(SLOTS)]
    assert [key_slot(key.encode()) for key in keys] == list(range(SLOTS))


def test_a_fresh_cluster_of_three_masters_is_checked_at_the_first_slot_of_each_range() -> None:
    a, b, c = Node("a:1"), Node("b:2"), Node("c:3")
    owners = {slot: [a if slot <= 5460 else b if slot <= 10922 else c] for slot in range(SLOTS)}
    assert checked_slots(owners) == [0, 5461, 10923]


def test_a_master_given_slots_from_two_others_is_checked_in_each_of_its_ranges() -> None:
    a, b, c, new = Node("a:1"), Node("b:2"), Node("c:3"), Node("new:4")
    owners = {slot: [a if slot <= 5460 else b if slot <= 10922 else c] for slot in range(SLOTS)}
    owners |= {slot: [new] for slot in (*range(0, 100), *range(5461, 5561))}  # a reshard onto a 4th
    assert checked_slots(owners) == [0, 100, 5461, 5561, 10923]


def test_slots_no_master_serves_are_not_checked() -> None:
    a = Node("a:1")
    assert checked_slots({slot: [a] for slot in range(10, 20)}) == [10]


def test_the_tags_are_computed_once_per_process() -> None:
    assert slot_tags() is slot_tags()
