"""Hold upkeep on the Redis store: expiry (each hold released exactly once), reconciliation, backorder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import redis
from redis.cluster import RedisCluster

from core.movements import Drift, ExpiredHolds, ReleasedHold
from core.network import Network
from state import keys
from state.hold_calls import FollowUp, figures
from state.redis_calls import Request, failed, text, unavailable

EXPIRE_PER_SKU = 1000  # holds released per sku per visit; a sku with more stays due and is revisited
RECONCILE_CHUNK = 500


class Upkeep:
    """Mixed into RedisStockStore: the commands a periodic job or an operator calls."""

    _client: redis.Redis | RedisCluster
    _prefix: str
    _network: Callable[[], Network]

    def _run(self, requests: list[Request]) -> list[Any]:
        raise NotImplementedError  # the store's pipeline runner

    def expire_holds(self, now_ms: int, limit: int = 1000) -> list[ExpiredHolds]:
        """Visits up to `limit` skus with a hold due at now_ms (the due index) and releases each hold
        whose expiry is not after now_ms, in the sku's script: run by any number of workers, a hold
        is released once. Returns what was released with the figures to publish."""
        p = self._prefix
        due = self._run([("!ZRANGEBYSCORE", (keys.due(p), "-inf", now_ms, "LIMIT", 0, limit))])[0]
        failed(due, "", "")
        skus = [text(s) for s in due]
        if not skus:
            return []
        replies = self._run([("expire", (3, *_sku_keys(p, sku), now_ms, EXPIRE_PER_SKU)) for sku in skus])
        follow, found = FollowUp(), []
        for sku, reply in zip(skus, replies, strict=True):
            failed(reply, sku, "")
            follow.hold_changed(sku, int(reply[1]), int(reply[2]))
            n = int(reply[3])
            released = tuple(
                ReleasedHold(text(reply[i]), text(reply[i + 1]) or None, int(reply[i + 2]))
                for i in range(4, 4 + 3 * n, 3)
            )
            if released:
                found.append(ExpiredHolds(sku, released, figures(reply, 4 + 3 * n), int(reply[0])))
        self._run(follow.commands(p))
        return found

    def reconcile(self, skus: Sequence[str] | None = None) -> list[Drift]:
        """Recomputes reserved and allocated from the hold and allocation records (all skus with None),
        ATP and the network aggregates; repairs and returns every drift. Also rebuilds the skus' due
        entries (a crash between a hold script and its due-index write leaves one missing)."""
        chosen = sorted(self._all_skus() if skus is None else set(skus))
        drifts: list[Drift] = []
        for start in range(0, len(chosen), RECONCILE_CHUNK):
            chunk, p = chosen[start : start + RECONCILE_CHUNK], self._prefix
            calls = [("reconcile", (4, *_reconcile_keys(p, sku))) for sku in chunk]
            follow = FollowUp()
            for sku, reply in zip(chunk, self._run(calls), strict=True):
                failed(reply, sku, "")
                follow.hold_changed(sku, int(reply[0]), int(reply[1]))
                drifts += [
                    Drift(sku, text(reply[i]), text(reply[i + 1]), int(reply[i + 2]), int(reply[i + 3]))
                    for i in range(2, len(reply), 4)
                ]
            self._run(follow.commands(p))
        return drifts

    def set_backorder(self, sku: str, allowed: bool) -> None:
        """A backorder sku may be allocated beyond what is available (its ATP still shows 0, not less)."""
        stock = keys.stock(self._prefix, sku)
        command = ("!HSET", (stock, keys.SEP + "bo", "1")) if allowed else ("!HDEL", (stock, keys.SEP + "bo"))
        failed(self._run([command])[0], sku, "")

    def _all_skus(self) -> list[str]:
        head = keys.stock(self._prefix, "")[:-1]  # "<prefix>stock:{"
        with unavailable():
            found = self._client.scan_iter(match=head.replace("{", "\\{") + "*", count=1000)
            return [text(k)[len(head) : -1] for k in found]


def _sku_keys(prefix: str, sku: str) -> tuple[str, str, str]:
    return keys.stock(prefix, sku), keys.holds(prefix, sku), keys.hold_expiry(prefix, sku)


def _reconcile_keys(prefix: str, sku: str) -> tuple[str, str, str, str]:
    stock, holds, exps = _sku_keys(prefix, sku)
    return stock, holds, keys.allocations(prefix, sku), exps
