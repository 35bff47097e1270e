"""The order store contract: one suite run against the in-memory fake, the Redis store on one Redis,
and the Redis store on a 3-master Redis Cluster."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import redis
import redis.asyncio
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from core.allocation import OrderLine
from core.errors import StoreUnavailable
from core.order_lifecycle import apply_routing, apply_update, cancel, new_order
from core.order_shortage import AllocatedHere
from core.order_types import (
    ChangeLine,
    FulfillmentChange,
    Order,
    PlannedShipment,
    RoutingResult,
    ShipmentStatus,
)
from core.routing_types import DeliveryMethod, RoutedShipment, RoutingDecision, decision_dict
from state import order_keys as k
from state.memory_order_store import InMemoryOrderStore
from state.order_reader import AsyncRedisOrderReader
from state.order_store import OrderWrite, RedisOrderStore
from state.pick_capacity import CapacityClaim

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SLA = 60_000
A1, A2, B1 = OrderLine("l1", "SKU-A", 2), OrderLine("l2", "SKU-A", 1), OrderLine("l3", "SKU-B", 4)


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[redis.Redis | RedisCluster]:
    """The client of the Redis store under test: one Redis, or a cluster client."""
    if request.node.callspec.params["order_store"] != "cluster":
        yield request.getfixturevalue("redis_client")
        return
    cluster = RedisCluster.from_url(request.getfixturevalue("redis_cluster_url"))
    yield cluster
    cluster.close()


@pytest.fixture
def order_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Each store under test; the Redis ones under a fresh key prefix, their keys deleted after."""
    if request.param == "memory":
        yield InMemoryOrderStore()
        return
    client: redis.Redis | RedisCluster = request.getfixturevalue("client")
    prefix = f"t-{uuid.uuid4().hex}:"
    yield RedisOrderStore(client, prefix)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)


REDIS = pytest.param("redis", marks=pytest.mark.redis)
CLUSTER = pytest.param("cluster", marks=pytest.mark.redis)
every_store = pytest.mark.parametrize("order_store", ["memory", REDIS, CLUSTER], indirect=True)
redis_stores = pytest.mark.parametrize("order_store", [REDIS, CLUSTER], indirect=True)
one_redis = pytest.mark.parametrize("order_store", [REDIS], indirect=True)


def routed(order_id: str, *shipments: tuple[str, tuple[OrderLine, ...]], at: int = T0) -> Order:
    lines = [line for _, ls in shipments for line in ls]
    plan = tuple(PlannedShipment(loc, ls, SLA) for loc, ls in shipments)
    return apply_routing(
        new_order(order_id, lines, "HOME_STANDARD"), RoutingResult(f"D-{order_id}", plan), at
    ).order


def update(order: Order, n: int, status: str, lines: Any = None) -> Order:
    s, new = order.shipments[n - 1], ShipmentStatus(status)
    change = FulfillmentChange(f"e-{s.shipment_id}-{new}", s.shipment_id, s.location_id, new, T0, lines)
    return apply_update(order, change).order


def saved(store: Any, before: Order | None, after: Order, **kwargs: Any) -> Order:
    store.save([OrderWrite(before, after)], **kwargs)
    return after


def decision(decision_id: str, order_id: str) -> dict[str, Any]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    shipment = RoutedShipment("WH1", (A1,), "std", at, at, 500, 120, 12.5)
    made = RoutingDecision(
        decision_id, "balanced", "1", DeliveryMethod.HOME_STANDARD, at, (shipment,), (), (), 1.5, {}, "exact"
    )
    return decision_dict(made, "balanced") | {"order_id": order_id}


def here(order_id: str, line: OrderLine, at: int = T0, picked: bool = False) -> AllocatedHere:
    return AllocatedHere(order_id, line.line_id, line.quantity, at, picked)


@every_store
def test_an_order_reads_back_as_it_was_saved(order_store: Any) -> None:
    order = saved(order_store, None, update(routed("O-1", ("WH1", (A1, B1)), ("ST1", (A2,))), 1, "ACCEPTED"))
    assert order_store.load(["O-1"]) == {"O-1": order}


