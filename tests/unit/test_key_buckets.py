"""The buckets of a table-wide index spread over a Cluster's masters as evenly as its slot ranges allow."""

from __future__ import annotations

from collections import Counter

from redis.crc import key_slot

from state.key_buckets import BUCKETS, bucket_of, tag_of, tags


def masters_of(family: str, masters: int) -> Counter[int]:
    """Buckets per master, for a cluster that splits the 16,384 slots in `masters` equal ranges."""
    return Counter(key_slot(tag.encode()) * masters // 16384 for tag in tags(family))


def test_three_masters_with_equal_slot_ranges_hold_five_or_six_buckets_each() -> None:
    for family in ("ordsla", "cap"):
        assert sorted(masters_of(family, 3).values()) == [5, 5, 6]


def test_four_and_eight_masters_hold_the_same_number_of_buckets_each() -> None:
    assert set(masters_of("ordsla", 4).values()) == {4}
    assert set(masters_of("cap", 8).values()) == {2}


def test_many_ids_use_every_bucket_each_tag_its_own() -> None:
    assert {bucket_of(f"O-{n}") for n in range(1000)} == set(range(BUCKETS))
    assert len({tag_of("ordsla", f"O-{n}") for n in range(1000)}) == BUCKETS
