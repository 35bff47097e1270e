"""The Redis stock store: applies a batch of movements in one pipeline of Lua scripts, reads figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

from core.errors import EventsRefused, InvalidEvent, StoreUnavailable
from core.ledger import DEDUPE_BUCKETS
from core.ledger_carts import BatchCarts
from core.movements import (
    AdjustOnHand,
    Command,
    LocationFigures,
    Movement,
    MovementResult,
    MoveTransfer,
    Outcome,
    RecordCount,
    RenewCart,
)
from core.network import Network
from core.stock import SkuStock
from state import hold_calls, keys, lean_pipeline
from state.decode import AtpMap, atp_figures, sku_stock
from state.reader import AsyncRedisStockReader
from state.scripts import Scripts
from state.upkeep import Upkeep

__all__ = ["AsyncRedisStockReader", "RedisStockStore"]

OUTCOMES = tuple(Outcome)  # the scripts' outcome codes are the positions in Outcome
Call = tuple[str, tuple[Any, ...], tuple[str, ...]]  # script name, (numkeys, *keys, *args), locations
Refusals = dict[int, tuple[str, str]]  # index of a refused command -> (reason code, message)


class RedisStockStore(Upkeep):
    """StockWriter on Redis: one hash per sku, one script call per movement, one round trip per batch
    (plus one for the due and cart indexes when the batch changed holds, and one before it to read
    the cart index when it renews carts)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        network: Callable[[], Network],
        dedupe_window_s: int = 3600,
        count_window_s: int = 86400,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self.prefix = prefix
        self.client = client  # shared with the order store and the change log (one pool)
        self._network = network
        self._bucket_ms = max(1, dedupe_window_s * 1000 // DEDUPE_BUCKETS)
        self._dedupe_ttl_ms = dedupe_window_s * 1000 + self._bucket_ms
        self._count_window_ms = count_window_s * 1000
        self._scripts = Scripts()

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        """One result per command, in order; raises StoreUnavailable when Redis cannot be reached (or
        cannot run the scripts now: retry the batch), EventsRefused when some commands were refused
        (their input, checked here or by their script: each with its reason) and the others applied."""
        calls, batch, refused = _Calls(self, now_ms), BatchCarts(), Refusals()
        carts = self._cart_skus([m.cart_id for m in movements if isinstance(m, RenewCart)])
        plan: list[list[Call]] = []
        for i, m in enumerate(movements):
            try:
                plan.append(calls.commands(m, carts, batch))
            except InvalidEvent as error:  # nothing sent for it: the others go on
                refused[i] = (error.code, error.message)
                plan.append([])
                continue
            batch.planned(m)
        replies = self._run([(name, args) for commands in plan for name, args, _ in commands])
        results, follow = self._answers(movements, plan, replies, carts, batch, refused)
        if follow.due or follow.carts:
            for reply in self._run(follow.commands(self._prefix)):
                hold_calls.failed(reply, "", "")
        if refused:
            raise EventsRefused(results, refused)
        return cast(list[MovementResult], results)

    @staticmethod
    def _answers(
        movements: Sequence[Command],
        plan: list[list[Call]],
        replies: list[Any],
        carts: dict[str, set[str]],
        batch: BatchCarts,
        refused: Refusals,
    ) -> tuple[list[MovementResult | None], hold_calls.FollowUp]:
        """Each command's result from its replies (None for a refused one, refused here or before)."""
        results: list[MovementResult | None] = []
        follow, at = hold_calls.FollowUp(carts), 0
        for i, (m, commands) in enumerate(zip(movements, plan, strict=True)):
            part, at = replies[at : at + len(commands)], at + len(commands)
            try:
                if refused and i in refused:
                    result = None
                elif isinstance(m, RenewCart):
                    result = hold_calls.renewal_result(m, commands, part, follow, batch)
                elif isinstance(m, AdjustOnHand | RecordCount | MoveTransfer):
                    result = _result(m, commands[0][2], part[0])
                else:
                    result = hold_calls.result(m, part[0], follow)
            except InvalidEvent as error:  # an error reply to this call: refused by its script
                refused[i], result = (error.code, error.message), None
            results.append(result)
            if result is not None:
                batch.answered(m, result)
        return results, follow

    def _cart_skus(self, carts: list[str]) -> dict[str, set[str]]:
        """Each distinct cart's index, read once for the batch."""
        distinct = list(dict.fromkeys(carts))
        if not distinct:
            return {}
        found = self._run([("!SMEMBERS", (keys.cart(self._prefix, cart),)) for cart in distinct])
        return {cart: {hold_calls.text(s) for s in skus} for cart, skus in zip(distinct, found, strict=True)}

    def set_safety_stock(
        self, sku: str, location_id: str, quantity: int | None, now_ms: int
    ) -> MovementResult:
        """Sets (or, with None, clears) the sku's safety stock at one location; now_ms is for symmetry
        with `apply` (the override is not time-dependent). Returns the location's new figures."""
        _check_location(location_id, sku, "")
        network = self._network()
        args = [
            keys.stock(self._prefix, sku),
            location_id,
            "" if quantity is None else quantity,
            *hold_calls.settings(network, location_id),
        ]
        (reply,) = self._run([("safety_stock", (1, *args))])
        return _result_of(sku, "", (location_id,), reply)

    def cart_holds(self, carts: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
        """(cart_id, sku) -> (location_id, quantity) of each hold that exists ("" = network-level);
        one round trip. The router adds a cart's own holds back to what its order may take."""
        try:
            pipe = self._client.pipeline(transaction=False)
            for cart_id, sku in carts:
                pipe.hget(keys.holds(self._prefix, sku), cart_id)
            values = pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise StoreUnavailable("redis unreachable", error=str(error)) from error
        found: dict[tuple[str, str], tuple[str, int]] = {}
        for pair, value in zip(carts, values, strict=True):
            if value is not None:
                location_id, quantity, _expiry = hold_calls.text(value).split(keys.SEP)
                found[pair] = (location_id, int(quantity))
        return found

    def atp_views(self, skus: Sequence[str]) -> tuple[AtpMap, AtpMap]:
        """(online ATP, walk-in ATP) per (sku, location) of the skus, in one round trip: what the
        router reads, lighter than read_sync's full figures."""
        network = self._network()
        into: tuple[AtpMap, AtpMap] = ({}, {})
        prefix = self._prefix
        reads: list[lean_pipeline.Command] = [("HGETALL", keys.stock(prefix, sku)) for sku in skus]
        try:
            hashes = lean_pipeline.run(self._client, reads, raise_on_error=True)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise StoreUnavailable("redis unreachable", error=str(error)) from error
        for sku, fields in zip(skus, hashes, strict=True):
            atp_figures(sku, fields, network, into)
        return into

    def read_sync(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        """The skus found, as the API shows them (for tools and tests; the API uses the async reader)."""
        network = self._network()
        try:
            pipe = self._client.pipeline(transaction=False)
            for sku in skus:
                pipe.hgetall(keys.stock(self._prefix, sku))
            hashes = pipe.execute()
        except redis.ConnectionError as error:
            raise StoreUnavailable("redis unreachable", error=str(error)) from error
        found = zip(skus, hashes, strict=True)
        stocks = ((sku, sku_stock(sku, fields, network)) for sku, fields in found if fields)
        return {sku: stock for sku, stock in stocks if stock.locations}

    def _run(self, commands: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Runs EVALSHA for each (script, (numkeys, *keys_and_args)) in one pipeline; reloads the
        scripts and reruns only the failed calls after NOSCRIPT (a Redis restart empties its cache)."""
        replies: list[Any] = [None] * len(commands)
        pending = list(range(len(commands)))
        for _attempt in range(2):
            try:
                shas = self._scripts.shas(self._client)
                calls: list[lean_pipeline.Command] = []
                for i in pending:
                    name, args = commands[i]
                    if name.startswith("!"):  # a plain command (follow-up writes, index reads)
                        calls.append((name[1:], *args))
                    else:
                        calls.append(("EVALSHA", shas[name], *args))
                answers = lean_pipeline.run(self._client, calls)
            except (redis.ConnectionError, redis.TimeoutError) as error:
                raise StoreUnavailable("redis unreachable", error=str(error)) from error
            retry = []
            for i, answer in zip(pending, answers, strict=True):
                replies[i] = answer
                if isinstance(answer, redis.exceptions.NoScriptError):
                    retry.append(i)
            if not retry:
                return replies
            self._scripts.load(self._client)
            pending = retry
        raise StoreUnavailable("scripts could not be loaded", missing=len(pending))


class _Calls:
    """Builds the script call of each movement of one batch (keys, arguments, touched locations)."""

    def __init__(self, store: RedisStockStore, now_ms: int) -> None:
        self.prefix = store._prefix
        self.network = store._network()
        self.now_ms = now_ms
        bucket = now_ms // store._bucket_ms
        self.suffixes = [str(bucket - i) for i in range(DEDUPE_BUCKETS + 1)]
        self.common = (store._dedupe_ttl_ms, store._count_window_ms, len(self.suffixes))

    def head(self, sku: str) -> list[Any]:
        base = keys.dedupe_base(self.prefix, sku)
        return [keys.stock(self.prefix, sku), *[base + s for s in self.suffixes]]

    def commands(self, m: Command, carts: dict[str, set[str]], batch: BatchCarts) -> list[Call]:
        if isinstance(m, RenewCart):
            return hold_calls.renewal(m, batch.renewal(m, carts.get(m.cart_id, set())), self)
        if isinstance(m, AdjustOnHand | RecordCount | MoveTransfer):
            return [self.command(m)]
        return [hold_calls.command(m, self)]

    def location(self, location_id: str) -> tuple[int, int, int]:
        """The settings of a location an event names ("": the network), refused when unknown."""
        if location_id:
            self.network.check_known(location_id)
        return hold_calls.settings(self.network, location_id)

    def command(self, m: Movement) -> Call:
        if not m.event_id:
            raise InvalidEvent("empty event_id", sku=m.sku)
        common = (m.event_id, self.now_ms, m.occurred_at_ms, *self.common)
        if isinstance(m, AdjustOnHand):
            return self.adjust(m, common)
        if isinstance(m, RecordCount):
            _check_location(m.location_id, m.sku, m.event_id)
            ks = [*self.head(m.sku), keys.delta_log(self.prefix, m.sku, m.location_id)]
            args = (*common, m.location_id, m.on_hand, *self.location(m.location_id))
            return "count", (len(ks), *ks, *args), (m.location_id,)
        return self.transfer(m, common)

    def adjust(self, m: AdjustOnHand, common: tuple[Any, ...]) -> Call:
        ks = self.head(m.sku)
        args: list[Any] = [*common, len(m.deltas)]
        for delta in m.deltas:
            _check_location(delta.location_id, m.sku, m.event_id)
            ks.append(keys.delta_log(self.prefix, m.sku, delta.location_id))
            args += (delta.location_id, delta.quantity, *self.location(delta.location_id))
        return "adjust", (len(ks), *ks, *args), tuple(d.location_id for d in m.deltas)

    def transfer(self, m: MoveTransfer, common: tuple[Any, ...]) -> Call:
        p, sku, src, dst = self.prefix, m.sku, m.from_location_id, m.to_location_id
        _check_location(src, sku, m.event_id)
        _check_location(dst, sku, m.event_id)
        ks = [*self.head(m.sku), keys.transfers(p, sku), keys.transfers_closed(p, sku)]
        ks += (keys.delta_log(p, sku, src), keys.delta_log(p, sku, dst))
        args = (*common, m.transfer_id, m.status.value, src, dst, m.quantity)
        args += (*self.location(src), *self.location(dst))
        return "transfer", (len(ks), *ks, *args), (src, dst)


def _check_location(location_id: str, sku: str, event_id: str) -> None:
    if not location_id or keys.SEP in location_id:
        raise InvalidEvent("location_id must be non-empty without '|'", sku=sku, event_id=event_id)


def _result(m: Movement, locations: tuple[str, ...], reply: Any) -> MovementResult:
    return _result_of(m.sku, m.event_id, locations, reply)


def _result_of(sku: str, event_id: str, locations: tuple[str, ...], reply: Any) -> MovementResult:
    hold_calls.failed(reply, sku, event_id)
    figures = tuple(
        LocationFigures(locations[reply[i] - 1], *reply[i + 1 : i + 7]) for i in range(2, len(reply), 7)
    )
    return MovementResult(OUTCOMES[reply[0]], sku, event_id, figures, reply[1])