@every_store
def test_unknown_orders_are_absent(order_store: Any) -> None:
    saved(order_store, None, routed("O-1", ("WH1", (A1,))))
    assert list(order_store.load(["NOPE", "O-1"])) == ["O-1"]
    assert order_store.load([]) == {}


@every_store
def test_a_requested_shipment_is_due_at_its_deadline_and_not_before(order_store: Any) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1,))))
    assert order_store.due_shipments(T0 + SLA - 1) == []
    assert order_store.due_shipments(T0 + SLA) == [("O-1", order.shipments[0].shipment_id)]


@every_store
def test_an_accepted_shipment_leaves_the_sla_index(order_store: Any) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1,)), ("ST1", (B1,))))
    saved(order_store, order, update(order, 1, "ACCEPTED"))
    assert order_store.due_shipments(T0 + SLA) == [("O-1", "O-1-2")]


@every_store
def test_due_shipments_come_oldest_deadline_first_up_to_the_limit(order_store: Any) -> None:
    for n, at in enumerate([T0 + 2_000, T0, T0 + 1_000]):
        saved(order_store, None, routed(f"O-{n}", ("WH1", (A1,)), at=at))
    assert order_store.due_shipments(T0 + 10 * SLA) == [("O-1", "O-1-1"), ("O-2", "O-2-1"), ("O-0", "O-0-1")]
    assert order_store.due_shipments(T0 + 10 * SLA, limit=1) == [("O-1", "O-1-1")]


@every_store
def test_a_routed_shipment_is_in_the_allocation_index_of_each_of_its_lines(order_store: Any) -> None:
    saved(order_store, None, routed("O-1", ("WH1", (A1, B1))))
    saved(order_store, None, routed("O-2", ("WH1", (A2,)), at=T0 - 5))
    found = order_store.allocations_at([("SKU-A", "WH1"), ("SKU-B", "WH1"), ("SKU-A", "ST1")])
    assert found == {
        ("SKU-A", "WH1"): [here("O-2", A2, T0 - 5), here("O-1", A1)],
        ("SKU-B", "WH1"): [here("O-1", B1)],
        ("SKU-A", "ST1"): [],
    }


@every_store
@pytest.mark.parametrize("status", ["PICKED", "READY_FOR_PICKUP"])
def test_a_picked_shipment_flags_its_lines_picked(order_store: Any, status: str) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1,))))
    saved(order_store, order, update(order, 1, status))
    assert order_store.allocations_at([("SKU-A", "WH1")]) == {
        ("SKU-A", "WH1"): [here("O-1", A1, picked=True)]
    }


@every_store
@pytest.mark.parametrize("status", ["SHIPPED", "REJECTED", "CANCELLED"])
def test_a_shipment_that_ships_or_closes_leaves_the_allocation_index(order_store: Any, status: str) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1, B1))))
    saved(order_store, order, update(order, 1, status))
    assert order_store.allocations_at([("SKU-A", "WH1"), ("SKU-B", "WH1")]) == {
        ("SKU-A", "WH1"): [],
        ("SKU-B", "WH1"): [],
    }
    assert order_store.due_shipments(T0 + SLA) == []


@every_store
def test_a_partial_rejection_removes_only_the_rejected_lines(order_store: Any) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1, B1))))
    after = update(order, 1, ShipmentStatus.REJECTED, (ChangeLine(B1.sku, B1.quantity, B1.line_id),))
    rerouted = saved(
        order_store,
        order,
        apply_routing(after, RoutingResult("D-2", (PlannedShipment("ST1", (B1,), SLA),)), T0 + 9).order,
    )
    found = order_store.allocations_at([("SKU-A", "WH1"), ("SKU-B", "WH1"), ("SKU-B", "ST1")])
    assert found == {
        ("SKU-A", "WH1"): [here("O-1", A1)],
        ("SKU-B", "WH1"): [],
        ("SKU-B", "ST1"): [here("O-1", B1, T0 + 9)],
    }
    assert order_store.due_shipments(T0 + SLA + 9) == [("O-1", "O-1-1"), ("O-1", "O-1-2")]
    assert order_store.load(["O-1"])["O-1"] == rerouted


