"""A shortage at a node as order transitions: which allocated lines give way, and their re-route.

When a count, a sale or a correction leaves a (sku, location) with more allocated than on hand, some
unshipped lines there must move. The newest allocations give way first, and they leave exactly as if
the node had rejected them (reason SHORTAGE), so they are never routed back to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.order_lifecycle import REJECTED, reject_each
from core.order_types import ChangeLine, FulfillmentChange, Order, Step

SHORTAGE = "SHORTAGE"


@dataclass(frozen=True, slots=True)
class AllocatedHere:
    """An order line allocated at the short (sku, location), and when it was allocated."""

    order_id: str
    line_id: str
    quantity: int
    allocated_at_ms: int
    picked: bool = False  # its units are in hand: a shelf count or sale cannot have taken them


def shortage_victims(
    on_hand: int, allocated: int, lines: Sequence[AllocatedHere]
) -> tuple[AllocatedHere, ...]:
    """Which lines to re-route so that allocated <= on_hand again: the newest allocations first, so the
    oldest orders keep their stock (they waited longest and are nearest to being picked). Picked lines
    are never chosen. Fewer than needed when the unpicked lines do not cover the excess."""
    excess = allocated - on_hand
    chosen: list[AllocatedHere] = []
    newest_first = sorted(lines, key=lambda a: (a.allocated_at_ms, a.order_id, a.line_id), reverse=True)
    for line in (a for a in newest_first if not a.picked):
        if excess <= 0:
            break
        chosen.append(line)
        excess -= line.quantity
    return tuple(chosen)


def shortage_reroute(
    order: Order, location_id: str, line_ids: Iterable[str], event_id: str, now_ms: int
) -> Step:
    """Lines chosen by `shortage_victims` leave their unshipped shipment at `location_id` and are
    re-routed elsewhere, as if the node had rejected them (reason SHORTAGE)."""
    wanted, changes = set(line_ids), []
    for s in order.shipments:
        named = tuple(
            ChangeLine(line.sku, line.quantity, line.line_id) for line in s.lines if line.line_id in wanted
        )
        if s.location_id == location_id and s.live and not s.shipped and named:
            change_id = f"{event_id}:{s.shipment_id}"
            changes.append(
                (
                    s,
                    FulfillmentChange(
                        change_id, s.shipment_id, location_id, REJECTED, now_ms, named, SHORTAGE
                    ),
                )
            )
    return reject_each(order, changes)
