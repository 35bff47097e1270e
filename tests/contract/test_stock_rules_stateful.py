"""Hypothesis drives the Redis store and the pure Ledger with the same random commands and checks the
stock rules after every step: ATP never negative, reserved = live holds, allocated = open allocations,
duplicates change nothing, both stores agree."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.movements import (
    AdjustOnHand,
    Allocate,
    Command,
    OnHandDelta,
    Outcome,
    ReleaseAllocation,
    ReleaseHold,
    RenewCart,
    SetHold,
    ShipAllocation,
)
from omnistock.stack.redis_keys import delete_prefix
from state.memory import InMemoryStockStore
from state.store import RedisStockStore
from tests.contract.conftest import NETWORK

T0 = 1_767_225_600_000
TTL = 900_000
WINDOW_S = 30 * 86_400  # dedupe outlives the run: any earlier event may come back as a duplicate
SKUS = ("A", "B")
LOCATIONS = ("WH1", "WH2", "ST1")
skus, locations = st.sampled_from(SKUS), st.sampled_from(LOCATIONS)
carts, orders = st.sampled_from(("C0", "C1", "C2", "C3")), st.sampled_from(("O0", "O1", "O2"))
channels = st.sampled_from((None, "web", "store"))  # "store": a walk-in channel, sees protected units


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class StockRules(RuleBasedStateMachine):
    client: redis.Redis  # set by the test
    run_prefix: str  # set by the test: every example's keys are under it, deleted once at the end

    def __init__(self) -> None:
        super().__init__()
        self.prefix = f"{self.run_prefix}{uuid.uuid4().hex}:"
        self.real = RedisStockStore(self.client, self.prefix, lambda: NETWORK, WINDOW_S, 3600)
        self.fake = InMemoryStockStore(lambda: NETWORK, WINDOW_S, 3600)
        self.now, self.n = T0, 0
        self.sent: list[Command] = []

    def apply(self, command: Command) -> None:
        real, fake = self.real.apply([command], self.now), self.fake.apply([command], self.now)
        assert real == fake
        self.sent.append(command)
        event(f"{type(command).__name__} {real[0].outcome}" if real else "empty")

    def event_id(self) -> str:
        self.n += 1
        return f"e{self.n}"

    @initialize(quantity=st.integers(0, 12))
    def stock_arrives(self, quantity: int) -> None:
        for sku in SKUS:
            deltas = tuple(OnHandDelta(location, quantity) for location in LOCATIONS)
            self.apply(AdjustOnHand(self.event_id(), sku, self.now, deltas))

    @rule(sku=skus, location=locations, quantity=st.integers(-4, 8))
    def sale_or_receipt(self, sku: str, location: str, quantity: int) -> None:
        self.apply(AdjustOnHand(self.event_id(), sku, self.now, (OnHandDelta(location, quantity),)))

    @rule(cart=carts, sku=skus, location=st.none() | locations, quantity=st.integers(0, 6), channel=channels)
    def set_hold(self, cart: str, sku: str, location: str | None, quantity: int, channel: str | None) -> None:
        self.apply(SetHold(self.event_id(), cart, sku, location, quantity, TTL, channel))

    @rule(cart=carts, sku=skus)
    def release_hold(self, cart: str, sku: str) -> None:
        self.apply(ReleaseHold(self.event_id(), cart, sku))

    @rule(cart=carts)
    def renew_cart(self, cart: str) -> None:
        self.apply(RenewCart(self.event_id(), cart, TTL))

    @rule(order=orders, sku=skus, location=locations, quantity=st.integers(0, 5), cart=st.none() | carts)
    def allocate(self, order: str, sku: str, location: str, quantity: int, cart: str | None) -> None:
        channel = "store" if self.n % 3 == 0 else "web"
        self.apply(Allocate(self.event_id(), order, "L1", sku, location, quantity, cart, channel))

    @rule(order=orders, sku=skus, location=locations, quantity=st.integers(0, 5))
    def ship(self, order: str, sku: str, location: str, quantity: int) -> None:
        self.apply(ShipAllocation(self.event_id(), order, "L1", sku, location, quantity, self.now))

    @rule(order=orders, sku=skus)
    def cancel(self, order: str, sku: str) -> None:
        self.apply(ReleaseAllocation(self.event_id(), order, "L1", sku))

    @rule(sku=skus, allowed=st.booleans())
    def backorder(self, sku: str, allowed: bool) -> None:
        self.real.set_backorder(sku, allowed)
        self.fake.set_backorder(sku, allowed)

    @rule(ms=st.sampled_from((0, 1, 60_000, TTL // 2, TTL - 1, TTL, TTL + 1, 2 * TTL)))
    def time_passes_and_holds_expire(self, ms: int) -> None:
        self.now += ms
        real = sorted(self.real.expire_holds(self.now, 100), key=lambda e: e.sku)
        fake = sorted(self.fake.expire_holds(self.now, 100), key=lambda e: e.sku)
        event(f"expired holds of {len(real)} skus")
        assert [(e.sku, sorted(e.released, key=repr), e.locations, e.network_atp) for e in real] == [
            (e.sku, sorted(e.released, key=repr), e.locations, e.network_atp) for e in fake
        ]

    @rule(data=st.data())
    def a_duplicate_changes_nothing(self, data: st.DataObject) -> None:
        if not self.sent:
            return
        command = data.draw(st.sampled_from(self.sent))
        before = self.real.read_sync(SKUS)
        real, fake = self.real.apply([command], self.now), self.fake.apply([command], self.now)
        assert real == fake
        if not isinstance(command, RenewCart):
            assert real[0].outcome is Outcome.DUPLICATE
        assert self.real.read_sync(SKUS) == before

    @invariant()
    def both_stores_agree_and_atp_is_never_negative(self) -> None:
        stocks = self.real.read_sync(SKUS)
        assert stocks == self.fake.read_sync(SKUS)
        for stock in stocks.values():
            assert stock.network.atp >= 0
            assert all(s.atp >= 0 and s.reserved >= 0 and s.allocated >= 0 for s in stock.locations)

    @invariant()
    def reserved_is_the_live_holds_and_allocated_the_open_allocations(self) -> None:
        stocks = self.real.read_sync(SKUS)
        for sku in SKUS:
            held: dict[str, int] = {}
            for raw in self.client.hvals(f"{self.prefix}hold:{{{sku}}}"):
                where, quantity, expires = text(raw).split("|")
                assert int(expires) > self.now  # a hold past its expiry was released by the last run
                held[where] = held.get(where, 0) + int(quantity)
            allocated: dict[str, int] = {}
            for raw in self.client.hvals(f"{self.prefix}alloc:{{{sku}}}"):
                where, quantity = text(raw).split("|")
                allocated[where] = allocated.get(where, 0) + int(quantity)
            stock = stocks.get(sku)
            found = {s.location_id: (s.reserved, s.allocated) for s in stock.locations} if stock else {}
            for where in set(found) | set(held) | set(allocated):
                if where:
                    assert found.get(where, (0, 0)) == (held.get(where, 0), allocated.get(where, 0))
            assert (stock.network.reserved if stock else 0) == sum(
                q for where, q in held.items() if where == "" or NETWORK.serves_online(where)
            )
        # the skus by name after each step; every sku the store can find (a SCAN) once per example
        assert self.real.reconcile(SKUS) == []
        assert self.fake.reconcile(SKUS) == []

    def teardown(self) -> None:
        assert self.real.reconcile(None) == []
        assert self.fake.reconcile(None) == []


@pytest.mark.redis
def test_the_stock_rules_hold_on_random_command_streams(redis_client: redis.Redis) -> None:
    # One clean-up for the whole run, not one per example: a SCAN walks the whole database, whatever
    # else it holds, and 120 of them made this test take minutes on a Redis with 100k other keys.
    StockRules.client, StockRules.run_prefix = redis_client, f"t-stateful-{uuid.uuid4().hex[:8]}-"
    try:
        run_state_machine_as_test(
            StockRules,
            settings=settings(
                max_examples=120,
                stateful_step_count=50,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        delete_prefix(redis_client, StockRules.run_prefix)
