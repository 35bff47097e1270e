"""The change log's streams: keys spread over the slots, a sku's stream, and the SSE id naming a position."""

from __future__ import annotations

from collections import Counter

import pytest
from redis.crc import key_slot

from api.stream_cursor import SentPosition, parse, token
from state.change_shards import SLOTS, ChangeShards, changes_key
from tests.support.redis_cluster import SLOT_RANGES


def master_of(slot: int) -> int:
    return next(n for n, (first, last) in enumerate(SLOT_RANGES) if first <= slot <= last)


def test_one_stream_is_the_one_key_of_before() -> None:
    assert ChangeShards.of("os:").keys == (changes_key("os:"),) == ("os:changes",)
    assert ChangeShards.of("os:").stream_of("ANY-SKU") == 0


def test_each_stream_key_lies_in_its_share_of_the_slots() -> None:
    shards = ChangeShards.of("os:", 16)

    slots = [key_slot(key.encode()) for key in shards.keys]

    assert all(n * SLOTS // 16 <= slot < (n + 1) * SLOTS // 16 for n, slot in enumerate(slots))
    assert all(key.startswith("os:changes:{") for key in shards.keys)


def test_sixteen_streams_spread_evenly_over_three_masters() -> None:
    shards = ChangeShards.of("os:", 16)

    per_master = Counter(master_of(key_slot(key.encode())) for key in shards.keys)

    assert sorted(per_master.values()) == [5, 5, 6]


def test_a_sku_always_goes_to_one_stream_and_skus_use_them_all() -> None:
    shards = ChangeShards.of("os:", 16)
    skus = [f"SKU-{n}" for n in range(2000)]

    streams = [shards.stream_of(sku) for sku in skus]

    assert streams == [shards.stream_of(sku) for sku in skus]
    assert set(streams) == set(range(16))
    assert max(Counter(streams).values()) < 2 * min(Counter(streams).values())


def test_no_stream_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one stream"):
        ChangeShards.of("os:", 0)


def test_on_one_stream_the_sse_id_is_the_stream_id_as_before() -> None:
    assert token({0: "1733470000000-3"}, 1) == "1733470000000-3"
    assert parse("1733470000000-3") == SentPosition(1, {0: "1733470000000-3"})


def test_on_n_streams_the_sse_id_names_n_and_a_position_per_followed_stream() -> None:
    text = token({11: "1733470000125-4", 3: "1733470000000-0"}, 16)

    assert text == "16/3:1733470000000-0,11:1733470000125-4"
    assert parse(text) == SentPosition(16, {3: "1733470000000-0", 11: "1733470000125-4"})


@pytest.mark.parametrize(
    "text",
    ["yesterday", "16/", "16/3:1-0,3:2-0", "16/16:1-0", "1/0:1-0", "16/3:1", "x/3:1-0", "16/3:1-0;4:1-0"],
)
def test_an_id_this_api_never_sends_is_not_a_position(text: str) -> None:
    assert parse(text) is None
