"""The positions a stream of stock events implies by the contract, each event_id applied once (pure).

The fault suite's oracle: on_hand and in_transit per (sku, location) computed from the events sent,
never from what omnistock did. Counts are not modelled (a count's effect depends on every delta's
occurred_at around it): the oracle refuses them rather than guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str]  # (sku, location_id)
Position = tuple[int, int]  # (on_hand, in_transit)
DELTA_TOPICS = {"pos.sales.v1": -1, "stock.receipts.v1": 1, "stock.adjustments.v1": 1}


@dataclass
class _Steps:
    """The steps seen of one (transfer_id, sku): its effect is a function of them, whatever the order."""

    shipped: int | None = None
    received: int | None = None
    cancelled: bool = False

    def effect(self) -> tuple[int, int, int]:
        """(on_hand of from, in_transit of to, on_hand of to) this transfer has caused so far."""
        if self.received is not None:
            return -(self.shipped or 0), 0, self.received
        if self.shipped is not None and not self.cancelled:
            return -self.shipped, self.shipped, 0
        return 0, 0, 0


class StockOracle:
    """Feed it every event sent (`apply`), duplicates included; `positions` is what the store must hold."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._on_hand: Counter[Key] = Counter()
        self._in_transit: Counter[Key] = Counter()
        self._transfers: dict[tuple[str, str], _Steps] = {}

    def apply(self, topic: str, event: Mapping[str, Any]) -> bool:
        """Apply one event of base topic `topic`; False when its event_id was already applied."""
        if topic == "stock.counts.v1":
            raise ValueError("the oracle does not model counts")
        if event["event_id"] in self._seen:
            return False
        self._seen.add(event["event_id"])
        if topic in DELTA_TOPICS:
            for line in event["lines"]:
                self._on_hand[line["sku"], event["location_id"]] += DELTA_TOPICS[topic] * line["quantity"]
        elif topic == "returns.v1":
            for line in event["lines"]:
                if line["condition"] == "RESELLABLE":
                    self._on_hand[line["sku"], event["location_id"]] += line["quantity"]
        elif topic == "stock.transfers.v1":
            for line in event["lines"]:
                self._transfer_line(event, line["sku"], line["quantity"])
        else:
            raise ValueError(f"not a stock topic: {topic}")
        return True

    def apply_all(self, events: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Apply (topic, event) pairs in order; the number of events applied (duplicates not counted)."""
        return sum(self.apply(topic, event) for topic, event in events)

    @property
    def applied(self) -> int:
        return len(self._seen)

    def positions(self) -> dict[Key, Position]:
        """Every position an event touched (zeros included)."""
        touched = set(self._on_hand) | set(self._in_transit)
        return {key: (self._on_hand[key], self._in_transit[key]) for key in touched}

    def _transfer_line(self, event: Mapping[str, Any], sku: str, quantity: int) -> None:
        steps = self._transfers.setdefault((event["transfer_id"], sku), _Steps())
        before = steps.effect()
        if event["status"] == "SHIPPED" and steps.shipped is None:
            steps.shipped = quantity
        elif event["status"] == "RECEIVED" and steps.received is None:
            steps.received = quantity
        elif event["status"] == "CANCELLED" and steps.received is None:
            steps.cancelled = True
        after = steps.effect()
        source, target = event["from_location_id"], event["to_location_id"]
        self._on_hand[sku, source] += after[0] - before[0]
        self._in_transit[sku, target] += after[1] - before[1]
        self._on_hand[sku, target] += after[2] - before[2]


def differences(
    expected: Mapping[Key, Position], actual: Mapping[Key, Position]
) -> dict[Key, tuple[Position, Position]]:
    """The positions that differ, as (expected, actual); a position absent from one side counts as (0, 0)."""
    keys = set(expected) | set(actual)
    pairs = {key: (expected.get(key, (0, 0)), actual.get(key, (0, 0))) for key in keys}
    return {key: pair for key, pair in pairs.items() if pair[0] != pair[1]}


def units_below_and_above(diff: Mapping[Key, tuple[Position, Position]]) -> tuple[int, int]:
    """Units the store holds below the oracle and above it, summed over on_hand and in_transit."""
    lost = extra = 0
    for (want_oh, want_it), (got_oh, got_it) in diff.values():
        for delta in (got_oh - want_oh, got_it - want_it):
            lost, extra = lost + max(0, -delta), extra + max(0, delta)
    return lost, extra
