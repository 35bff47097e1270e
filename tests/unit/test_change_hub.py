"""The change hub: one reader of the log for every stream of a process, bounded buffers, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import CollectorRegistry

from api.change_hub import STORE_UNAVAILABLE, TOO_SLOW, ChangeHub
from api.metrics import HttpMetrics
from core.errors import StoreUnavailable
from tests.unit.test_api_stream import FakeFeed

T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(scenario(), 5))


async def until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 (polling what the hub does, in a test)
        await asyncio.sleep(0.001)


def test_every_subscription_of_a_process_is_served_by_one_read_of_the_log() -> None:
    feed = FakeFeed()
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=10)

    async def scenario() -> tuple[list[list[str]], int]:
        subscriptions = [await hub.subscribe(frozenset({sku})) for sku in ("A", "B", "A")]
        reads_before = feed.reads
        feed.add("A", 1)
        feed.add("B", 2)
        await until(lambda: all(subscriptions))
        return [[c.id for c in s.take()] for s in subscriptions], feed.reads - reads_before

    received, reads = run(scenario)

    assert received == [["1-0"], ["2-0"], ["1-0"]]
    assert reads <= 2  # one read brought both changes to the three; not one read per subscription


def test_a_subscription_that_falls_its_buffer_behind_is_ended_and_others_go_on() -> None:
    feed, registry = FakeFeed(), CollectorRegistry()
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=3, metrics=HttpMetrics(registry))

    async def scenario() -> tuple[str | None, int, list[str]]:
        slow, quick = await hub.subscribe(frozenset({"A"})), await hub.subscribe(frozenset({"A"}))
        for atp in range(3):
            feed.add("A", atp)
        await until(lambda: len(slow) == len(quick) == 3)
        taken = [c.id for c in quick.take()]
        feed.add("A", 3)
        await until(lambda: slow.ended is not None and len(quick) == 1)
        return slow.ended, len(slow), taken + [c.id for c in quick.take()]

    ended, kept, quick = run(scenario)

    assert ended == TOO_SLOW
    assert kept == 0  # nothing held for it: it resumes from the log with its Last-Event-ID
    assert quick == ["1-0", "2-0", "3-0", "4-0"]
    assert len(hub) == 1  # sku A is still followed: by the quick one
    assert registry.get_sample_value("omnistock_sse_streams_ended_total", {"reason": "too_slow"}) == 1
    assert registry.get_sample_value("omnistock_sse_streams") == 1


def test_a_log_that_stops_answering_ends_every_subscription_and_the_next_one_restarts_the_hub() -> None:
    feed = FakeFeed()
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=10)

    async def scenario() -> tuple[list[str | None], list[str]]:
        first = [await hub.subscribe(frozenset({sku})) for sku in ("A", "B")]
        feed.failure = StoreUnavailable("redis unreachable")
        await until(lambda: all(s.ended is not None for s in first))
        feed.failure = None
        later = await hub.subscribe(frozenset({"A"}))
        feed.add("A", 1)
        await until(lambda: bool(later))
        return [s.ended for s in first], [c.id for c in later.take()]

    ended, later = run(scenario)

    assert ended == [STORE_UNAVAILABLE, STORE_UNAVAILABLE]
    assert later == ["1-0"]


def test_the_hub_stops_reading_once_its_last_subscription_leaves() -> None:
    feed = FakeFeed()
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=10)

    async def scenario() -> int:
        subscription = await hub.subscribe(frozenset({"A"}))
        await until(lambda: feed.reads >= 2)
        hub.unsubscribe(subscription)
        await asyncio.sleep(0.05)
        reads = feed.reads
        await asyncio.sleep(0.05)
        return feed.reads - reads

    assert run(scenario) == 0
    assert len(hub) == 0


def test_one_failed_read_of_the_log_ends_no_subscription() -> None:
    feed = FakeFeed()
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=10)

    async def scenario() -> tuple[str | None, list[str]]:
        subscription = await hub.subscribe(frozenset({"A"}))
        failing_read = feed.reads + 1
        feed.on_read = lambda: setattr(
            feed, "failure", StoreUnavailable("timeout") if feed.reads == failing_read else None
        )
        await until(lambda: feed.reads > failing_read)
        feed.add("A", 1)
        await until(lambda: bool(subscription) or subscription.ended is not None)
        return subscription.ended, [c.id for c in subscription.take()]

    assert run(scenario) == (None, ["1-0"])


def test_on_a_log_of_two_streams_each_is_tailed_and_the_position_moves_per_stream() -> None:
    feed = FakeFeed(streams=2, route={"A": 0, "B": 1})
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=10)

    async def scenario() -> tuple[list[tuple[str, int]], list[str]]:
        both = await hub.subscribe(frozenset({"A", "B"}))
        feed.add("A", 1)
        feed.add("B", 2)
        feed.add("B", 3)
        await until(lambda: len(both) == 3)
        return [(c.sku, c.stream) for c in both.take()], list(hub.position)

    received, position = run(scenario)

    assert sorted(received) == [("A", 0), ("B", 1), ("B", 1)]
    assert position == ["1-0", "2-0"]


def test_one_stream_of_the_log_that_stops_answering_ends_every_subscription() -> None:
    feed = FakeFeed(streams=2, route={"A": 0, "B": 1})
    hub = ChangeHub(feed, block_ms=5, read_count=100, buffer_max=10)
    real_read = feed.read

    async def stream_one_down(stream: int, *args: object) -> object:
        if stream == 1:
            raise StoreUnavailable("redis unreachable")
        return await real_read(stream, *args)  # type: ignore[arg-type]

    async def scenario() -> list[str | None]:
        feed.read = stream_one_down  # type: ignore[method-assign, assignment]
        subscriptions = [await hub.subscribe(frozenset({sku})) for sku in ("A", "B")]
        await until(lambda: all(s.ended is not None for s in subscriptions))
        return [s.ended for s in subscriptions]

    assert run(scenario) == [STORE_UNAVAILABLE, STORE_UNAVAILABLE]