@every_store
def test_a_cancelled_order_leaves_both_indexes(order_store: Any) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1,)), ("ST1", (B1,))))
    saved(order_store, order, cancel(order, "c-1").order)
    assert order_store.due_shipments(T0 + SLA) == []
    assert order_store.allocations_at([("SKU-A", "WH1")]) == {("SKU-A", "WH1"): []}


def take(store: Any, day: str, location_id: str, lines: int, limit: int | None = None, first: int = 0) -> Any:
    """`lines` order lines (O-<n>/l1 from n = first) claimed at the location on the day: the reply."""
    members = tuple(f"O-{n}/l1" for n in range(first, first + lines))
    (reply,) = store.take_capacity([CapacityClaim(day, location_id, limit, members)])
    return reply


@every_store
def test_capacity_taken_accumulates_per_day_and_location(order_store: Any) -> None:
    take(order_store, "2026-01-01", "WH1", 3)
    take(order_store, "2026-01-01", "ST1", 1)
    take(order_store, "2026-01-01", "WH1", 2, first=3)
    take(order_store, "2026-01-02", "WH1", 7)
    day_one = {"WH1": "2026-01-01", "ST1": "2026-01-01", "WH2": "2026-01-01"}
    assert order_store.capacity_used(day_one) == {"WH1": 5, "ST1": 1, "WH2": 0}
    assert order_store.capacity_used({"WH1": "2026-01-02"}) == {"WH1": 7}
    assert order_store.capacity_used({"WH1": "2026-01-03"}) == {"WH1": 0}
    assert order_store.capacity_used({}) == {}


@every_store
def test_each_location_s_capacity_is_read_on_its_own_day(order_store: Any) -> None:
    take(order_store, "2026-01-01", "PARIS", 4)
    take(order_store, "2026-01-02", "TOKYO", 2)
    take(order_store, "2026-01-01", "TOKYO", 9)  # Tokyo's previous day
    days = {"PARIS": "2026-01-01", "TOKYO": "2026-01-02"}
    assert order_store.capacity_used(days) == {"PARIS": 4, "TOKYO": 2}


@every_store
def test_capacity_is_refused_past_the_limit_and_consumed_in_the_same_step(order_store: Any) -> None:
    first = take(order_store, "2026-01-01", "WH1", 3, limit=4)
    second = take(order_store, "2026-01-01", "WH1", 3, limit=4, first=3)
    assert (first.used, first.granted) == (3, (True, True, True))
    assert (second.used, second.granted) == (4, (True, False, False))
    assert order_store.capacity_used({"WH1": "2026-01-01"}) == {"WH1": 4}


@every_store
def test_a_line_taken_again_is_granted_without_counting_twice(order_store: Any) -> None:
    take(order_store, "2026-01-01", "WH1", 2, limit=2)
    again = take(order_store, "2026-01-01", "WH1", 2, limit=2)  # a retried batch, a save cut short
    assert (again.used, again.granted) == (2, (True, True))


@every_store
def test_capacity_given_back_is_free_again_and_only_what_was_taken_counts(order_store: Any) -> None:
    take(order_store, "2026-01-01", "WH1", 2, limit=2)
    claim = CapacityClaim("2026-01-01", "WH1", 2, ("O-1/l1", "O-9/l1"))
    (given,) = order_store.give_back_capacity([claim])
    (twice,) = order_store.give_back_capacity([claim])
    assert (given.used, given.granted) == (1, (True, False))
    assert (twice.used, twice.granted) == (1, (False, False))
    assert take(order_store, "2026-01-01", "WH1", 1, limit=2, first=5).granted == (True,)


@every_store
def test_a_batch_reads_its_orders_and_the_days_capacity_together(order_store: Any) -> None:
    order = saved(order_store, None, routed("O-1", ("WH1", (A1,))))
    take(order_store, "2026-01-01", "WH1", 3)
    take(order_store, "2026-01-02", "ST2", 5)
    days = {"WH1": "2026-01-01", "ST1": "2026-01-01", "ST2": "2026-01-02"}
    orders, used = order_store.load_with_capacity(["O-1", "O-unknown"], days)
    assert orders == {"O-1": order}
    assert used == {"WH1": 3, "ST1": 0, "ST2": 5}
    assert order_store.load_with_capacity([], {"WH1": "2026-01-02"}) == ({}, {"WH1": 0})
    assert order_store.load_with_capacity(["O-1"], {}) == ({"O-1": order}, {})


