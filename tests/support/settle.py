"""Settle and compare: wait until the group has applied everything (positions equal to the oracle and
every partition's committed offset at its end, or a deadline), then report what differs."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import orjson
from confluent_kafka import Consumer, KafkaException, TopicPartition

from tests.support.oracle import Key, Position, differences, units_below_and_above
from tests.support.send import Ends


@dataclass
class Settled:
    seconds: float
    diff: dict[Key, tuple[Position, Position]]
    stalled: dict[tuple[str, int], tuple[int, int]]  # (topic, partition) -> (committed, end)

    def summary(self) -> str:
        below, above = units_below_and_above(self.diff)
        return (
            f"settled in {self.seconds:.1f} s; positions off: {len(self.diff)} "
            f"(units below the oracle {below}, above {above}); stalled partitions: {len(self.stalled)}"
        )


def read_positions(api: str, skus: Sequence[str]) -> dict[Key, Position]:
    """(on_hand, in_transit) of every location of `skus`, through POST /v1/availability."""
    request = urllib.request.Request(  # noqa: S310 - a loopback URL the stack built
        api + "/v1/availability",
        data=orjson.dumps({"skus": list(skus)}),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        body = orjson.loads(answer.read())
    return {
        (item["sku"], loc["location_id"]): (loc["on_hand"], loc["in_transit"])
        for item in body["items"]
        for loc in item["locations"]
    }


def committed(bootstrap: str, group_id: str, ends: Ends) -> dict[tuple[str, int], int]:
    """The group's committed offset of every partition in `ends` (-1 when none), read without joining."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group_id, "enable.auto.commit": False})
    try:
        parts = consumer.committed([TopicPartition(t, p) for t, p in ends], timeout=10)
    finally:
        consumer.close()
    return {(tp.topic, tp.partition): max(tp.offset, -1) for tp in parts}


def settle(
    api: str,
    bootstrap: str,
    group_id: str,
    expected: Mapping[Key, Position],
    ends: Ends,
    timeout_s: float,
    also_read: Sequence[str] = (),
) -> Settled:
    """Poll until the positions equal `expected` and no partition lags, or `timeout_s` passed. The skus
    of `also_read` are read too: none of their positions is expected, so any they have is a difference."""
    skus = sorted({sku for sku, _ in expected} | set(also_read))
    return settle_with(
        lambda: read_positions(api, skus),
        lambda: committed(bootstrap, group_id, ends),
        expected,
        ends,
        timeout_s,
        (OSError, urllib.error.URLError, KafkaException),  # the API or the store is down for a moment
    )


def settle_with(
    positions: Callable[[], Mapping[Key, Position]],
    offsets_of_group: Callable[[], Mapping[tuple[str, int], int]],
    expected: Mapping[Key, Position],
    ends: Ends,
    timeout_s: float,
    transient: tuple[type[Exception], ...],
) -> Settled:
    """Poll `positions` and the group's committed offsets until the positions equal `expected` and no
    partition lags, or `timeout_s` passed; a `transient` error is a read to try again."""
    started = time.monotonic()
    diff = {key: (position, (0, 0)) for key, position in expected.items()}  # until a read succeeds
    stalled: dict[tuple[str, int], tuple[int, int]] = {}
    while time.monotonic() - started < timeout_s:
        try:
            diff = differences(expected, positions())
            offsets = offsets_of_group()
        except transient:
            time.sleep(0.5)
            continue
        stalled = {place: (offsets[place], end) for place, end in ends.items() if offsets[place] < end}
        if not diff and not stalled:
            break
        time.sleep(0.5)
    return Settled(time.monotonic() - started, diff, stalled)
