"""The in-memory stock store: the pure Ledger behind the StockWriter and StockReader ports (the fake)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.ledger import Ledger
from core.movements import Command, Drift, ExpiredHolds, MovementResult
from core.network import Network
from core.promise_atp import channel_atp
from core.stock import SkuLocation, SkuStock


class InMemoryStockStore:
    """Same outcomes and figures as RedisStockStore, without Redis (tests, `omnistock dev` dry runs)."""

    def __init__(
        self, network: Callable[[], Network], dedupe_window_s: int = 3600, count_window_s: int = 86400
    ) -> None:
        self.ledger = Ledger(network, dedupe_window_s, count_window_s)
        self._network = network

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        return self.ledger.apply(movements, now_ms)

    def set_safety_stock(
        self, sku: str, location_id: str, quantity: int | None, now_ms: int
    ) -> MovementResult:
        return self.ledger.set_safety_stock(sku, location_id, quantity)

    def expire_holds(self, now_ms: int, limit: int = 1000) -> list[ExpiredHolds]:
        return self.ledger.expire_holds(now_ms, limit)

    def reconcile(self, skus: Sequence[str] | None = None) -> list[Drift]:
        return self.ledger.reconcile(skus)

    def set_backorder(self, sku: str, allowed: bool) -> None:
        self.ledger.set_backorder(sku, allowed)

    def cart_holds(self, carts: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
        found: dict[tuple[str, str], tuple[str, int]] = {}
        for cart_id, sku in carts:
            state = self.ledger.state(sku)
            hold = state.holds.get(cart_id) if state is not None else None
            if hold is not None:
                found[(cart_id, sku)] = (hold.location_id, hold.quantity)
        return found

    def atp_views(self, skus: Sequence[str]) -> tuple[dict[SkuLocation, int], dict[SkuLocation, int]]:
        stocks, network = self.read_sync(skus), self._network()
        return channel_atp(stocks, network), channel_atp(stocks, network, walk_in=True)

    def read_sync(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        found = {sku: self.ledger.read(sku) for sku in skus}
        return {sku: stock for sku, stock in found.items() if stock is not None}

    async def read_many(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        return self.read_sync(skus)

    async def ping(self) -> bool:
        return True
