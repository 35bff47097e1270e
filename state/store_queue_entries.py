"""A store queue entry as the screen reads it: the shipment, its order, and the customer's promised
dates taken from the stored routing decision that placed it. Shared by the Redis reader and the fake."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from core.order_types import Order, Shipment
from core.store_queue import OpenShipment, open_at_store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def open_entry(order: Order, shipment_id: str, location_id: str) -> Shipment | None:
    """The shipment an index entry names, when it is still open at that location; None when the entry
    is stale (the order moved on since: the index is written before its order, so a batch cut short
    leaves an entry ahead of its order until the worker's retry)."""
    shipment = order.shipment(shipment_id)
    if shipment is None or shipment.location_id != location_id or not open_at_store(order, shipment):
        return None
    return shipment


def with_promise(order: Order, shipment: Shipment, decision: Mapping[str, Any] | None) -> OpenShipment:
    """The shipment with the dates its routing decision promised at its location (None when the
    decision expired or does not name the location)."""
    for placed in (decision or {}).get("shipments", ()):
        if placed.get("location_id") == shipment.location_id:
            earliest, latest = placed.get("promised_earliest"), placed.get("promised_latest")
            return OpenShipment(order, shipment, _epoch_ms(earliest), _epoch_ms(latest))
    return OpenShipment(order, shipment)


def _epoch_ms(moment: Any) -> int | None:
    """decision_dict's ISO-8601 UTC times ("...Z") as epoch ms, integer arithmetic (no float rounding)."""
    if not isinstance(moment, str):
        return None
    return (datetime.fromisoformat(moment) - _EPOCH) // _ONE_MS
