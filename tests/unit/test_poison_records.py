"""Poison records at the unit level: isolation of a failing record, error replies, dead-letter bounds,
and the time bounds that make the dedupe promise hold."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

import orjson
import pytest
import redis
from prometheus_client import CollectorRegistry

from core.errors import InvalidEvent, StoreUnavailable
from core.movements import Command, MovementResult
from core.network import Network
from state import redis_calls
from state.memory import InMemoryStockStore
from streams.dlq import REASON_HEADER, dead_letter
from streams.event_limits import EventLimits
from streams.metrics import WorkerMetrics
from streams.stock_pipeline import StockPipeline
from tests.support.records import FakeRecord
from tests.unit.test_stock_pipeline import NETWORK, NOW_MS, event
from topics.mappers import decode_stock_event
from topics.outputs import availability_change_encoder, cart_hold_encoder

LIMITS = EventLimits()


class Flaky(InMemoryStockStore):
    """Fails any batch holding event "bad" with an error no reply names (as a bug would)."""

    def __init__(self) -> None:
        super().__init__(lambda: NETWORK)
        self.batches = 0

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        self.batches += 1
        if any(m.event_id == "bad" for m in movements):
            raise RuntimeError("boom")
        return super().apply(movements, now_ms)


def pipeline(store: InMemoryStockStore, limits: EventLimits = LIMITS) -> StockPipeline:
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    return StockPipeline(store, decode_stock_event, changes, holds, metrics, lambda: NOW_MS, limits=limits)


def reasons(outputs: list) -> list[tuple[bytes, bytes]]:
    found = [dict(out.headers) for out in outputs if out.topic.endswith(".dlq")]
    return [(h["omnistock.source.offset"], h[REASON_HEADER]) for h in found]


def test_a_batch_failing_without_a_culprit_is_split_until_the_failing_record_is_alone() -> None:
    store = Flaky()
    records = [FakeRecord("stock.receipts.v1", event(f"r-{i}", 1), i) for i in range(7)]
    records.insert(5, FakeRecord("stock.receipts.v1", event("bad", 100), 99))

    outcome = pipeline(store).run("stock.receipts.v1", records)

    assert reasons(outcome.outputs) == [(b"99", b"unprocessable")]
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].on_hand == 7
    assert store.batches <= 1 + 2 * 3  # the whole batch, then two halves per level of 8 records


def test_the_happy_path_is_one_store_call_per_batch() -> None:
    store = Flaky()
    pipeline(store).run("stock.receipts.v1", [FakeRecord("x", event(f"r-{i}", 1), i) for i in range(50)])
    assert store.batches == 1


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'"),
        redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"),
        redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
        redis.ResponseError("BUSY Redis is busy running a script"),
    ],
)
def test_an_error_reply_meaning_not_now_is_store_unavailable(error: Exception) -> None:
    with pytest.raises(StoreUnavailable):
        redis_calls.failed(error, "A", "e-1")


@pytest.mark.parametrize(
    "error",
    [
        redis.ResponseError("INVALID quantity: 1.1529215046068e+18"),
        redis.ResponseError("ERR user_script:12: attempt to compare nil with number script: 1f0e"),
    ],
)
def test_an_error_reply_refusing_the_calls_input_is_a_refusal_of_that_event(error: Exception) -> None:
    with pytest.raises(InvalidEvent) as refused:
        redis_calls.failed(error, "A", "e-1")
    assert refused.value.code == "store_refused"


def test_a_dead_letter_above_the_bound_is_truncated_with_its_size_and_hash() -> None:
    value = b"{" + b"x" * 1_000_000
    dead = dead_letter("pos.sales.v1", FakeRecord("pos.sales.v1", value, 3), "invalid_event", "bad", 1000)
    headers = dict(dead.headers)
    assert dead.value == value[:1000]
    assert headers["omnistock.truncated.value"] == b"true"
    assert headers["omnistock.original.value.size"] == b"1000001"
    assert headers["omnistock.original.value.sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert headers["omnistock.error"] == b"invalid_event: bad"


def test_a_dead_letter_within_the_bound_keeps_its_bytes_and_says_nothing_of_truncation() -> None:
    dead = dead_letter("pos.sales.v1", FakeRecord("pos.sales.v1", b"{bad", 3), "invalid_event", "", 1000)
    assert dead.value == b"{bad"
    assert not any(name.startswith("omnistock.truncated") for name, _ in dead.headers)


def test_an_event_is_accepted_up_to_the_skew_ahead_and_refused_one_millisecond_beyond() -> None:
    store = InMemoryStockStore(lambda: NETWORK)
    limits = EventLimits(max_clock_skew_s=300)
    at_edge = FakeRecord("x", event("edge", 1, occurred_at=NOW_MS + 300_000), 1)
    beyond = FakeRecord("x", event("beyond", 1, occurred_at=NOW_MS + 300_001), 2)
    outcome = pipeline(store, limits).run("stock.receipts.v1", [at_edge, beyond])
    assert reasons(outcome.outputs) == [(b"2", b"from_the_future")]
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].on_hand == 1


def test_a_count_from_the_future_does_not_swallow_the_real_sales_after_it() -> None:
    store = InMemoryStockStore(lambda: NETWORK)
    line = [{"sku": "SKU-A", "on_hand": 50}]
    count = {"event_id": "c-1", "occurred_at": NOW_MS + 6 * 3_600_000, "location_id": "ST-1", "lines": line}
    run = pipeline(store).run
    outcome = run("stock.counts.v1", [FakeRecord("stock.counts.v1", orjson.dumps(count), 1)])
    run("pos.sales.v1", [FakeRecord("pos.sales.v1", event("s-1", 3), 2)])
    assert reasons(outcome.outputs) == [(b"1", b"from_the_future")]
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].on_hand == -3  # the sale counted


@pytest.mark.parametrize("skew_s", [0, 2, 5])
def test_an_event_sent_again_at_any_later_time_is_never_applied_twice(skew_s: int) -> None:
    window_s = 10
    limits = EventLimits(max_clock_skew_s=max(skew_s, 1), dedupe_window_s=window_s)
    for first_s in range(0, 4):
        for age_ms in range(-skew_s * 1000, window_s * 1000, 700):
            store = InMemoryStockStore(lambda: NETWORK, dedupe_window_s=window_s)
            occurred = NOW_MS - age_ms
            value = event(f"e-{first_s}-{age_ms}", 1, occurred_at=occurred)
            for later_ms in range(0, 3 * window_s * 1000, 450):
                clock = NOW_MS + first_s * 1000 + later_ms
                metrics = WorkerMetrics.create(CollectorRegistry())
                changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
                StockPipeline(
                    store, decode_stock_event, changes, holds, metrics, lambda c=clock: c, limits=limits
                ).run("stock.receipts.v1", [FakeRecord("x", value)])
            found = store.read_sync(["SKU-A"]).get("SKU-A")
            assert found is None or found.locations[0].on_hand == 1, (first_s, age_ms)


def test_a_fulfillment_update_from_the_future_goes_to_the_dlq_and_changes_nothing() -> None:
    from tests.unit.test_order_flow import Harness
    from topics.catalog import FULFILLMENT_UPDATES

    shop = Harness(WH=3)
    (request,) = shop.place()["fulfillment.requests.v1"]
    shipped = {
        "event_id": "shipped-early",
        "order_id": request["order_id"],
        "shipment_id": request["shipment_id"],
        "location_id": request["location_id"],
        "status": "SHIPPED",
        "occurred_at": shop.now_ms + 6 * 3_600_000,  # the node's clock, six hours ahead
    }
    out = shop.send(FULFILLMENT_UPDATES, shipped)
    assert list(out) == [FULFILLMENT_UPDATES + ".dlq"]
    assert shop.at("WH") == (3, 1)  # still allocated, not shipped


def test_a_too_old_event_replayed_with_the_replay_header_is_applied() -> None:
    store = InMemoryStockStore(lambda: NETWORK)
    old = event("late-till", 4, occurred_at=NOW_MS - 5 * 3_600_000)  # a till offline for five hours
    run = pipeline(store).run
    refused = run("stock.receipts.v1", [FakeRecord("stock.receipts.v1", old, 1)])
    replay = [("omnistock.replay", b"ops")]
    replayed = run("stock.receipts.v1", [FakeRecord("stock.receipts.v1", old, 2, replay)])
    assert reasons(refused.outputs) == [(b"1", b"too_old_to_dedupe")]
    assert reasons(replayed.outputs) == []
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].on_hand == 4


def test_a_decoder_failing_unexpectedly_on_one_record_dead_letters_it_alone() -> None:
    def decode(topic: str, value: bytes) -> list[Command]:
        if b"bug" in value:
            raise KeyError("a decoder bug")
        return list(decode_stock_event(topic, value))

    store = InMemoryStockStore(lambda: NETWORK)
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    pipeline = StockPipeline(store, decode, changes, holds, metrics, lambda: NOW_MS)
    records = [
        FakeRecord("x", event("r-1", 2), 1),
        FakeRecord("x", b'{"bug": 1}', 2),
        FakeRecord("x", event("r-2", 3), 3),
    ]
    outcome = pipeline.run("stock.receipts.v1", records)
    assert reasons(outcome.outputs) == [(b"2", b"unprocessable")]
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].on_hand == 5


def test_a_count_uploaded_hours_late_is_applied_and_sent_again_changes_nothing() -> None:
    store = InMemoryStockStore(lambda: NETWORK)
    line = [{"sku": "SKU-A", "on_hand": 20}]
    count = {"event_id": "c-1", "occurred_at": NOW_MS - 5 * 3_600_000, "location_id": "ST-1", "lines": line}
    value = orjson.dumps(count)
    first = pipeline(store).run("stock.counts.v1", [FakeRecord("stock.counts.v1", value, 1)])
    pipeline(store).run("pos.sales.v1", [FakeRecord("pos.sales.v1", event("s-1", 3), 2)])
    again = pipeline(store).run("stock.counts.v1", [FakeRecord("stock.counts.v1", value, 3)])
    assert reasons(first.outputs) == reasons(again.outputs) == []
    assert store.read_sync(["SKU-A"])["SKU-A"].locations[0].on_hand == 17


def test_a_transfer_step_sent_again_at_any_later_time_is_never_applied_twice() -> None:
    dedupe_s, count_s, skew_s = 10, 30, 2
    limits = EventLimits(max_clock_skew_s=skew_s, dedupe_window_s=dedupe_s, count_window_s=count_s)
    other = replace(NETWORK.locations["ST-1"], location_id="ST-2")
    two = Network({"ST-1": NETWORK.locations["ST-1"], "ST-2": other})

    def step(event_id: str, status: str, at: int) -> bytes:
        return orjson.dumps(
            {"event_id": event_id, "occurred_at": at, "transfer_id": "T-1", "status": status,
             "from_location_id": "ST-1", "to_location_id": "ST-2", "lines": [{"sku": "SKU-A", "quantity": 4}]}
        )  # fmt: skip

    for age_ms in range(-skew_s * 1000, count_s * 1000, 1900):
        store = InMemoryStockStore(lambda: two, dedupe_window_s=dedupe_s, count_window_s=count_s)
        shipped, received = step("t-s", "SHIPPED", NOW_MS - age_ms), step("t-r", "RECEIVED", NOW_MS)
        resent = [(t, shipped) for t in range(2000, 4 * count_s * 1000, 1700)]
        for later_ms, value in [(0, shipped), (1000, received), *resent]:
            metrics = WorkerMetrics.create(CollectorRegistry())
            changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
            StockPipeline(
                store,
                decode_stock_event,
                changes,
                holds,
                metrics,
                lambda c=NOW_MS + later_ms: c,
                limits=limits,
            ).run("stock.transfers.v1", [FakeRecord("x", value)])
        found = store.read_sync(["SKU-A"]).get("SKU-A")
        on_hand = {loc.location_id: loc.on_hand for loc in found.locations} if found else {}
        assert on_hand.get("ST-1", 0) in (0, -4), age_ms  # shipped once at most
        assert on_hand.get("ST-2") == 4, age_ms  # received once


def test_a_script_error_in_the_hold_expiry_sweep_is_logged_and_the_worker_goes_on() -> None:
    from streams.hold_expiry import HoldExpiry

    class Refusing(InMemoryStockStore):
        def expire_holds(self, now_ms: int, limit: int = 1000) -> list:
            raise InvalidEvent("ERR user_script:3: a bug", code="store_refused")

    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    metrics = WorkerMetrics.create(CollectorRegistry())
    sweep = HoldExpiry(Refusing(lambda: NETWORK), changes, holds, metrics, lambda: NOW_MS).sweep
    assert sweep() == []


def test_a_script_error_in_reconciliation_is_logged_and_the_worker_goes_on() -> None:
    import asyncio

    from streams.reconciliation import reconcile_once

    class Refusing(InMemoryStockStore):
        def reconcile(self, skus: Sequence[str] | None = None) -> list:
            raise InvalidEvent("ERR user_script:3: a bug", code="store_refused")

    metrics = WorkerMetrics.create(CollectorRegistry())
    assert asyncio.run(reconcile_once(Refusing(lambda: NETWORK), metrics)) == []
