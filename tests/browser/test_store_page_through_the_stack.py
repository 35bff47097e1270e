"""The store page in headless Chromium against the real stack (broker, one worker, the API with store
keys, one Redis): what the associate taps reaches the worker through fulfillment.updates.v1 and
GET /v1/orders/{id} shows each step. The module runs in about 40 s (the stack's start is most of it).

One Redis only: the store routes' reads and the desk run on a Redis Cluster in their own suites
(tests/contract/test_store_queue.py, tests/integration/test_store_desk.py).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from confluent_kafka import Consumer
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.stack import Stack, eventually, running_stack
from topics.codec import AvroCodec
from topics.registry import LocalSchemaList

pytestmark = [pytest.mark.browser, pytest.mark.broker, pytest.mark.redis]

NETWORK = Path(__file__).resolve().parents[2] / "omnistock" / "data" / "bench_store_network.yaml"
STORE_KEY, OTHER_STORE_KEY, OPS_KEY = "key-of-st-1", "key-of-st-2", "key-of-ops"
API_KEYS = {
    STORE_KEY: ["store:ST-1"],
    OTHER_STORE_KEY: ["store:ST-2"],
    OPS_KEY: ["orders:read", "availability:read"],
}
CODEC = AvroCodec(LocalSchemaList())
T = TypeVar("T")


@pytest.fixture(scope="module")
def stack(broker_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("store-page-stack-logs")
    keys = orjson.dumps(API_KEYS).decode()
    with running_stack(broker_bootstrap, redis_url, NETWORK, logs, api_keys=keys) as running:
        stock(running, "SKU-PAGE", {"ST-1": 5, "ST-2": 5, "WH-1": 5})
        yield running


def call(stack: Stack, path: str, key: str = OPS_KEY) -> tuple[int, Any]:
    request = urllib.request.Request(stack.api + path, headers={"X-API-Key": key})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status, orjson.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, orjson.loads(error.read())


def stock(stack: Stack, sku: str, units: dict[str, int]) -> None:
    for node, quantity in units.items():
        receipt = {
            "event_id": f"receipt-{sku}-{node}",
            "occurred_at": now_ms(),
            "location_id": node,
            "lines": [{"sku": sku, "quantity": quantity}],
        }
        stack.send("stock.receipts.v1", node, receipt)

    def stocked() -> None:
        status, body = call(stack, f"/v1/availability/{sku}")
        assert status == 200
        assert {loc["location_id"]: loc["on_hand"] for loc in body["locations"]} == units

    eventually(stocked)


def place(stack: Stack, order_id: str, delivery: dict[str, Any]) -> None:
    order = {
        "event_id": f"{order_id}-placed",
        "occurred_at": now_ms(),
        "order_id": order_id,
        "type": "PLACED",
        "channel": "web",
        "lines": [{"line_id": "l1", "sku": "SKU-PAGE", "quantity": 1}],
        "delivery": delivery,
    }
    stack.send("orders.v1", order_id, order)


def now_ms() -> int:
    return int(time.time() * 1000)


def until(driver: webdriver.Chrome, check: Callable[[webdriver.Chrome], T], timeout: float = 15.0) -> T:
    stale = [StaleElementReferenceException]  # a card re-rendered between finding it and reading it
    wait = WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=stale)
    return wait.until(check)


def shown(driver: webdriver.Chrome) -> list[str]:
    script = "return [...document.querySelectorAll('[data-testid=shipment]')].map(c => c.dataset.shipmentId)"
    return list(driver.execute_script(script))


def button(driver: webdriver.Chrome, shipment_id: str, action: str) -> WebElement:
    card = driver.find_element(By.CSS_SELECTOR, f'[data-shipment-id="{shipment_id}"]')
    return card.find_element(By.CSS_SELECTOR, f'button[data-action="{action}"]')


def shipment_status(stack: Stack, order_id: str, shipment_id: str) -> str | None:
    status, body = call(stack, f"/v1/orders/{order_id}")
    if status != 200:
        return None
    return next((s["status"] for s in body["shipments"] if s["shipment_id"] == shipment_id), None)


# Records, in the page, the wall-clock time of the first click after it is armed: the tap as the
# browser saw it, without the WebDriver command's own round trip (~100 ms for a click, more for a
# double click), which is not the associate's wait.
ARM_TAP_CLOCK = """
window.__tapAt = null;
if (!window.__tapClock) {
  window.__tapClock = true;
  const first = () => { if (window.__tapAt === null) window.__tapAt = Date.now(); };
  document.addEventListener('click', first, true);
}
"""


def tap_and_read_back(
    driver: webdriver.Chrome, stack: Stack, order_id: str, action: str, expect: str, double: bool = False
) -> float:
    """Taps the action on the order's card at ST-1 and waits for GET /v1/orders/{id} to show `expect`:
    the milliseconds from the browser's click event to the status read back (one machine, one clock)."""
    shipment_id = f"{order_id}-1"
    target = until(driver, lambda d: button(d, shipment_id, action))
    driver.execute_script(ARM_TAP_CLOCK)
    if double:
        ActionChains(driver).double_click(target).perform()
    else:
        target.click()
    deadline = time.monotonic() + 15
    while shipment_status(stack, order_id, shipment_id) != expect:
        assert time.monotonic() < deadline, f"{order_id} never showed {expect} after {action}"
        time.sleep(0.005)
    seen_ms = time.time() * 1000
    tapped_ms = driver.execute_script("return window.__tapAt")
    assert tapped_ms is not None, "the page saw no click"
    return seen_ms - float(tapped_ms)


