"""No record stops a stock partition: on a real Redis, each poison record of a batch goes to the DLQ
with its reason, and the good records of the same batch are applied, through the agent's retry loop."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import orjson
import pytest
import redis
from prometheus_client import CollectorRegistry

from core.errors import EventsRefused
from core.movements import AdjustOnHand, Command, OnHandDelta, Outcome
from omnistock.stack.redis_keys import delete_prefix
from state.store import RedisStockStore
from streams.dlq import REASON_HEADER
from streams.event_limits import EventLimits
from streams.metrics import WorkerMetrics
from streams.stock_agents import BatchJob, register_agents
from streams.stock_pipeline import StockPipeline
from tests.contract.conftest import NETWORK
from tests.support.records import FakeRecord
from topics.mappers import decode_stock_event
from topics.outputs import availability_change_encoder, cart_hold_encoder

pytestmark = pytest.mark.redis
NOW_MS = 1_796_000_000_000
HOUR_MS = 3_600_000
SCRIPT_POISON = b"script-poison"  # decoded below into a command only the script can refuse


@pytest.fixture
def store(redis_url: str) -> Iterator[RedisStockStore]:
    client = redis.Redis.from_url(redis_url)
    prefix = f"t-{uuid.uuid4().hex}:"
    yield RedisStockStore(client, prefix, lambda: NETWORK, dedupe_window_s=3600)
    delete_prefix(client, prefix)
    client.close()


def record(value: bytes, offset: int) -> FakeRecord:
    return FakeRecord("pos.sales.v1", value, offset, key=b"WH1")


def sale(event_id: str, quantity: int, at: int = NOW_MS, location: str = "WH1") -> bytes:
    lines = [{"sku": "A", "quantity": quantity}]
    return orjson.dumps({"event_id": event_id, "occurred_at": at, "location_id": location, "lines": lines})


def decode(topic: str, value: bytes) -> list[Command]:
    if value == SCRIPT_POISON:  # beyond the scripts' integers (2^53): refused by the Lua int() check
        return [AdjustOnHand("poison", "A", NOW_MS, (OnHandDelta("WH1", 2**60),))]
    return list(decode_stock_event(topic, value))


def on_hand(store: RedisStockStore, location_id: str) -> int | None:
    stock = store.read_sync(["A"]).get("A")
    found = [loc.on_hand for loc in stock.locations if loc.location_id == location_id] if stock else []
    return found[0] if found else None


def test_the_script_refusing_one_call_refuses_its_command_alone(store: RedisStockStore) -> None:
    store.apply([AdjustOnHand("r-0", "A", NOW_MS, (OnHandDelta("WH1", 10),))], NOW_MS)
    with pytest.raises(EventsRefused) as refusal:
        store.apply(
            [
                AdjustOnHand("s-1", "A", NOW_MS, (OnHandDelta("WH1", -1),)),
                AdjustOnHand("poison", "A", NOW_MS, (OnHandDelta("WH1", 2**60),)),
                AdjustOnHand("s-2", "A", NOW_MS, (OnHandDelta("ST-NOWHERE", -1),)),
                AdjustOnHand("s-3", "A", NOW_MS, (OnHandDelta("WH1", -2),)),
            ],
            NOW_MS,
        )
    assert {i: code for i, (code, _) in refusal.value.refused.items()} == {
        1: "store_refused",
        2: "unknown_location",
    }
    assert "INVALID" in refusal.value.refused[1][1]
    assert [r.outcome if r else None for r in refusal.value.results] == [
        Outcome.APPLIED,
        None,
        None,
        Outcome.APPLIED,
    ]
    assert on_hand(store, "WH1") == 7
    assert on_hand(store, "ST-NOWHERE") is None  # no phantom row


def test_the_worker_goes_on_past_each_poison_record_and_applies_the_good_ones(
    store: RedisStockStore,
) -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics.create(registry)
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    limits = EventLimits(max_clock_skew_s=300, dedupe_window_s=3600, dlq_max_bytes=10_000)
    pipeline = StockPipeline(store, decode, changes, holds, metrics, lambda: NOW_MS, limits=limits)
    store.apply([AdjustOnHand("r-0", "A", NOW_MS, (OnHandDelta("WH1", 10),))], NOW_MS)
    huge = json.dumps({"event_id": 10**30, "occurred_at": 10**30}).encode()
    records = [
        record(sale("s-1", 1), 1),
        record(b"{not json", 2),
        record(b'{"event_id": "x", "occurred_at": 1e30, "location_id": "WH1", "lines": []}', 3),
        record(huge, 4),
        record(sale("future", 1, at=NOW_MS + 6 * HOUR_MS), 5),
        record(sale("old", 1, at=NOW_MS - 2 * HOUR_MS), 6),
        record(sale("nowhere", 1, location="ST-NOWHERE"), 7),
        record(SCRIPT_POISON, 8),
        record(b"{" + b"x" * 1_000_000, 9),
        record(sale("s-2", 2), 10),
    ]

    from streams.app import OmnistockApp

    app = OmnistockApp("test-poison", broker="kafka://127.0.0.1:1", autodiscover=False)  # never dialled
    agents = register_agents(app, {"pos.sales.v1": pipeline}, metrics)

    async def scenario():  # type: ignore[no-untyped-def]
        async with agents["pos.sales.v1"].test_context() as agent:
            done = asyncio.get_running_loop().create_future()
            await agent.put(BatchJob("pos.sales.v1", records, done))
            return await asyncio.wait_for(done, 10)

    outcome = asyncio.run(scenario())

    dead = [out for out in outcome.outputs if out.topic == "pos.sales.v1.dlq"]
    reasons = [(dict(d.headers)["omnistock.source.offset"], dict(d.headers)[REASON_HEADER]) for d in dead]
    assert sorted(reasons) == sorted(
        [
            (b"2", b"invalid_event"),
            (b"3", b"invalid_event"),
            (b"4", b"invalid_event"),
            (b"5", b"from_the_future"),
            (b"6", b"too_old_to_dedupe"),
            (b"7", b"unknown_location"),
            (b"8", b"store_refused"),
            (b"9", b"invalid_event"),
        ]
    )
    assert all(len(d.value) <= 10_000 for d in dead)
    assert on_hand(store, "WH1") == 7  # 10 - 1 - 2: both good sales, nothing else
    assert on_hand(store, "ST-NOWHERE") is None
    assert registry.get_sample_value("omnistock_dead_letters_total", {"reason": "invalid_event"}) == 4
    assert registry.get_sample_value("omnistock_dead_letters_total", {"reason": "store_refused"}) == 1
    assert registry.get_sample_value("omnistock_dead_letters_total", {"reason": "unprocessable"}) == 0


def test_a_late_duplicate_is_refused_as_too_old_rather_than_applied_twice(store: RedisStockStore) -> None:
    window_s, skew_s = 10, 2
    short = RedisStockStore(store.client, store.prefix, lambda: NETWORK, dedupe_window_s=window_s)
    clock = [NOW_MS]
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    limits = EventLimits(max_clock_skew_s=skew_s, dedupe_window_s=window_s)
    pipeline = StockPipeline(short, decode, changes, holds, metrics, lambda: clock[0], limits=limits)
    receipt = orjson.dumps(
        {
            "event_id": "r-7",
            "occurred_at": NOW_MS,
            "location_id": "WH1",
            "lines": [{"sku": "A", "quantity": 7}],
        }
    )
    outcomes = []
    for later_s in (0, 5, 9, 11, 30):  # the same receipt again and again, later and later
        clock[0] = NOW_MS + later_s * 1000
        outcome = pipeline.run("stock.receipts.v1", [record(receipt, later_s)])
        dead = [dict(out.headers)[REASON_HEADER] for out in outcome.outputs if out.topic.endswith(".dlq")]
        outcomes.append(dead[0].decode() if dead else "+".join(outcome.outcomes))
    assert outcomes == ["APPLIED", "DUPLICATE", "too_old_to_dedupe", "too_old_to_dedupe", "too_old_to_dedupe"]
    assert on_hand(short, "WH1") == 7


def test_a_cart_hold_at_a_click_and_collect_store_not_in_the_network_goes_to_the_dlq(
    store: RedisStockStore,
) -> None:
    from topics.codec import AvroCodec
    from topics.commands import CommandDecoder
    from topics.registry import LocalSchemaList

    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    decoder = CommandDecoder(AvroCodec(LocalSchemaList()), 900_000)
    pipeline = StockPipeline(store, decoder, changes, holds, metrics, lambda: NOW_MS)
    store.apply([AdjustOnHand("r-0", "A", NOW_MS, (OnHandDelta("WH1", 10),))], NOW_MS)

    def line_set(event_id: str, cart: str, location: str) -> bytes:
        return orjson.dumps(
            {"event_id": event_id, "occurred_at": NOW_MS, "cart_id": cart, "type": "LINE_SET", "sku": "A",
             "quantity": 2, "location_id": location, "channel": "web"}
        )  # fmt: skip

    outcome = pipeline.run(
        "carts.events.v1",
        [record(line_set("c-1", "cart-1", "ST-NOWHERE"), 1), record(line_set("c-2", "cart-2", "WH1"), 2)],
    )

    dead = [dict(out.headers)[REASON_HEADER] for out in outcome.outputs if out.topic == "carts.events.v1.dlq"]
    assert dead == [b"unknown_location"]
    (wh1,) = store.read_sync(["A"])["A"].locations
    assert (wh1.location_id, wh1.reserved) == ("WH1", 2)


def test_a_count_uploaded_hours_late_applies_once_on_redis_even_sent_again(store: RedisStockStore) -> None:
    metrics = WorkerMetrics.create(CollectorRegistry())
    changes, holds = availability_change_encoder(None), cart_hold_encoder(None)
    pipeline = StockPipeline(store, decode, changes, holds, metrics, lambda: NOW_MS)
    count = orjson.dumps(
        {"event_id": "c-late", "occurred_at": NOW_MS - 5 * HOUR_MS, "location_id": "WH1",
         "lines": [{"sku": "A", "on_hand": 20}]}
    )  # fmt: skip
    first = pipeline.run("stock.counts.v1", [record(count, 1)])
    pipeline.run("pos.sales.v1", [record(sale("s-after", 3), 2)])
    again = pipeline.run("stock.counts.v1", [record(count, 3)])
    assert [out for out in first.outputs + again.outputs if out.topic.endswith(".dlq")] == []
    assert on_hand(store, "WH1") == 17
