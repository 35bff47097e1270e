"""The positions a stream of stock events implies by the contract, each event_id applied once (pure).

The fault suite's oracle: on_hand and in_transit per (sku, location) computed from the events sent,
never from what omnistock did. A count is modelled as the contract says, whatever the arrival order:
on_hand = the newest count (by occurred_at; the later sent on a tie) + every on_hand delta that
occurred after it; without a count, the sum of the deltas. Events are stamped in epoch ms.
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
        self._deltas: dict[Key, list[tuple[int, int]]] = {}  # on_hand deltas as (occurred_at, quantity)
        self._counts: dict[Key, tuple[int, int]] = {}  # the newest count as (occurred_at, on_hand)
        self._in_transit: Counter[Key] = Counter()
        self._transfers: dict[tuple[str, str], _Steps] = {}

    def apply(self, topic: str, event: Mapping[str, Any]) -> bool:
        """Apply one event of base topic `topic`; False when its event_id was already applied."""
        if event["event_id"] in self._seen:
            return False
        self._seen.add(event["event_id"])
        at, place = event["occurred_at"], event.get("location_id", "")
        if topic in DELTA_TOPICS:
            for line in event["lines"]:
                self._delta(line["sku"], place, at, DELTA_TOPICS[topic] * line["quantity"])
        elif topic == "returns.v1":
            for line in event["lines"]:
                if line["condition"] == "RESELLABLE":
                    self._delta(line["sku"], place, at, line["quantity"])
        elif topic == "stock.counts.v1":
            for line in event["lines"]:
                newest = self._counts.get((line["sku"], place))
                if newest is None or at >= newest[0]:
                    self._counts[line["sku"], place] = (at, line["on_hand"])
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
        touched = set(self._deltas) | set(self._counts) | set(self._in_transit)
        return {key: (self._on_hand(key), self._in_transit[key]) for key in touched}

    def _on_hand(self, key: Key) -> int:
        counted_at, counted = self._counts.get(key, (None, 0))
        deltas = self._deltas.get(key, [])
        return counted + sum(q for at, q in deltas if counted_at is None or at > counted_at)

    def _delta(self, sku: str, location_id: str, at: int, quantity: int) -> None:
        self._deltas.setdefault((sku, location_id), []).append((at, quantity))

    def _transfer_line(self, event: Mapping[str, Any], sku: str, quantity: int) -> None:
        steps = self._transfers.setdefault((event["transfer_id"], sku), _Steps())
        before = steps.effect()
        if event["status"] == "SHIPPED" and steps.shipped is None:
            steps.shipped = quantity
        elif event["status"] == "RECEIVED" and steps.received is None:
            steps.received = quantity
        elif event["status"] == "CANCELLED" and steps.received is None:
            steps.cancelled = True
        after, at = steps.effect(), event["occurred_at"]
        source, target = event["from_location_id"], event["to_location_id"]
        self._delta(sku, source, at, after[0] - before[0])
        self._in_transit[sku, target] += after[1] - before[1]
        self._delta(sku, target, at, after[2] - before[2])


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
