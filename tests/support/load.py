"""A deterministic stream of stock events (every kind, counts included, duplicates re-sent on purpose).

Pure: the same seed, start time and shape give the same stream. Each event is keyed as the contract
says (location_id, transfer_id, return_id). A count is stamped up to 3 s before it is sent, so deltas
that occurred after it on other topics arrive before or after it: the case the count rule is for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sent:
    """One record to produce: base topic, key, JSON value (a duplicate is the same object again)."""

    topic: str
    key: str
    value: dict[str, Any]


@dataclass(frozen=True)
class Shape:
    skus: tuple[str, ...] = tuple(f"SKU-{n:03d}" for n in range(50))
    warehouses: tuple[str, ...] = ("WH-1", "WH-2")
    stores: tuple[str, ...] = ("ST-1", "ST-2", "ST-3")
    duplicate_share: float = 0.04


@dataclass
class _Builder:
    rng: random.Random
    shape: Shape
    open_transfers: list[dict[str, Any]] = field(default_factory=list)

    def lines(self, low: int, high: int, signed: bool = False) -> list[dict[str, Any]]:
        skus = self.rng.sample(self.shape.skus, self.rng.randint(1, 3))
        quantities = [self.rng.randint(low, high) * (self.rng.choice((-1, 1)) if signed else 1) for _ in skus]
        return [{"sku": sku, "quantity": q} for sku, q in zip(skus, quantities, strict=True)]

    def anywhere(self) -> str:
        return self.rng.choice(self.shape.warehouses + self.shape.stores)

    def event(self, number: int, occurred_ms: int) -> Sent:
        head = {"event_id": f"ev-{number}", "occurred_at": occurred_ms}
        roll = self.rng.random()
        if roll < 0.25:
            place = self.anywhere()
            return Sent(
                "stock.receipts.v1", place, {**head, "location_id": place, "lines": self.lines(5, 40)}
            )
        if roll < 0.60:
            place = self.rng.choice(self.shape.stores)
            return Sent("pos.sales.v1", place, {**head, "location_id": place, "lines": self.lines(1, 3)})
        if roll < 0.66:
            place = self.anywhere()
            value = {**head, "location_id": place, "lines": self.lines(1, 4, signed=True), "reason": "OTHER"}
            return Sent("stock.adjustments.v1", place, value)
        if roll < 0.70:
            return self.count(head)
        if roll < 0.80:
            return self.returned(number, head)
        return self.transfer(number, head)

    def count(self, head: dict[str, Any]) -> Sent:
        place = self.anywhere()
        lines = [{"sku": line["sku"], "on_hand": line["quantity"]} for line in self.lines(0, 60)]
        counted_at = head["occurred_at"] - self.rng.randint(0, 3000)
        return Sent(
            "stock.counts.v1",
            place,
            {**head, "occurred_at": counted_at, "location_id": place, "lines": lines},
        )

    def returned(self, number: int, head: dict[str, Any]) -> Sent:
        place = self.anywhere()
        lines = [
            {**line, "condition": self.rng.choice(("RESELLABLE", "DAMAGED"))} for line in self.lines(1, 2)
        ]
        return Sent(
            "returns.v1",
            f"RT-{number}",
            {**head, "return_id": f"RT-{number}", "location_id": place, "lines": lines},
        )

    def transfer(self, number: int, head: dict[str, Any]) -> Sent:
        """A new transfer SHIPPED, or an open one RECEIVED (3 in 4) or CANCELLED (same key: in order)."""
        if self.open_transfers and self.rng.random() < 0.5:
            shipped = self.open_transfers.pop(self.rng.randrange(len(self.open_transfers)))
            status = "RECEIVED" if self.rng.random() < 0.75 else "CANCELLED"
            return Sent("stock.transfers.v1", shipped["transfer_id"], {**shipped, **head, "status": status})
        source = self.rng.choice(self.shape.warehouses)
        value = {
            **head,
            "transfer_id": f"TR-{number}",
            "status": "SHIPPED",
            "from_location_id": source,
            "to_location_id": self.rng.choice(self.shape.stores),
            "lines": self.lines(1, 10),
        }
        self.open_transfers.append(value)
        return Sent("stock.transfers.v1", value["transfer_id"], value)


def stock_stream(
    seed: int, events: int, start_ms: int, step_ms: float, shape: Shape | None = None
) -> list[Sent]:
    """`events` distinct events stamped start_ms + i * step_ms, with copies of earlier ones re-sent
    (`duplicate_share` of the stream, on top): the records to produce, in order."""
    rng = random.Random(seed)
    builder = _Builder(rng, shape or Shape())
    stream: list[Sent] = []
    for number in range(events):
        stream.append(builder.event(number, start_ms + int(number * step_ms)))
        if rng.random() < builder.shape.duplicate_share:
            stream.append(stream[rng.randrange(len(stream))])
    return stream
