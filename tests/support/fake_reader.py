"""An in-memory StockReader for API tests: a dict of SkuStock, a switchable ping, an optional failure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.stock import LocationStock, NetworkStock, SkuStock


class FakeReader:
    """Implements core.ports.StockReader over a dict; records the skus of every read."""

    def __init__(self, stocks: Iterable[SkuStock] = ()) -> None:
        self.stocks = {stock.sku: stock for stock in stocks}
        self.reads: list[list[str]] = []
        self.alive = True
        self.ping_error: Exception | None = None
        self.read_error: Exception | None = None

    async def read_many(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        self.reads.append(list(skus))
        if self.read_error is not None:
            raise self.read_error
        return {sku: self.stocks[sku] for sku in skus if sku in self.stocks}

    async def ping(self) -> bool:
        if self.ping_error is not None:
            raise self.ping_error
        return self.alive


def sku_stock(sku: str, *locations: LocationStock) -> SkuStock:
    """A sku whose network figures are the sum over the given locations."""
    network = NetworkStock(
        on_hand=sum(loc.on_hand for loc in locations),
        in_transit=sum(loc.in_transit for loc in locations),
        reserved=sum(loc.reserved for loc in locations),
        allocated=sum(loc.allocated for loc in locations),
        atp=sum(loc.atp for loc in locations),
    )
    return SkuStock(sku=sku, locations=locations, network=network)