def event_ids_until(stack: Stack, last_event_id: str, timeout_s: float = 20.0) -> list[str]:
    """The event ids of fulfillment.updates.v1 from the start until `last_event_id` is read (records of
    one order are in one partition, in the order they were published)."""
    consumer = Consumer(
        {
            "bootstrap.servers": stack.bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
        }
    )
    consumer.subscribe([stack.topic_prefix + "fulfillment.updates.v1"])
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    try:
        while last_event_id not in seen and time.monotonic() < deadline:
            records = [r for r in consumer.consume(100, 0.5) if r.error() is None]
            seen += [CODEC.decode_value(r.value())["event_id"] for r in records]
    finally:
        consumer.close()
    return seen


@pytest.fixture(scope="module")
def store_page(browser: webdriver.Chrome, stack: Stack) -> webdriver.Chrome:
    browser.get(f"{stack.api}/store/ST-1#key={STORE_KEY}")
    until(browser, lambda d: d.find_element(By.ID, "store-name").text == "Bench store 1")
    return browser


def test_a_click_and_collect_order_goes_through_accept_picked_ready_collected_each_step_shown_by_the_order(
    store_page: webdriver.Chrome, stack: Stack
) -> None:
    place(stack, "page-cc-1", {"method": "CLICK_COLLECT", "pickup_location_id": "ST-1"})
    until(store_page, lambda d: "page-cc-1-1" in shown(d))
    taps = {
        "accept": tap_and_read_back(store_page, stack, "page-cc-1", "accept", "ACCEPTED", double=True),
        "picked": tap_and_read_back(store_page, stack, "page-cc-1", "picked", "PICKED"),
        "ready": tap_and_read_back(store_page, stack, "page-cc-1", "ready", "READY_FOR_PICKUP"),
        "collected": tap_and_read_back(store_page, stack, "page-cc-1", "collected", "COLLECTED"),
    }
    until(store_page, lambda d: "page-cc-1-1" not in shown(d))
    assert call(stack, "/v1/orders/page-cc-1")[1]["status"] == "COMPLETED"
    print("tap -> status read back (ms):", {action: round(ms, 1) for action, ms in taps.items()})


def test_a_double_click_on_accept_sent_one_event(stack: Stack) -> None:
    # The accept above was a double click (the previous test): one record with its id on the topic.
    seen = event_ids_until(stack, "store:page-cc-1-1:COLLECTED")
    assert [e for e in seen if e.startswith("store:page-cc-1-1:")] == [
        "store:page-cc-1-1:ACCEPTED",
        "store:page-cc-1-1:PICKED",
        "store:page-cc-1-1:READY_FOR_PICKUP",
        "store:page-cc-1-1:COLLECTED",
    ]


def test_a_rejection_for_not_found_takes_the_order_off_the_queue_and_it_is_routed_elsewhere(
    store_page: webdriver.Chrome, stack: Stack
) -> None:
    place(stack, "page-home-1", {"method": "HOME_STANDARD", "postcode": "75011"})
    until(store_page, lambda d: "page-home-1-1" in shown(d))
    button(store_page, "page-home-1-1", "reject").click()
    dialog = store_page.find_element(By.ID, "reject-dialog")
    until(store_page, lambda _: dialog.is_displayed())
    dialog.find_element(By.CSS_SELECTOR, 'button[data-reason="NOT_FOUND"]').click()
    until(store_page, lambda d: "page-home-1-1" not in shown(d))

    def rerouted() -> dict[str, Any]:
        status, order = call(stack, "/v1/orders/page-home-1")
        assert status == 200
        assert [(s["location_id"], s["status"]) for s in order["shipments"]][:1] == [("ST-1", "REJECTED")]
        assert any(s["location_id"] != "ST-1" for s in order["shipments"][1:])
        return order

    order = eventually(rerouted, timeout_s=15)
    assert order["rejected_by"] == {"l1": ["ST-1"]}
    assert order["status"] == "ROUTED"


def test_a_key_for_another_store_gets_403_and_the_page_says_so(
    browser: webdriver.Chrome, stack: Stack
) -> None:
    status, body = call(stack, "/v1/stores/ST-1/shipments", key=OTHER_STORE_KEY)
    assert status == 403
    assert "ST-2" in body["message"]
    browser.execute_script("localStorage.clear()")
    browser.get("about:blank")  # a new load: the same page with another fragment would not reload
    browser.get(f"{stack.api}/store/ST-1#key={OTHER_STORE_KEY}")
    error = until(browser, lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="error"]'))
    until(browser, lambda _: "ST-2" in error.text)
    assert shown(browser) == []