@every_store
def test_decisions_are_stored_and_read_back_by_id(order_store: Any) -> None:
    made = decision("D-O-1", "O-1")
    saved(order_store, None, routed("O-1", ("WH1", (A1,))), decisions=[made])
    assert order_store.decisions(["D-O-1", "D-NONE"]) == {"D-O-1": made}


@every_store
def test_due_shipments_of_many_orders_come_oldest_first_whatever_part_of_the_index_holds_them(
    order_store: Any,
) -> None:
    deadline_s = [(n * 7919) % 40 for n in range(40)]  # 40 different deadlines, not in order of ids
    for n, at_s in enumerate(deadline_s):
        saved(order_store, None, routed(f"O-{n}", ("WH1", (A1,)), at=T0 + at_s * 1000))
    oldest = sorted(range(40), key=lambda n: deadline_s[n])
    due = order_store.due_shipments(T0 + SLA + 40_000, limit=25)
    assert due == [(f"O-{n}", f"O-{n}-1") for n in oldest[:25]]


@pytest.mark.parametrize("order_store", [CLUSTER], indirect=True)
def test_the_sla_index_and_the_days_capacity_of_many_orders_are_written_on_every_master(
    order_store: RedisOrderStore, client: RedisCluster
) -> None:
    for n in range(40):
        saved(order_store, None, routed(f"O-{n}", ("WH1", (A1,))))
    order_store.take_capacity([CapacityClaim("2026-01-01", f"L{n}", None, ("O-1/l1",)) for n in range(30)])
    p = order_store.prefix
    capacity = {k.capacity(p, "2026-01-01", f"L{n}") for n in range(30)}
    sla_nodes = {client.get_node_from_key(key).name for key in k.sla_buckets(p) if client.exists(key)}
    capacity_nodes = {client.get_node_from_key(key).name for key in capacity if client.exists(key)}
    masters = {node.name for node in client.get_primaries()}
    assert len(masters) == 3
    assert sla_nodes == masters
    assert capacity_nodes == masters


@every_store
def test_the_reader_answers_the_order_with_its_decisions_once_each_in_shipment_order(
    order_store: Any, request: pytest.FixtureRequest
) -> None:
    first = saved(
        order_store, None, routed("O-1", ("WH1", (A1,)), ("ST1", (B1,))), decisions=[decision("D-O-1", "O-1")]
    )
    plan = RoutingResult("D-2", (PlannedShipment("WH2", (A2,), SLA),))
    order = apply_routing(first, plan, T0 + 1).order
    saved(order_store, first, order, decisions=[decision("D-2", "O-1")])

    async def read(order_id: str) -> tuple[Any, bool]:
        if isinstance(order_store, InMemoryOrderStore):
            return await order_store.order(order_id), await order_store.ping()
        client: redis.asyncio.Redis | AsyncRedisCluster
        if request.node.callspec.params["order_store"] == "cluster":
            client = AsyncRedisCluster.from_url(request.getfixturevalue("redis_cluster_url"))
        else:
            client = redis.asyncio.Redis.from_url(request.getfixturevalue("redis_server_url"))
        try:
            reader = AsyncRedisOrderReader(client, order_store.prefix)
            return await reader.order(order_id), await reader.ping()
        finally:
            await client.aclose()

    (found, alive), (missing, _) = asyncio.run(read("O-1")), asyncio.run(read("NOPE"))
    assert alive
    assert missing is None
    assert found == (order, [decision("D-O-1", "O-1"), decision("D-2", "O-1")])


