"""Cart holds through the broker: a hold lowers ATP at once, and with a short TTL it is released by
itself (nobody asks) and the release is published."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.stack import Stack, eventually, running_stack
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

pytestmark = [pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).with_name("network.yaml")
NOW_MS = int(time.time() * 1000)


@pytest.fixture(scope="module")
def stack(broker_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("e2e-holds-logs")
    with running_stack(
        broker_bootstrap, redis_url, NETWORK, logs, hold_ttl_s="2", hold_expiry_interval_s="0.2"
    ) as s:
        yield s


def store_figures(stack: Stack, sku: str) -> dict:
    status, body = stack.get(f"/v1/availability/{sku}")
    assert status == 200
    (store,) = [loc for loc in body["locations"] if loc["location_id"] == "ST-1"]
    return store


def _assert_on_hand(stack: Stack, sku: str, expected: int) -> None:
    status, body = stack.get(f"/v1/availability/{sku}")
    assert status == 200
    assert store_figures(stack, sku)["on_hand"] == expected


def test_a_cart_hold_lowers_atp_and_expires_by_itself_with_its_release_published(stack: Stack):
    receipt = {
        "event_id": "h-r1",
        "occurred_at": NOW_MS,
        "location_id": "ST-1",
        "lines": [{"sku": "SKU-H", "quantity": 10}],
    }
    stack.send("stock.receipts.v1", "ST-1", receipt)
    # Topics are applied independently: a hold sent with the receipt could come first and be refused.
    eventually(lambda: _assert_on_hand(stack, "SKU-H", 10))
    cart = {
        "event_id": "h-c1",
        "occurred_at": NOW_MS,
        "cart_id": "cart-9",
        "type": "LINE_SET",
        "sku": "SKU-H",
        "quantity": 3,
        "location_id": "ST-1",
        "channel": "web",
    }
    stack.send("carts.events.v1", "cart-9", cart)

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
