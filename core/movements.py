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
    REFUSED = "REFUSED"  # a hold or an allocation beyond what is available: nothing granted, nothing changed
    TRIMMED = "TRIMMED"  # a hold beyond what is available: held what was available (`granted`)
    EXPIRED = "EXPIRED"  # holds released because their TTL passed (`expire_holds`)
    NOT_FOUND = "NOT_FOUND"  # a release or renewal of a hold or allocation that does not exist: no change


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
    granted: int | None = None  # hold and allocation commands: the line's quantity after the command


# Holds and allocations. Each command touches one sku; `now_ms` (arrival) is passed to `apply`.
@dataclass(frozen=True, slots=True)
class SetHold:
    """A cart line's new total (LINE_SET): hold that many units, trimmed to what is available.

    At `location_id` (click & collect) or, with None, on the network (subtracted from network ATP).
    The hold expires `ttl_ms` after this command unless its cart is renewed."""

    event_id: str
    cart_id: str
    sku: str
    location_id: str | None
    quantity: int
    ttl_ms: int
    channel: str | None = None  # the cart's sales channel: a walk-in one sees protected units


@dataclass(frozen=True, slots=True)
class ReleaseHold:
    """LINE_REMOVED, CLEARED or ABANDONED: the cart's hold of this sku is released."""

    event_id: str
    cart_id: str
    sku: str


@dataclass(frozen=True, slots=True)
class RenewCart:
    """Any cart event: every hold of the cart expires `ttl_ms` from now. The store expands it to one
    renewal per sku the cart holds (its cart index), so it is not tied to a single sku."""

    event_id: str
    cart_id: str
    ttl_ms: int


@dataclass(frozen=True, slots=True)
class Allocate:
    """An order line allocated at a location; with `cart_id`, the cart's hold of the sku is taken over
    (released in the same step, so it counts as available for this order). Refused, all or nothing,
    beyond what is available unless the sku allows backorder."""

    event_id: str
    order_id: str
    line_id: str
    sku: str
    location_id: str
    quantity: int
    cart_id: str | None = None
    channel: str | None = None  # the order's sales channel: a walk-in one sees protected units
    backorder: bool = False  # a backorder: refused unless the sku allows backorder, stock or not


@dataclass(frozen=True, slots=True)
class ShipAllocation:
    """SHIPPED / COLLECTED: on_hand -= quantity (a delta at `occurred_at_ms`, subject to counts) and
    the line's open allocation -= quantity (down to 0)."""

    event_id: str
    order_id: str
    line_id: str
    sku: str
    location_id: str
    quantity: int
    occurred_at_ms: int


@dataclass(frozen=True, slots=True)
class ReleaseAllocation:
    """CANCELLED: what is still allocated (not shipped) of the order line is released."""

    event_id: str
    order_id: str
    line_id: str
    sku: str


HoldCommand = SetHold | ReleaseHold | Allocate | ShipAllocation | ReleaseAllocation
Command = Movement | HoldCommand | RenewCart  # what `apply` takes


@dataclass(frozen=True, slots=True)
class ReleasedHold:
    cart_id: str
    location_id: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class ExpiredHolds:
    """What `expire_holds` released for one sku, and the figures to publish."""

    sku: str
    released: tuple[ReleasedHold, ...]
    locations: tuple[LocationFigures, ...]
    network_atp: int


@dataclass(frozen=True, slots=True)
class Drift:
    """A stored figure that did not match its records (reconciliation); location "" is the network."""

    sku: str
    location_id: str
    figure: str  # reserved, allocated, network_reserved, atp, or a network aggregate
    stored: int
    actual: int
