"""Which skus a cart renewal visits, given what the earlier commands of its batch did to the cart.

Both stores expand a RenewCart with this one rule, so they renew the same holds and answer alike:
- a line set (or renewed) earlier in the batch with the same TTL is skipped: its expiry is already
  now + TTL, a renewal would change nothing;
- a sku an earlier command of the same event touched is skipped (the part would be a duplicate:
  the cart mapper sends a LINE_SET as a SetHold and a RenewCart under one event id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.movements import Allocate, Command, MovementResult, Outcome, ReleaseHold, RenewCart, SetHold


@dataclass(slots=True)
class BatchCarts:
    """What one batch's earlier commands did to carts (fed in order, before each renewal is expanded)."""

    set_in_batch: dict[str, set[str]] = field(default_factory=dict)  # cart -> skus SetHold in the batch
    fresh: dict[str, dict[str, int]] = field(default_factory=dict)  # cart -> sku -> ttl of that SetHold
    touched: set[tuple[str, str]] = field(default_factory=set)  # (event_id, sku)
    seen_events: set[str] = field(default_factory=set)  # event ids answered DUPLICATE, or renewals

    def planned(self, m: Command) -> None:
        """Notes a per-sku command before it runs (what a renewal after it may skip)."""
        if isinstance(m, RenewCart):
            return
        if isinstance(m, SetHold):
            self.set_in_batch.setdefault(m.cart_id, set()).add(m.sku)
            self.fresh.setdefault(m.cart_id, {})[m.sku] = m.ttl_ms
        elif isinstance(m, ReleaseHold | Allocate) and m.cart_id:
            self.fresh.get(m.cart_id, {}).pop(m.sku, None)
        self.touched.add((m.event_id, m.sku))

    def renewal(self, m: RenewCart, held: Iterable[str]) -> list[str]:
        """The skus the renewal visits, sorted: `held` (plus the cart's lines set in this batch)
        less the skipped ones. Call it when the renewal is reached, in batch order."""
        candidates = set(held) | self.set_in_batch.get(m.cart_id, set())
        fresh = self.fresh.setdefault(m.cart_id, {})
        visits = sorted(
            sku for sku in candidates if fresh.get(sku) != m.ttl_ms and (m.event_id, sku) not in self.touched
        )
        for sku in candidates:
            if (m.event_id, sku) not in self.touched:
                fresh[sku] = m.ttl_ms  # expires now + this TTL: a later renewal with it need not visit
        return visits

    def answered(self, m: Command, result: MovementResult) -> None:
        """Notes a command's result: a later renewal of the same event with nothing to renew is a
        duplicate if this one was (or was itself a renewal: the same cart event twice)."""
        if result.outcome is Outcome.DUPLICATE or isinstance(m, RenewCart):
            self.seen_events.add(result.event_id)


def renewed(m: RenewCart, outcomes: Iterable[Outcome], batch: BatchCarts) -> MovementResult:
    """The one result of a cart renewal (sku "", granted = holds whose expiry it moved): DUPLICATE
    when nothing was renewed and the event was seen before (a part was a duplicate, or an earlier
    command of the same event in the batch was, or was this renewal); otherwise APPLIED, also with
    nothing to renew (no NOT_FOUND: a cart event for a cart with no other hold is normal)."""
    found = list(outcomes)
    count = found.count(Outcome.APPLIED)
    seen = Outcome.DUPLICATE in found or m.event_id in batch.seen_events
    outcome = Outcome.DUPLICATE if not count and seen else Outcome.APPLIED
    return MovementResult(outcome, "", m.event_id, (), 0, count)
