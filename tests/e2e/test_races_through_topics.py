"""Races between workers, through the broker and read back over HTTP: carts and orders spread over the
partitions of both workers of the group (on the cluster backend) compete for the same few units, and the
shared limits hold: no more held, no more allocated than there is; a promise reads the live figures.
Runs on one Redis and on the Redis Cluster (tests/e2e/conftest.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import StoreBackend
from tests.support.stack import Stack, eventually

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).with_name("race_network.yaml")
CARTS = 30
ORDERS = 8


@pytest.fixture(scope="module")
def stack(broker_bootstrap: str, backend: StoreBackend, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp(f"e2e-races-{backend.name}")
    with backend.stack(broker_bootstrap, NETWORK, logs) as s:
        yield s


def now_ms() -> int:
    return int(time.time() * 1000)


def at(stack: Stack, sku: str) -> dict[str, dict[str, int]]:
    status, body = stack.get(f"/v1/availability/{sku}")
    return {loc["location_id"]: loc for loc in body["locations"]} if status == 200 else {}


def receive(stack: Stack, event_id: str, node: str, sku: str, quantity: int) -> None:
    lines = [{"sku": sku, "quantity": quantity}]
    event = {"event_id": event_id, "occurred_at": now_ms(), "location_id": node, "lines": lines}
    stack.send("stock.receipts.v1", node, event)


def received(stack: Stack, sku: str, expected: dict[str, int]) -> None:
    found = at(stack, sku)
    assert {node: found.get(node, {}).get("on_hand") for node in expected} == expected


def test_thirty_carts_racing_for_three_units_hold_exactly_three(stack: Stack):
    receive(stack, "r-hold", "ST-1", "SKU-HOLD", 3)
    eventually(lambda: received(stack, "SKU-HOLD", {"ST-1": 3}))
    for n in range(CARTS):  # keyed by cart: spread over every partition, so over both workers
        cart = {
            "event_id": f"hold-{n}", "occurred_at": now_ms(), "cart_id": f"cart-{n}", "type": "LINE_SET",
            "sku": "SKU-HOLD", "quantity": 1, "location_id": "ST-1", "channel": "web",
        }  # fmt: skip
        stack.produce("carts.events.v1", f"cart-{n}", cart)
    assert stack.producer.flush(10) == 0

    def held() -> None:
        figures = at(stack, "SKU-HOLD")["ST-1"]
        assert (figures["reserved"], figures["atp"]) == (3, 0)

    eventually(held, timeout_s=40)
    time.sleep(1.0)  # the late carts' answers: none may take more
    held()


def test_eight_orders_racing_for_three_units_allocate_exactly_three_and_never_beyond_on_hand(stack: Stack):
    receive(stack, "r-st1", "ST-1", "SKU-RACE", 2)
    receive(stack, "r-wh1", "WH-1", "SKU-RACE", 1)
    eventually(lambda: received(stack, "SKU-RACE", {"ST-1": 2, "WH-1": 1}))
    for n in range(ORDERS):  # keyed by order: spread over both workers
        order = {
            "event_id": f"race-{n}", "occurred_at": now_ms(), "order_id": f"RACE-{n}", "type": "PLACED",
            "channel": "web", "lines": [{"line_id": "l1", "sku": "SKU-RACE", "quantity": 1}],
            "delivery": {"method": "HOME_STANDARD", "postcode": "75011"},
        }  # fmt: skip
        stack.produce("orders.v1", f"RACE-{n}", order)
    assert stack.producer.flush(10) == 0

    def every_order_decided() -> list[dict[str, Any]]:
        orders = [stack.get(f"/v1/orders/RACE-{n}") for n in range(ORDERS)]
        assert all(status == 200 and body.get("status") for status, body in orders), orders
        return [body for _, body in orders]

    orders = eventually(every_order_decided, timeout_s=60)
    statuses = sorted(order["status"] for order in orders)
    assert statuses.count("ROUTED") == 3, statuses
    figures = at(stack, "SKU-RACE")
    assert {node: figures[node]["allocated"] for node in ("ST-1", "WH-1")} == {"ST-1": 2, "WH-1": 1}
    assert all(loc["allocated"] <= loc["on_hand"] for loc in figures.values())


def test_a_promise_ships_from_where_the_live_stock_is(stack: Stack):
    receive(stack, "r-promise", "ST-2", "SKU-PROMISE", 4)
    eventually(lambda: received(stack, "SKU-PROMISE", {"ST-2": 4}))
    cart = {"lines": [{"sku": "SKU-PROMISE", "quantity": 2}], "destination": {"postcode": "75011"}}
    status, body = stack.post("/v1/promises", cart)
    assert status == 200, body
    shipping = [s["location_id"] for o in body["options"] for s in o["shipments"]]
    assert shipping, body
    assert set(shipping) == {"ST-2"}, body
    assert body["unserved"] == []