class CountingClient:
    """A Redis client that counts the round trips it makes: a redis-py pipeline's execute is one; any
    other use of the client is one too (a command, or taking a connection from its pool, as the lean
    pipeline does once per round trip)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client, self.trips = client, 0

    def pipeline(self, **kwargs: Any) -> Any:
        pipe = self.client.pipeline(**kwargs)
        execute = pipe.execute

        def counted(*args: Any, **kw: Any) -> Any:
            self.trips += 1
            return execute(*args, **kw)

        pipe.execute = counted  # type: ignore[method-assign]
        return pipe

    def __getattr__(self, name: str) -> Any:
        self.trips += 1
        return getattr(self.client, name)


@one_redis
def test_a_save_is_one_round_trip(order_store: RedisOrderStore, redis_client: redis.Redis) -> None:
    counting = CountingClient(redis_client)
    store = RedisOrderStore(cast(redis.Redis, counting), order_store.prefix)
    first, second = routed("O-1", ("WH1", (A1,))), routed("O-2", ("WH1", (A2,)), ("ST1", (B1,)))
    store.save(
        [OrderWrite(None, first), OrderWrite(None, second), OrderWrite(first, update(first, 1, "PICKED"))],
        decisions=[decision("D-O-1", "O-1"), decision("D-O-2", "O-2")],
    )
    assert counting.trips == 1
    assert len(store.load(["O-1", "O-2"])) == 2
    assert counting.trips == 2


@redis_stores
def test_decisions_and_finished_orders_expire_after_the_retention_open_orders_never(
    order_store: RedisOrderStore, client: redis.Redis | RedisCluster
) -> None:
    store = RedisOrderStore(client, order_store.prefix, retention_s=100)
    shipped = routed("O-1", ("WH1", (A1,)))
    saved(store, None, shipped, decisions=[decision("D-O-1", "O-1")])
    take(store, "2026-01-01", "WH1", 1)
    saved(store, None, routed("O-2", ("WH1", (A2,))))
    saved(store, shipped, update(shipped, 1, "SHIPPED"))
    p = order_store.prefix
    assert 0 < client.ttl(f"{p}dec:{{D-O-1}}") <= 100
    assert 0 < client.ttl(f"{p}ord:{{O-1}}") <= 100
    assert client.ttl(f"{p}ord:{{O-2}}") == -1
    assert 2 * 86400 < client.ttl(k.capacity(p, "2026-01-01", "WH1")) <= 3 * 86400


@redis_stores
def test_the_capacity_script_refuses_bad_input_before_any_write(
    order_store: RedisOrderStore, client: redis.Redis | RedisCluster
) -> None:
    with pytest.raises(redis.ResponseError, match="INVALID limit"):
        order_store.take_capacity([CapacityClaim("2026-01-01", "WH1", -5, ("O-1/l1",))])
    with pytest.raises(redis.ResponseError, match="INVALID location_id"):
        order_store.take_capacity([CapacityClaim("2026-01-01", "WH|1", 3, ("O-1/l1",))])
    assert client.exists(k.capacity(order_store.prefix, "2026-01-01", "WH1")) == 0


@redis_stores
def test_a_days_count_written_before_lines_were_kept_goes_on_from_where_it_was(
    order_store: RedisOrderStore, client: redis.Redis | RedisCluster
) -> None:
    client.hset(k.capacity(order_store.prefix, "2026-01-01", "WH1"), "WH1", 3)  # the former HINCRBY count
    assert take(order_store, "2026-01-01", "WH1", 2, limit=4).granted == (True, False)


def test_an_unreachable_redis_raises_store_unavailable() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    store = RedisOrderStore(client, "t-unreachable:")
    with pytest.raises(StoreUnavailable):
        store.load(["O-1"])
    with pytest.raises(StoreUnavailable):
        store.save([OrderWrite(None, routed("O-1", ("WH1", (A1,))))])
    with pytest.raises(StoreUnavailable):
        store.due_shipments(T0)


def test_the_reader_of_an_unreachable_redis_is_not_ready() -> None:
    async def check() -> tuple[bool, bool]:
        client = redis.asyncio.Redis(host="127.0.0.1", port=1, retry=AsyncRetry(NoBackoff(), 0))
        reader = AsyncRedisOrderReader(client, "t-unreachable:")
        try:
            await reader.order("O-1")
        except StoreUnavailable:
            raised = True
        else:
            raised = False
        alive = await reader.ping()
        await client.aclose()
        return raised, alive

    assert asyncio.run(check()) == (True, False)
