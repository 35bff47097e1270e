"""An order's line and its status: what every order module speaks of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    ROUTED = "ROUTED"
    PARTIALLY_ROUTED = "PARTIALLY_ROUTED"
    BACKORDERED = "BACKORDERED"
    UNFULFILLABLE = "UNFULFILLABLE"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int


def line_ids(lines: Sequence[OrderLine]) -> tuple[str, ...]:
    """The lines' ids, in order (e.g. the lines a routing result leaves unroutable)."""
    return tuple(line.line_id for line in lines)
