"""Rebuild's order side: open allocations and shipped units from the recorded requests and updates."""

from __future__ import annotations

from typing import Any

from core.movements import Allocate, ReleaseAllocation, ShipAllocation
from streams.rebuild_orders import OrderReplay
from topics.catalog import FULFILLMENT_REQUESTS, FULFILLMENT_UPDATES, ORDERS


def placed(order_id: str) -> dict[str, Any]:
    return {"event_id": f"{order_id}-p", "order_id": order_id, "type": "PLACED"}


def request(order_id: str, shipment_id: str, node: str, quantity: int = 2) -> dict[str, Any]:
    lines = [{"line_id": "l1", "sku": "SKU-A", "quantity": quantity}]
    return {"event_id": f"{shipment_id}-r", "order_id": order_id, "shipment_id": shipment_id,
            "location_id": node, "lines": lines}  # fmt: skip


def update(order_id: str, shipment_id: str, status: str) -> dict[str, Any]:
    return {"event_id": f"{shipment_id}-{status}", "order_id": order_id, "shipment_id": shipment_id,
            "location_id": "ST-1", "status": status}  # fmt: skip


def test_a_request_of_a_placed_order_allocates_its_lines_at_its_node() -> None:
    replay = OrderReplay()
    replay.commands(ORDERS, placed("O-1"), 0)

    (allocate,) = replay.commands(FULFILLMENT_REQUESTS, request("O-1", "S-1", "ST-1"), 0)

    assert isinstance(allocate, Allocate)
    assert (allocate.order_id, allocate.line_id, allocate.location_id, allocate.quantity) == (
        "O-1", "l1", "ST-1", 2,
    )  # fmt: skip


def test_a_request_of_an_order_placed_past_the_committed_offset_is_left_to_the_workers() -> None:
    assert OrderReplay().commands(FULFILLMENT_REQUESTS, request("O-late", "S-1", "ST-1"), 0) == []


def test_a_re_routed_line_is_released_at_its_first_node_before_it_is_allocated_at_the_next() -> None:
    replay = OrderReplay()
    replay.commands(ORDERS, placed("O-1"), 0)
    replay.commands(FULFILLMENT_REQUESTS, request("O-1", "S-1", "ST-1"), 0)

    release, allocate = replay.commands(FULFILLMENT_REQUESTS, request("O-1", "S-2", "WH-1"), 0)

    assert isinstance(release, ReleaseAllocation)
    assert isinstance(allocate, Allocate)
    assert allocate.location_id == "WH-1"


def test_a_shipped_update_takes_the_request_lines_out_of_stock_with_the_workers_own_event_id() -> None:
    replay = OrderReplay()
    replay.commands(ORDERS, placed("O-1"), 0)
    replay.commands(FULFILLMENT_REQUESTS, request("O-1", "S-1", "ST-1", quantity=3), 0)

    (ship,) = replay.commands(FULFILLMENT_UPDATES, update("O-1", "S-1", "SHIPPED"), 1234)

    assert ship == ShipAllocation("S-1:ship:l1", "O-1", "l1", "SKU-A", "ST-1", 3, 1234)
    assert replay.open["O-1"] == {}


def test_a_rejection_and_an_order_cancellation_release_what_is_open() -> None:
    replay = OrderReplay()
    for order_id in ("O-1", "O-2"):
        replay.commands(ORDERS, placed(order_id), 0)
        replay.commands(FULFILLMENT_REQUESTS, request(order_id, f"S-{order_id}", "ST-1"), 0)

    (rejected,) = replay.commands(FULFILLMENT_UPDATES, update("O-1", "S-O-1", "REJECTED"), 0)
    (cancelled,) = replay.commands(ORDERS, {"event_id": "c", "order_id": "O-2", "type": "CANCELLED"}, 0)

    assert isinstance(rejected, ReleaseAllocation)
    assert isinstance(cancelled, ReleaseAllocation)
    assert (rejected.order_id, cancelled.order_id) == ("O-1", "O-2")


def test_an_update_for_a_shipment_no_request_names_is_counted_and_changes_nothing() -> None:
    replay = OrderReplay()

    assert replay.commands(FULFILLMENT_UPDATES, update("O-9", "S-9", "SHIPPED"), 0) == []
    assert replay.unmatched == 1
