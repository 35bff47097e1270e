"""GET /v1/orders/{order_id}: status, shipments with ISO times, the placing decisions, readable errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.orders import iso_utc
from core.allocation import OrderLine
from core.errors import StoreUnavailable
from core.order_lifecycle import apply_routing, apply_update, new_order
from core.order_types import (
    FulfillmentChange,
    Order,
    PlannedShipment,
    RoutingResult,
    ShipmentStatus,
)
from core.routing_types import DeliveryMethod, RoutedShipment, RoutingDecision, decision_dict
from state.memory_order_store import InMemoryOrderStore
from state.order_store import OrderWrite
from tests.support.fake_reader import FakeReader

T0 = int(datetime(2026, 11, 18, 8, 26, 40, tzinfo=UTC).timestamp()) * 1000 + 123
SLA_MS = 30 * 60 * 1000
A1, B1 = OrderLine("l1", "A", 2), OrderLine("l2", "B", 1)


def _decision(decision_id: str, order_id: str) -> dict[str, Any]:
    at = datetime(2026, 11, 18, 8, 26, 40, tzinfo=UTC)
    shipment = RoutedShipment("WH1", (A1,), "std", at, at, 500, 120, 12.5)
    made = RoutingDecision(
        decision_id, "balanced", "1", DeliveryMethod.HOME_STANDARD, at, (shipment,), (), (), 1.5, {}, "exact"
    )
    return decision_dict(made, "balanced") | {"order_id": order_id}


def _routed(order_id: str = "O-1") -> Order:
    placed = new_order(order_id, (A1, B1), "HOME_STANDARD")
    plan = (PlannedShipment("WH1", (A1,), SLA_MS), PlannedShipment("ST1", (B1,), SLA_MS))
    return apply_routing(placed, RoutingResult("D-1", plan), T0).order


def _client(*orders: Order) -> tuple[TestClient, InMemoryOrderStore]:
    store = InMemoryOrderStore()
    for order in orders:
        store.save([OrderWrite(None, order)], [_decision("D-1", order.order_id)])
    return TestClient(create_app(FakeReader(), orders=store)), store


def test_a_routed_order_answers_its_status_shipments_with_iso_times_and_the_decision_that_placed_them() -> (
    None
):
    client, _ = _client(_routed())

    response = client.get("/v1/orders/O-1")

    assert response.status_code == 200
    body = response.json()
    assert (body["order_id"], body["status"], body["method"]) == ("O-1", "ROUTED", "HOME_STANDARD")
    assert body["lines"] == [
        {"line_id": "l1", "sku": "A", "quantity": 2},
        {"line_id": "l2", "sku": "B", "quantity": 1},
    ]
    first = body["shipments"][0]
    assert first == {
        "shipment_id": "O-1-1",
        "location_id": "WH1",
        "status": "REQUESTED",
        "lines": [{"line_id": "l1", "sku": "A", "quantity": 2}],
        "requested_at": "2026-11-18T08:26:40.123Z",
        "accept_by": "2026-11-18T08:56:40.123Z",
        "decision_id": "D-1",
        "dropped": [],
        "tracking_number": None,
    }
    assert [s["location_id"] for s in body["shipments"]] == ["WH1", "ST1"]
    assert (body["unplaced"], body["rejected_by"]) == ([], {})
    assert body["decisions"] == [_decision("D-1", "O-1")]


def test_an_unknown_order_answers_404_naming_it() -> None:
    client, _ = _client(_routed())

    response = client.get("/v1/orders/NOPE")

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "order_not_found"
    assert body["order_id"] == "NOPE"
    assert "NOPE" in body["message"]


def test_a_rejected_line_shows_the_node_in_rejected_by_and_the_line_in_unplaced() -> None:
    change = FulfillmentChange("E-1", "O-1-2", "ST1", ShipmentStatus.REJECTED, T0 + 1000, reason="NO_STAFF")
    rejected = apply_update(_routed(), change).order
    client, _ = _client(rejected)

    body = client.get("/v1/orders/O-1").json()

    assert body["rejected_by"] == {"l2": ["ST1"]}
    assert body["unplaced"] == [{"line_id": "l2", "sku": "B", "quantity": 1, "why": "REROUTE"}]
    at_store = body["shipments"][1]
    assert (at_store["status"], at_store["lines"]) == ("REJECTED", [])
    assert at_store["dropped"] == [{"line_id": "l2", "sku": "B", "quantity": 1}]


def test_a_shipped_shipment_shows_the_tracking_number_the_node_gave() -> None:
    change = FulfillmentChange(
        "E-2", "O-1-1", "WH1", ShipmentStatus.SHIPPED, T0 + 1000, tracking_number="1Z999AA10123456784"
    )
    client, _ = _client(apply_update(_routed(), change).order)

    shipments = client.get("/v1/orders/O-1").json()["shipments"]

    assert [s["tracking_number"] for s in shipments] == ["1Z999AA10123456784", None]


def test_an_order_not_yet_routed_answers_a_null_status_and_every_line_unplaced() -> None:
    client, _ = _client(new_order("O-2", (A1,), "CLICK_COLLECT"))

    body = client.get("/v1/orders/O-2").json()

    assert (body["status"], body["shipments"], body["decisions"]) == (None, [], [])
    assert body["unplaced"] == [{"line_id": "l1", "sku": "A", "quantity": 2, "why": "REROUTE"}]


def test_without_an_order_reader_the_route_answers_503() -> None:
    client = TestClient(create_app(FakeReader()))

    response = client.get("/v1/orders/O-1")

    assert response.status_code == 503
    assert response.json()["error"] == "orders_unavailable"


class _DownReader:
    async def order(self, order_id: str) -> tuple[Order, list[dict[str, Any]]] | None:
        raise StoreUnavailable("redis unreachable")

    async def ping(self) -> bool:
        return False


def test_a_store_that_does_not_answer_gives_503_with_retry_after() -> None:
    client = TestClient(create_app(FakeReader(), orders=_DownReader()))

    response = client.get("/v1/orders/O-1")

    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable"
    assert response.headers["Retry-After"] == "1"


def test_with_keys_the_route_needs_the_orders_read_scope() -> None:
    store = InMemoryOrderStore()
    store.save([OrderWrite(None, _routed())])
    keys = {"shop": ["availability:read"], "desk": ["orders:read"]}
    client = TestClient(create_app(FakeReader(), api_keys=keys, orders=store))

    refused = client.get("/v1/orders/O-1", headers={"X-API-Key": "shop"})
    admitted = client.get("/v1/orders/O-1", headers={"X-API-Key": "desk"})

    assert (refused.status_code, refused.json()["scope"]) == (403, "orders:read")
    assert admitted.status_code == 200


def test_times_keep_their_milliseconds_exactly() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(T0 + 876) == "2026-11-18T08:26:40.999Z"
