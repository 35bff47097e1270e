"""Stock movements: what one input event asks of one sku, the unit the stock store applies atomically.

An event with several lines becomes one movement per sku (lines of the same sku and location are
summed), so each movement touches the keys of a single sku and runs as one script on Redis Cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TransferStatus(StrEnum):
    SHIPPED = "SHIPPED"
    RECEIVED = "RECEIVED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class OnHandDelta:
    """on_hand += quantity at one location (sales are negative, receipts and returns positive)."""

    location_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AdjustOnHand:
    """POS sale, receipt, adjustment or return of one sku: signed on-hand deltas, subject to counts."""

    event_id: str
    sku: str
    occurred_at_ms: int
    deltas: tuple[OnHandDelta, ...]


@dataclass(frozen=True, slots=True)
class RecordCount:
    """An absolute count of one sku at one location, taken at `occurred_at_ms`."""

    event_id: str
    sku: str
    occurred_at_ms: int
    location_id: str
    on_hand: int


@dataclass(frozen=True, slots=True)
class MoveTransfer:
    """One step of a transfer of one sku between two locations."""

    event_id: str
    sku: str
    occurred_at_ms: int
    transfer_id: str
    status: TransferStatus
    from_location_id: str
    to_location_id: str
    quantity: int


Movement = AdjustOnHand | RecordCount | MoveTransfer


class Outcome(StrEnum):
    APPLIED = "APPLIED"  # the figures changed (or a count confirmed them)
    DUPLICATE = "DUPLICATE"  # this event_id was already applied to this sku: nothing changed
    INSIDE_COUNT = "INSIDE_COUNT"  # a delta not after the last count: it is inside the count
    STALE_COUNT = "STALE_COUNT"  # a count older than the last applied count: ignored
    TOO_LATE = "TOO_LATE"  # older than the window the store keeps deltas for: cannot be applied exactly


@dataclass(frozen=True, slots=True)
class LocationFigures:
    """The figures of one (sku, location) after a movement, ATP included."""

    location_id: str
    on_hand: int
    in_transit: int
    reserved: int
    allocated: int
    safety_stock: int
    atp: int


@dataclass(frozen=True, slots=True)
class MovementResult:
    """What applying one movement did: its outcome, the touched locations' figures and the network's."""

    outcome: Outcome
    sku: str
    event_id: str
    locations: tuple[LocationFigures, ...]
    network_atp: int
