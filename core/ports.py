"""The ports of the domain: what it needs from the stock store, each with a real and a fake adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.movements import Command, MovementResult
from core.stock import SkuStock


class StockWriter(Protocol):
    """Applies commands (stock movements, holds, allocations) atomically and idempotently, all of a
    batch in one round trip."""

    def apply(self, movements: Sequence[Command], now_ms: int) -> list[MovementResult]:
        """One result per movement, in order."""
        ...


class StockReader(Protocol):
    """Reads the stock table for the storefront API."""

    async def read_many(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        """The skus found; a sku never seen is absent from the answer."""
        ...

    async def ping(self) -> bool:
        """True when the store answers."""
        ...
