"""The async stock reader for the API: one HGETALL per sku, pipelined when there are several.

On a Redis Cluster the pipeline is redis-py's cluster pipeline: the reads grouped by the node of each
sku's slot, one round trip per node, the nodes concurrently."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import redis.asyncio
import redis.asyncio.cluster

from core.network import Network
from core.stock import SkuStock
from state import keys
from state.decode import sku_stock
from state.read_deadline import read_deadline
from state.redis_calls import REDIS_DOWN

Fields = Mapping[bytes | str, bytes | str]  # one HGETALL answer (bytes names with hiredis)


class AsyncRedisStockReader:
    """StockReader on Redis; a sku whose hash does not exist is absent from the answer. A read that
    takes longer than `deadline_s` (None: no bound) raises StoreUnavailable, as a Redis failure does."""

    def __init__(
        self,
        client: redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster,
        prefix: str,
        network: Callable[[], Network],
        deadline_s: float | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._network = network
        self._deadline_s = deadline_s

    async def read_many(self, skus: Sequence[str]) -> dict[str, SkuStock]:
        network = self._network()
        async with read_deadline(self._deadline_s):
            hashes = await self._read_hashes(skus)
        found = zip(skus, hashes, strict=True)
        stocks = ((sku, sku_stock(sku, fields, network)) for sku, fields in found if fields)
        return {sku: stock for sku, stock in stocks if stock.locations}

    async def _read_hashes(self, skus: Sequence[str]) -> list[Fields]:
        if len(skus) == 1:  # the storefront's GET: a pipeline object costs more than the read
            return [await self._client.hgetall(keys.stock(self._prefix, skus[0]))]
        async with self._client.pipeline(transaction=False) as pipe:
            for sku in skus:
                pipe.hgetall(keys.stock(self._prefix, sku))
            hashes: list[Fields] = await pipe.execute()
        return hashes

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except REDIS_DOWN:
            return False
