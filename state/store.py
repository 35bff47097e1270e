"""The Redis stock store: applies a batch of movements in one pipeline of Lua scripts, reads figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import redis
from redis.cluster import RedisCluster

from core.errors import EventsRefused
from core.ledger import DEDUPE_BUCKETS
from core.ledger_carts import BatchCarts
from core.movements import Command, MovementResult, RenewCart
from core.network import Network
from core.stock import SkuStock
from state import hold_calls, keys, lean_pipeline
from state.cluster_calls import ClusterScriptRunner
from state.decode import AtpMap, atp_figures, sku_stock
from state.reader import AsyncRedisStockReader
from state.redis_calls import Request, ScriptRunner, failed, text, unavailable
from state.replica_wait import NO_WAIT, ReplicaWait
from state.stock_calls import BatchCalls, Refusals, check_location, result_of
from state.upkeep import Upkeep

__all__ = ["AsyncRedisStockReader", "RedisStockStore"]


class RedisStockStore(Upkeep):
    """StockWriter on Redis: one hash per sku, one script call per movement, one round trip per batch
    (plus one for the due and cart indexes when the batch changed holds, and one before it to read
    the cart index when it renews carts)."""

    def __init__(
        self,
        client: redis.Redis | RedisCluster,
        prefix: str,
        network: Callable[[], Network],
        dedupe_window_s: int = 3600,
        count_window_s: int = 86400,
        wait: ReplicaWait = NO_WAIT,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self.prefix = prefix
        self.client = client  # shared with the order store and the change log (one pool)
        self._network = network
        bucket_ms = max(1, dedupe_window_s * 1000 // DEDUPE_BUCKETS)
        self._windows = (bucket_ms, dedupe_window_s * 1000 + bucket_ms, count_window_s * 1000)
        # One branch, here: a single Redis keeps its one lean pipeline per batch, a cluster one per node.
        self._runner: ScriptRunner | ClusterScriptRunner
        if isinstance(client, redis.Redis):
            self._runner = ScriptRunner(client, wait)
        else:
            self._runner = ClusterScriptRunner(client, wait)

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        """One result per command, in order; raises StoreUnavailable when Redis cannot be reached (or
        cannot run the scripts now: retry the batch), EventsRefused when some commands were refused
        (their input, checked here or by their script: each with its reason) and the others applied."""
        calls = BatchCalls(self._prefix, self._network(), now_ms, self._windows)
        batch, refused = BatchCarts(), Refusals()
        carts = self._cart_skus([m.cart_id for m in movements if isinstance(m, RenewCart)])
        plan = calls.plan(movements, carts, batch, refused)
        replies = self._run([(name, args) for commands in plan for name, args, _ in commands])
        results, follow = calls.answers(movements, plan, replies, carts, batch, refused)
        if follow.due or follow.carts:
            for reply in self._run(follow.commands(self._prefix)):
                failed(reply, "", "")
        if refused:
            raise EventsRefused(results, refused)
        return cast(list[MovementResult], results)

    def _cart_skus(self, carts: list[str]) -> dict[str, set[str]]:
        """Each distinct cart's index, read once for the batch."""
        distinct = list(dict.fromkeys(carts))
        if not distinct:
            return {}
        found = self._run([("!SMEMBERS", (keys.cart(self._prefix, cart),)) for cart in distinct])
        return {cart: {text(s) for s in skus} for cart, skus in zip(distinct, found, strict=True)}

    def set_safety_stock(
        self, sku: str, location_id: str, quantity: int | None, now_ms: int
    ) -> MovementResult:
        """Sets (or, with None, clears) the sku's safety stock at one location; now_ms is for symmetry
        with `apply` (the override is not time-dependent). Returns the location's new figures."""
        check_location(location_id, sku, "")
        network = self._network()
        args = [
            keys.stock(self._prefix, sku),
            location_id,
            "" if quantity is None else quantity,
            *hold_calls.settings(network, location_id),
        ]
        (reply,) = self._run([("safety_stock", (1, *args))])
        return result_of(sku, "", (location_id,), reply)

    def cart_holds(self, carts: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
        """(cart_id, sku) -> (location_id, quantity) of each hold that exists ("" = network-level);
        one round trip. The router adds a cart's own holds back to what its order may take."""
        with unavailable():
            pipe = self._client.pipeline(transaction=False)
            for cart_id, sku in carts:
                pipe.hget(keys.holds(self._prefix, sku), cart_id)
            values = pipe.execute()
        found: dict[tuple[str, str], tuple[str, int]] = {}
        for pair, value in zip(carts, values, strict=True):
            if value is not None:
                location_id, quantity, _expiry = text(value).split(keys.SEP)
                found[pair] = (location_id, int(quantity))
        return found

    def atp_views(self, skus: Sequence[str]) -> tuple[AtpMap, AtpMap]:
        """(online ATP, walk-in ATP) per (sku, location) of the skus, in one round trip: what the
        router reads, lighter than read_sync's full figures."""
        network = self._network()
        into: tuple[AtpMap, AtpMap] = ({}, {})
        prefix = self._prefix
        reads: list[lean_pipeline.Command] = [("HGETALL", keys.stock(prefix, sku)) for sku in skus]
        with unavailable():
            hashes = self._runner.read(reads)
        for sku, fields in zip(skus, hashes, strict=True):
            atp_figures(sku, fields, network, into)
        return into

    def read_sync(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        """The skus found, as the API shows them (for tools and tests; the API uses the async reader)."""
        network = self._network()
        with unavailable():
            pipe = self._client.pipeline(transaction=False)
            for sku in skus:
                pipe.hgetall(keys.stock(self._prefix, sku))
            hashes = pipe.execute()
        found = zip(skus, hashes, strict=True)
        stocks = ((sku, sku_stock(sku, fields, network)) for sku, fields in found if fields)
        return {sku: stock for sku, stock in stocks if stock.locations}

    def _run(self, requests: list[Request]) -> list[Any]:
        return self._runner.run(requests)
