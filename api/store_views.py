"""What the store's screen reads, built from values: the queue of open shipments with their effective
status and what is due first, the store's pick capacity today, and a sku here and at the stores nearby."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from api.routes.orders import iso_utc
from core.calendar import zone
from core.geo import haversine_km
from core.network import Location, LocationKind, Network
from core.order_types import ShipmentStatus
from core.stock import SkuStock
from core.store_actions import allowed_actions, due_at_ms, effective_status, flow_of
from core.store_queue import OPEN_AT_STORE, OpenShipment

STORE_KINDS = frozenset({LocationKind.STORE, LocationKind.DARK_STORE})


def store_entry(location: Location) -> dict[str, Any]:
    return {
        "location_id": location.location_id,
        "name": location.name,
        "kind": location.kind.value,
        "timezone": location.timezone,
    }


def local_day(location: Location, now_ms: int) -> str:
    """The store's own date at `now_ms` ("YYYY-MM-DD"): the day its pick capacity counts in."""
    return datetime.fromtimestamp(now_ms / 1000, zone(location.timezone)).date().isoformat()


def _iso_or_none(epoch_ms: int | None) -> str | None:
    return iso_utc(epoch_ms) if epoch_ms is not None else None


def queued_shipment(
    found: OpenShipment, published: ShipmentStatus | None, now_ms: int
) -> tuple[int, dict[str, Any]] | None:
    """(due_at_ms, the card) of a shipment still open at the store once the last action published is
    counted; None for one whose last action took it off the store's hands (rejected, shipped...)."""
    order, shipment = found.order, found.shipment
    status, pending = effective_status(shipment.status, published)
    if status not in OPEN_AT_STORE:
        return None
    flow = flow_of(order, shipment)
    due_ms = due_at_ms(status, flow, shipment, found.promised_earliest_ms, found.promised_latest_ms)
    card = {
        "order_id": order.order_id,
        "shipment_id": shipment.shipment_id,
        "status": status.value,
        "pending": pending,
        "method": order.method,
        "flow": flow.value,
        "lines": [
            {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity} for line in shipment.lines
        ],
        "requested_at": iso_utc(shipment.requested_at_ms),
        "accept_by": iso_utc(shipment.accept_by_ms),
        "promised_earliest": _iso_or_none(found.promised_earliest_ms),
        "promised_latest": _iso_or_none(found.promised_latest_ms),
        "due_at": iso_utc(due_ms),
        "age_s": max(0, (now_ms - shipment.requested_at_ms) // 1000),
        "actions": [action.value for action in allowed_actions(status, flow)],
    }
    return due_ms, card


def queue_cards(
    opens: Sequence[OpenShipment], published: Sequence[ShipmentStatus | None], now_ms: int
) -> list[dict[str, Any]]:
    """The cards of the shipments still open, the most urgent first (ties by shipment id)."""
    cards = [
        card
        for found, last in zip(opens, published, strict=True)
        if (card := queued_shipment(found, last, now_ms))
    ]
    return [body for _, body in sorted(cards, key=lambda due_card: (due_card[0], due_card[1]["shipment_id"]))]


def stock_lookup(
    network: Network, location: Location, stock: SkuStock, nearby: int
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The sku's figures here (None when never seen here) and at the `nearby` nearest other stores
    that have some to promise, nearest first."""
    by_location = {figures.location_id: figures for figures in stock.locations}
    figures = by_location.get(location.location_id)
    here = None
    if figures is not None:
        here = {
            "location_id": location.location_id,
            "name": location.name,
            "on_hand": figures.on_hand,
            "in_transit": figures.in_transit,
            "reserved": figures.reserved,
            "allocated": figures.allocated,
            "safety_stock": figures.safety_stock,
            "atp": figures.atp,
        }
    others = []
    for other in network.locations.values():
        there = by_location.get(other.location_id)
        if other.location_id == location.location_id or other.kind not in STORE_KINDS or there is None:
            continue
        if there.atp <= 0:
            continue
        km = haversine_km(location.lat, location.lon, other.lat, other.lon)
        others.append((km, other, there.on_hand, there.atp))
    others.sort(key=lambda found: (found[0], found[1].location_id))
    near = [
        {
            "location_id": other.location_id,
            "name": other.name,
            "kind": other.kind.value,
            "distance_km": round(km, 1),
            "on_hand": on_hand,
            "atp": atp,
        }
        for km, other, on_hand, atp in others[:nearby]
    ]
    return here, near
