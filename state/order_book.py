"""The order book: how each order line was allocated, for its shipments and cancellations.

One hash per order (`{prefix}order:{order_id}`, field line_id -> "sku|location|quantity"); a batch
of orders is read or written in one pipeline. The in-memory book is its fake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis

from core.allocation import AllocatedLine
from core.errors import StoreUnavailable

SEP = "|"


def _key(prefix: str, order_id: str) -> str:
    return f"{prefix}order:{{{order_id}}}"


def _parse(fields: Mapping[bytes, bytes]) -> list[AllocatedLine]:
    lines = []
    for line_id, value in sorted(fields.items()):
        sku, location_id, quantity = value.decode().rsplit(SEP, 2)
        lines.append(AllocatedLine(line_id.decode(), sku, location_id, int(quantity)))
    return lines


class RedisOrderBook:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client, self._prefix = client, prefix

    def lines(self, order_ids: Sequence[str]) -> dict[str, list[AllocatedLine]]:
        """The allocated lines of each order known to the book (unknown orders are absent)."""
        try:
            pipe = self._client.pipeline(transaction=False)
            for order_id in order_ids:
                pipe.hgetall(_key(self._prefix, order_id))
            answers = pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise StoreUnavailable("redis unreachable", error=str(error)) from error
        return {
            order_id: _parse(fields) for order_id, fields in zip(order_ids, answers, strict=True) if fields
        }

    def remember(self, orders: Mapping[str, Sequence[AllocatedLine]]) -> None:
        try:
            pipe = self._client.pipeline(transaction=False)
            for order_id, lines in orders.items():
                values = {
                    line.line_id: SEP.join((line.sku, line.location_id, str(line.quantity))) for line in lines
                }
                if values:
                    pipe.hset(_key(self._prefix, order_id), mapping=values)  # type: ignore[arg-type]
            pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise StoreUnavailable("redis unreachable", error=str(error)) from error


class InMemoryOrderBook:
    def __init__(self) -> None:
        self._orders: dict[str, dict[str, AllocatedLine]] = {}

    def lines(self, order_ids: Sequence[str]) -> dict[str, list[AllocatedLine]]:
        return {
            o: sorted(self._orders[o].values(), key=lambda line: line.line_id)
            for o in order_ids
            if o in self._orders
        }

    def remember(self, orders: Mapping[str, Sequence[AllocatedLine]]) -> None:
        for order_id, lines in orders.items():
            self._orders.setdefault(order_id, {}).update({line.line_id: line for line in lines})
