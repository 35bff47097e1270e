"""The stock store contract: one suite run against the in-memory fake and the Redis store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from core.movements import (
    AdjustOnHand,
    Movement,
    MovementResult,
    MoveTransfer,
    OnHandDelta,
    Outcome,
    RecordCount,
    TransferStatus,
)
from state.memory import InMemoryStockStore
from state.store import AsyncRedisStockReader
from tests.contract.conftest import NETWORK, STORES

pytestmark = pytest.mark.parametrize("store", STORES, indirect=True)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NOW = T0 + 60_000
SKU = "SKU-1"


def adjust(event_id: str, location_id: str, quantity: int, at: int = T0, sku: str = SKU) -> AdjustOnHand:
    return AdjustOnHand(event_id, sku, at, (OnHandDelta(location_id, quantity),))


def count(event_id: str, location_id: str, on_hand: int, at: int) -> RecordCount:
    return RecordCount(event_id, SKU, at, location_id, on_hand)


def transfer(event_id: str, status: TransferStatus, quantity: int, at: int = T0) -> MoveTransfer:
    return MoveTransfer(event_id, SKU, at, "TR-1", status, "WH1", "WH2", quantity)


def apply(store: Any, *movements: Movement, now: int = NOW) -> list[MovementResult]:
    results: list[MovementResult] = store.apply(list(movements), now)
    return results


def figures(store: Any, location_id: str, sku: str = SKU) -> tuple[int, int, int]:
    """(on_hand, in_transit, atp) of one location as read back."""
    stock = store.read_sync([sku])[sku]
    (found,) = [s for s in stock.locations if s.location_id == location_id]
    return found.on_hand, found.in_transit, found.atp


def test_a_receipt_raises_on_hand(store: Any) -> None:
    (result,) = apply(store, adjust("r1", "WH1", 10))
    assert result.outcome is Outcome.APPLIED
    assert [(f.location_id, f.on_hand, f.atp) for f in result.locations] == [("WH1", 10, 10)]
    assert figures(store, "WH1") == (10, 0, 10)


def test_a_sale_lowers_on_hand(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10), adjust("s1", "WH1", -3, T0 + 1))
    assert figures(store, "WH1") == (7, 0, 7)


def test_the_same_event_applied_twice_changes_nothing(store: Any) -> None:
    first, second = apply(store, adjust("r1", "WH1", 10), adjust("r1", "WH1", 10))
    (third,) = apply(store, adjust("r1", "WH1", 10), now=NOW + 1_000)
    assert first.outcome is Outcome.APPLIED
    assert (second.outcome, third.outcome) == (Outcome.DUPLICATE, Outcome.DUPLICATE)
    assert second.locations == ()
    assert figures(store, "WH1") == (10, 0, 10)


def test_a_count_sets_on_hand(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10))
    (result,) = apply(store, count("c1", "WH1", 4, T0 + 10))
    assert result.outcome is Outcome.APPLIED
    assert result.locations[0].on_hand == 4
    assert figures(store, "WH1") == (4, 0, 4)


def test_a_delta_before_the_last_count_is_inside_it(store: Any) -> None:
    apply(store, count("c1", "WH1", 4, T0 + 10))
    (result,) = apply(store, adjust("s1", "WH1", -1, T0 + 5))
    assert result.outcome is Outcome.INSIDE_COUNT
    assert figures(store, "WH1") == (4, 0, 4)


def test_a_delta_after_the_count_that_arrives_before_the_count_is_added_on_top_of_it(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10, T0), adjust("s1", "WH1", -2, T0 + 20))
    (result,) = apply(store, count("c1", "WH1", 6, T0 + 10))
    assert result.locations[0].on_hand == 4
    assert figures(store, "WH1") == (4, 0, 4)


def test_a_count_older_than_the_last_count_is_ignored(store: Any) -> None:
    apply(store, count("c2", "WH1", 8, T0 + 20))
    (result,) = apply(store, count("c1", "WH1", 3, T0 + 10))
    assert result.outcome is Outcome.STALE_COUNT
    assert figures(store, "WH1") == (8, 0, 8)


def test_a_count_older_than_the_window_of_kept_deltas_is_too_late(store: Any) -> None:
    day = 86_400_000
    apply(store, adjust("r1", "WH1", 10, T0 + 2 * day))
    (result,) = apply(store, count("c1", "WH1", 3, T0))
    assert result.outcome is Outcome.TOO_LATE
    assert figures(store, "WH1") == (10, 0, 10)


def network_total(store: Any) -> int:
    stock = store.read_sync([SKU])[SKU]
    return sum(s.on_hand + s.in_transit for s in stock.locations)


def test_transfer_shipped_then_received_moves_stock_and_conserves_the_network_total(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10))
    (shipped,) = apply(store, transfer("t1", TransferStatus.SHIPPED, 4, T0 + 1))
    assert [(f.location_id, f.on_hand, f.in_transit) for f in shipped.locations] == [
        ("WH1", 6, 0),
        ("WH2", 0, 4),
    ]
    assert network_total(store) == 10
    apply(store, transfer("t2", TransferStatus.RECEIVED, 4, T0 + 2))
    assert (figures(store, "WH1"), figures(store, "WH2")) == ((6, 0, 6), (4, 0, 2))
    assert network_total(store) == 10


def test_transfer_cancelled_returns_stock(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10), transfer("t1", TransferStatus.SHIPPED, 4, T0 + 1))
    apply(store, transfer("t3", TransferStatus.CANCELLED, 4, T0 + 2))
    assert (figures(store, "WH1"), figures(store, "WH2")) == ((10, 0, 10), (0, 0, 0))
    (late,) = apply(store, transfer("t2", TransferStatus.RECEIVED, 4, T0 + 3))
    assert late.outcome is Outcome.APPLIED  # a receipt is final: the goods did arrive
    assert (figures(store, "WH1"), figures(store, "WH2")) == ((6, 0, 6), (4, 0, 2))


def test_a_cancellation_after_the_receipt_and_a_repeated_shipment_are_ignored(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10), transfer("t1", TransferStatus.SHIPPED, 4, T0 + 1))
    apply(store, transfer("t2", TransferStatus.RECEIVED, 4, T0 + 2))
    again, cancelled = apply(
        store, transfer("t1b", TransferStatus.SHIPPED, 4, T0 + 3), transfer("t3", TransferStatus.CANCELLED, 4)
    )
    assert (again.outcome, cancelled.outcome) == (Outcome.DUPLICATE, Outcome.DUPLICATE)
    assert (figures(store, "WH1"), figures(store, "WH2")) == ((6, 0, 6), (4, 0, 2))


def test_received_before_shipped(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10))
    apply(store, transfer("t2", TransferStatus.RECEIVED, 3, T0 + 2))
    assert (figures(store, "WH1"), figures(store, "WH2")) == ((10, 0, 10), (3, 0, 1))
    apply(store, transfer("t1", TransferStatus.SHIPPED, 3, T0 + 1))
    assert (figures(store, "WH1"), figures(store, "WH2")) == ((7, 0, 7), (3, 0, 1))
    assert network_total(store) == 10


def test_atp_is_never_negative(store: Any) -> None:
    (result,) = apply(store, adjust("s1", "WH2", -5))
    assert (result.locations[0].on_hand, result.locations[0].atp, result.network_atp) == (-5, 0, 0)
    assert store.read_sync([SKU])[SKU].network.atp == 0


def test_safety_stock_lowers_atp_location_default_and_per_sku_override(store: Any) -> None:
    (result,) = apply(store, adjust("r1", "WH2", 10))
    assert (result.locations[0].safety_stock, result.locations[0].atp) == (2, 8)
    override = store.set_safety_stock(SKU, "WH2", 5, NOW)
    # the network sees 5 - 3 (WH2 keeps 3 units for walk-in customers)
    assert (override.locations[0].safety_stock, override.locations[0].atp, override.network_atp) == (5, 5, 2)
    assert figures(store, "WH2") == (10, 0, 5)
    cleared = store.set_safety_stock(SKU, "WH2", None, NOW)
    assert cleared.locations[0].atp == 8
    assert figures(store, "WH2") == (10, 0, 8)


def test_network_atp_counts_only_locations_that_serve_online(store: Any) -> None:
    deltas = (OnHandDelta("WH1", 10), OnHandDelta("WH2", 10), OnHandDelta("ST1", 7))
    move = AdjustOnHand("r1", SKU, T0, deltas)
    (result,) = apply(store, move)
    assert result.network_atp == 15  # WH1 10 + WH2 (10 - safety 2 - protection 3); ST1 is not online
    network = store.read_sync([SKU])[SKU].network
    assert (network.on_hand, network.atp) == (20, 15)


def test_a_sku_never_seen_reads_as_absent(store: Any) -> None:
    apply(store, adjust("r1", "WH1", 10))
    assert set(store.read_sync([SKU, "NEVER-SEEN"])) == {SKU}


def test_a_batch_of_500_movements_over_many_skus_is_applied_in_one_call(store: Any) -> None:
    batch = [adjust(f"r{i}", "WH1", 1 + i % 3, T0 + i, sku=f"SKU-{i % 50}") for i in range(500)]
    results = apply(store, *batch)
    assert [r.outcome for r in results] == [Outcome.APPLIED] * 500
    assert [r.event_id for r in results] == [m.event_id for m in batch]
    stock = store.read_sync([f"SKU-{k}" for k in range(50)])
    expected = {f"SKU-{k}": sum(1 + i % 3 for i in range(k, 500, 50)) for k in range(50)}
    assert {sku: s.locations[0].on_hand for sku, s in stock.items()} == expected


def test_the_async_reader_answers_the_skus_found_and_pings(
    store: Any, request: pytest.FixtureRequest
) -> None:
    apply(store, adjust("r1", "WH1", 10), adjust("r2", "WH2", 4))

    async def read() -> tuple[dict[str, Any], bool]:
        if isinstance(store, InMemoryStockStore):
            return await store.read_many([SKU, "NEVER-SEEN"]), await store.ping()
        client = async_client(store, request)
        try:
            reader = AsyncRedisStockReader(client, store.prefix, lambda: NETWORK)
            return await reader.read_many([SKU, "NEVER-SEEN"]), await reader.ping()
        finally:
            await client.aclose()

    found, alive = asyncio.run(read())
    assert alive
    assert list(found) == [SKU]
    assert [(s.location_id, s.on_hand, s.safety_stock, s.atp) for s in found[SKU].locations] == [
        ("WH1", 10, 0, 10),
        ("WH2", 4, 2, 2),
    ]
    assert (found[SKU].network.on_hand, found[SKU].network.atp) == (14, 10)  # WH2 keeps its 2 (of 3)


def test_the_async_reader_reads_skus_held_by_every_node_in_one_call(
    store: Any, request: pytest.FixtureRequest
) -> None:
    skus = [f"SKU-{n}" for n in range(40)]  # on a cluster: slots of all three masters
    apply(store, *(adjust(f"r{n}", "WH1", n + 1, T0 + n, sku=sku) for n, sku in enumerate(skus)))

    async def read() -> dict[str, Any]:
        if isinstance(store, InMemoryStockStore):
            return await store.read_many(skus)
        client = async_client(store, request)
        try:
            return await AsyncRedisStockReader(client, store.prefix, lambda: NETWORK).read_many(skus)
        finally:
            await client.aclose()

    found = asyncio.run(read())

    assert {sku: stock.locations[0].on_hand for sku, stock in found.items()} == {
        sku: n + 1 for n, sku in enumerate(skus)
    }


def async_client(store: Any, request: pytest.FixtureRequest) -> redis.asyncio.Redis | AsyncRedisCluster:
    """The API's kind of client on the store's Redis: a cluster one on a cluster (a pipeline per node)."""
    if isinstance(store.client, RedisCluster):
        return AsyncRedisCluster.from_url(request.getfixturevalue("redis_cluster_url"))
    return redis.asyncio.Redis.from_url(request.getfixturevalue("redis_server_url"))
