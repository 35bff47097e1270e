"""Cart holds through the broker: a hold lowers ATP at once, and with a short TTL it is released by
itself (nobody asks) and the release is published."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.conftest import StoreBackend
from tests.support.stack import Stack, eventually
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).with_name("network.yaml")
NOW_MS = int(time.time() * 1000)


@pytest.fixture(scope="module")
def stack(broker_bootstrap: str, backend: StoreBackend, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("e2e-holds-logs")
    with backend.stack(broker_bootstrap, NETWORK, logs, hold_ttl_s="2", hold_expiry_interval_s="0.2") as s:
        yield s


def store_figures(stack: Stack, sku: str) -> dict:
    status, body = stack.get(f"/v1/availability/{sku}")
    assert status == 200
    found = [loc for loc in body["locations"] if loc["location_id"] == "ST-1"]
    assert len(found) == 1, "ST-1 not (yet) in the answer"  # an assertion: `eventually` retries
    return found[0]


def _assert_on_hand(stack: Stack, sku: str, expected: int) -> None:
    status, body = stack.get(f"/v1/availability/{sku}")
    assert status == 200
    assert store_figures(stack, sku)["on_hand"] == expected


def receive_then_hold(stack: Stack, sku: str, cart_id: str, quantity: int) -> None:
    """10 units of `sku` received at ST-1, then `quantity` held there by `cart_id` (a web cart)."""
    lines = [{"sku": sku, "quantity": 10}]
    receipt = {"event_id": f"r-{sku}", "occurred_at": NOW_MS, "location_id": "ST-1", "lines": lines}
    stack.send("stock.receipts.v1", "ST-1", receipt)
    # Topics are applied independently: a hold sent with the receipt could come first and be refused.
    eventually(lambda: _assert_on_hand(stack, sku, 10))
    cart = {
        "event_id": f"c-{sku}",
        "occurred_at": NOW_MS,
        "cart_id": cart_id,
        "type": "LINE_SET",
        "sku": sku,
        "quantity": quantity,
        "location_id": "ST-1",
        "channel": "web",
    }
    stack.send("carts.events.v1", cart_id, cart)


def test_a_cart_hold_lowers_atp_and_expires_by_itself_with_its_release_published(stack: Stack):
    receive_then_hold(stack, "SKU-H", "cart-9", 3)

    def held() -> None:
        figures = store_figures(stack, "SKU-H")
        assert (figures["reserved"], figures["atp"]) == (3, 5)  # 10 on hand - 3 held - safety stock 2

    eventually(held, timeout_s=30, interval_s=0.05)

    def released() -> None:
        figures = store_figures(stack, "SKU-H")
        assert (figures["reserved"], figures["atp"]) == (0, 8)

    eventually(released, timeout_s=15)
    codec = AvroCodec(LocalSchemaList())
    holds = [codec.decode(r.value()) for r in stack.read_topic("carts.holds.v1", expected=2)]
    assert [(h["cart_id"], h["outcome"], h["granted"]) for h in holds] == [
        ("cart-9", "APPLIED", 3),
        ("cart-9", "EXPIRED", 0),
    ]


def test_an_order_takes_over_its_carts_hold_and_collection_removes_the_stock(stack: Stack):
    receive_then_hold(stack, "SKU-O", "cart-o", 4)
    order = {
        "event_id": "o-p1",
        "occurred_at": NOW_MS,
        "order_id": "order-1",
        "type": "PLACED",
        "channel": "web",
        "cart_id": "cart-o",
        "lines": [{"line_id": "1", "sku": "SKU-O", "quantity": 4}],
        "delivery": {"method": "CLICK_COLLECT", "pickup_location_id": "ST-1"},
    }
    stack.send("orders.v1", "order-1", order)

    def allocated() -> None:
        figures = store_figures(stack, "SKU-O")
        assert (figures["reserved"], figures["allocated"], figures["atp"]) == (0, 4, 4)

    eventually(allocated)  # the 2 s hold TTL does not matter: the order took the hold over
    collected = {
        "event_id": "o-f1",
        "occurred_at": NOW_MS + 1,
        "order_id": "order-1",
        "shipment_id": "order-1-1",  # shipments are numbered per order: the first is order-1-1
        "location_id": "ST-1",
        "status": "COLLECTED",
    }
    stack.send("fulfillment.updates.v1", "order-1", collected)

    def removed() -> None:
        figures = store_figures(stack, "SKU-O")
        assert (figures["on_hand"], figures["allocated"], figures["atp"]) == (6, 0, 4)

    eventually(removed)
    codec = AvroCodec(LocalSchemaList())
    statuses = [codec.decode(r.value()) for r in stack.read_topic("orders.status.v1", expected=2)]
    assert [(s["order_id"], s["status"]) for s in statuses] == [
        ("order-1", "ROUTED"),
        ("order-1", "COMPLETED"),
    ]
