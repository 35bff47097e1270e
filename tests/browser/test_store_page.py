"""The store page in headless Chromium against a scripted store backend (tests/support/scripted_store_api.py):
what an associate sees and what each tap sends. The module runs in about 30 s (the lost-connection test,
the longest, about 8 s: the page retries after 2 s, then 4 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.scripted_store_api import ScriptedServer, ScriptedStore, shipment

pytestmark = pytest.mark.browser
T = TypeVar("T")
WAIT_S = 5.0


@pytest.fixture
def store() -> ScriptedStore:
    return ScriptedStore()


@pytest.fixture
def server(store: ScriptedStore) -> Iterator[ScriptedServer]:
    with ScriptedServer(store) as running:
        yield running


def until(driver: webdriver.Chrome, check: Callable[[webdriver.Chrome], T], timeout: float = WAIT_S) -> T:
    stale = [StaleElementReferenceException]  # a card re-rendered between finding it and reading it
    wait = WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=stale)
    return wait.until(check)


def open_store(driver: webdriver.Chrome, server: ScriptedServer, fragment: str = "") -> None:
    driver.get(f"{server.base}/store/{server.store.location_id}{fragment}")


def cards(driver: webdriver.Chrome) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, '[data-testid="shipment"]')


def card(driver: webdriver.Chrome, shipment_id: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'[data-shipment-id="{shipment_id}"]')


def shown_ids(driver: webdriver.Chrome) -> list[str]:
    script = "return [...document.querySelectorAll('[data-testid=shipment]')].map(c => c.dataset.shipmentId)"
    return list(driver.execute_script(script))


def status_of(driver: webdriver.Chrome, shipment_id: str) -> str | None:
    script = (
        "const c = document.querySelector(`[data-shipment-id='${arguments[0]}']`); return c?.dataset.status"
    )
    status = driver.execute_script(script, shipment_id)
    return str(status) if status else None


def button(driver: webdriver.Chrome, shipment_id: str, action: str) -> WebElement:
    return card(driver, shipment_id).find_element(By.CSS_SELECTOR, f'button[data-action="{action}"]')


def error_text(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.CSS_SELECTOR, '[data-testid="error"]').text


def settle_posts(store: ScriptedStore, suffix: str, quiet_s: float = 0.6) -> list[dict[str, Any] | None]:
    """The POSTs to `suffix` once none has come for `quiet_s` (a second request would have by then)."""
    time.sleep(quiet_s)
    return store.posts_to(suffix)


def test_the_queue_lists_shipments_in_the_api_order_with_lines_and_todays_capacity(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(
        shipment("O-LATER", due_in=timedelta(hours=2), lines=[("SKU-B", 3)]),
        shipment("O-FIRST", due_in=timedelta(minutes=20), lines=[("SKU-A", 1), ("SKU-C", 2)]),
    )
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 2)
    assert shown_ids(browser) == ["O-FIRST-1", "O-LATER-1"]
    first = card(browser, "O-FIRST-1")
    assert "SKU-A × 1" in first.text
    assert "SKU-C × 2" in first.text
    assert first.get_attribute("data-status") == "REQUESTED"
    capacity = browser.find_element(By.CSS_SELECTOR, '[data-testid="capacity"]').text
    assert "12 / 40 lines" in capacity
    assert browser.find_element(By.ID, "store-name").text == "Lyon Part-Dieu"


def test_the_deadline_counts_down_every_second_red_under_five_minutes_then_overdue(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(
        shipment("O-SOON", due_in=timedelta(minutes=4)),
        shipment("O-LATE", due_in=timedelta(seconds=-90)),
        shipment("O-CALM", due_in=timedelta(minutes=30)),
    )
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 3)
    soon = card(browser, "O-SOON-1").find_element(By.CSS_SELECTOR, ".countdown")
    before = soon.text
    until(browser, lambda _: soon.text != before, timeout=2.5)
    assert before.startswith("03:5") or before.startswith("04:00")
    shown = shown_ids(browser)
    deadline = {sid: card(browser, sid).find_element(By.CSS_SELECTOR, ".deadline") for sid in shown}
    assert "urgent" in str(deadline["O-SOON-1"].get_attribute("class"))
    assert "urgent" not in str(deadline["O-CALM-1"].get_attribute("class"))
    assert "overdue" in str(deadline["O-LATE-1"].get_attribute("class"))
    assert deadline["O-LATE-1"].find_element(By.CSS_SELECTOR, ".countdown").text.startswith("overdue by 01:3")
    red = deadline["O-SOON-1"].find_element(By.CSS_SELECTOR, ".countdown").value_of_css_property("color")
    assert red.startswith("rgba(180, 35, 24")


def test_a_double_click_on_accept_sends_one_post_and_the_card_moves_on(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(shipment("O-1", due_in=timedelta(minutes=20)))
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    ActionChains(browser).double_click(button(browser, "O-1-1", "accept")).perform()
    until(browser, lambda d: status_of(d, "O-1-1") == "ACCEPTED")
    assert settle_posts(store, "/O-1-1/accept") == [None]
    buttons = card(browser, "O-1-1").find_elements(By.TAG_NAME, "button")
    assert [b.get_attribute("data-action") for b in buttons] == ["picked", "reject"]
    assert "accepted" in browser.find_element(By.CSS_SELECTOR, '[data-testid="notice"]').text


def test_reject_with_a_reason_and_some_lines_sends_them_and_the_card_leaves(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(shipment("O-2", due_in=timedelta(minutes=20), lines=[("SKU-A", 1), ("SKU-B", 2)]))
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    button(browser, "O-2-1", "reject").click()
    dialog = browser.find_element(By.ID, "reject-dialog")
    until(browser, lambda _: dialog.is_displayed())
    dialog.find_element(By.CSS_SELECTOR, 'input[value="l2"]').click()
    dialog.find_element(By.CSS_SELECTOR, 'button[data-reason="NOT_FOUND"]').click()
    until(browser, lambda d: not cards(d))
    assert store.posts_to("/O-2-1/reject") == [{"reason": "NOT_FOUND", "line_ids": ["l2"]}]
    assert not dialog.is_displayed()


def test_shipped_asks_for_the_tracking_number_and_sends_it(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(shipment("O-3", due_in=timedelta(hours=3), status="PICKED"))
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    button(browser, "O-3-1", "shipped").click()
    field = browser.find_element(By.ID, "tracking-number")
    until(browser, lambda _: field.is_displayed())
    field.send_keys("6A12345678901", Keys.ENTER)
    until(browser, lambda d: not cards(d))
    assert store.posts_to("/O-3-1/shipped") == [{"tracking_number": "6A12345678901"}]


def test_a_refusal_is_shown_in_the_words_of_the_api_and_the_buttons_come_back(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    message = "The deadline to accept passed at 10:42 UTC; the order is being re-routed."
    store.add(shipment("O-4", due_in=timedelta(minutes=20)))
    store.refusals[("O-4-1", "accept")] = (409, "action_not_allowed", message)
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    button(browser, "O-4-1", "accept").click()
    until(browser, lambda d: error_text(d) == f"Order O-4: {message}")
    until(browser, lambda d: button(d, "O-4-1", "accept").is_enabled())
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="error"]').get_attribute("role") == "alert"


def test_another_stores_key_shows_the_api_message_and_a_key_field_and_the_right_key_opens_the_queue(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.keys = {"k-lille": "S-2", "k-lyon": "S-1"}
    store.add(shipment("O-5", due_in=timedelta(minutes=20)))
    open_store(browser, server, "#key=k-lille")
    until(browser, lambda d: error_text(d) == "This API key acts for store S-2 only.")
    assert "#" not in browser.current_url
    key_field = browser.find_element(By.ID, "key-input")
    assert key_field.is_displayed()
    assert not cards(browser)
    key_field.send_keys("k-lyon", Keys.ENTER)
    until(browser, lambda d: len(cards(d)) == 1)
    assert error_text(browser) == ""
    assert not key_field.is_displayed()
    assert browser.execute_script("return localStorage.getItem('omnistock.storeKey')") == "k-lyon"


def test_a_lost_connection_is_announced_the_last_queue_stays_and_it_catches_up_when_back(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(shipment("O-6", due_in=timedelta(minutes=20)))
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    banner = browser.find_element(By.CSS_SELECTOR, '[data-testid="connection"]')
    assert not banner.is_displayed()
    server.down()
    until(browser, lambda _: banner.is_displayed(), timeout=4)
    assert banner.text.startswith("Connection lost — retrying…")
    assert shown_ids(browser) == ["O-6-1"]
    store.add(shipment("O-7", due_in=timedelta(minutes=10)))
    server.up()
    until(browser, lambda d: shown_ids(d) == ["O-7-1", "O-6-1"], timeout=8)
    assert banner.text.startswith("Back online")


def test_stock_lookup_names_the_nearby_stores_and_their_distance(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.stock["SKU-9"] = {
        "here": {"location_id": "S-1", "name": "Lyon Part-Dieu", "on_hand": 0, "in_transit": 0, "reserved": 0,
                 "allocated": 0, "safety_stock": 0, "atp": 0},
        "nearby": [{"location_id": "S-3", "name": "Lyon Confluence", "kind": "STORE", "distance_km": 2.4,
                    "on_hand": 5, "atp": 4}],
    }  # fmt: skip
    open_store(browser, server)
    browser.find_element(By.ID, "lookup-sku").send_keys("SKU-9", Keys.ENTER)
    result = browser.find_element(By.CSS_SELECTOR, '[data-testid="lookup-result"]')
    until(browser, lambda _: "Lyon Confluence" in result.text)
    assert "2.4 km" in result.text
    assert "4 available" in result.text
    browser.find_element(By.ID, "lookup-sku").clear()
    browser.find_element(By.ID, "lookup-sku").send_keys("NOPE", Keys.ENTER)
    until(browser, lambda _: result.text == "No stock was ever recorded for NOPE.")


def test_a_count_sent_again_after_a_failure_keeps_its_count_id(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.count_failures = 1
    open_store(browser, server)
    browser.find_element(By.ID, "count-sku").send_keys("SKU-1")
    browser.find_element(By.ID, "count-units").send_keys("7", Keys.ENTER)
    result = browser.find_element(By.CSS_SELECTOR, '[data-testid="count-result"]')
    until(browser, lambda _: "send it again" in result.text)
    browser.find_element(By.ID, "count-units").send_keys(Keys.ENTER)
    until(browser, lambda _: result.text == "Count sent: SKU-1 = 7.")
    first, second = store.posts_to("/counts")
    assert first == second
    assert first is not None
    assert first["sku"] == "SKU-1"
    assert first["on_hand"] == 7
    assert len(first["count_id"]) == 24
    browser.find_element(By.ID, "count-sku").send_keys("SKU-1")
    browser.find_element(By.ID, "count-units").send_keys("7", Keys.ENTER)
    until(browser, lambda _: len(store.posts_to("/counts")) == 3)
    third = store.posts_to("/counts")[2]
    assert third is not None
    assert third["count_id"] != first["count_id"]  # a new count of the same figures is a new event


def test_at_phone_size_nothing_scrolls_sideways_and_the_buttons_are_big(
    phone: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(
        shipment(
            "O-10482-LONG-ORDER-ID", due_in=timedelta(seconds=-75), lines=[("SKU-OF-A-LONG-NAME-42", 12)]
        ),
        shipment("O-8", due_in=timedelta(minutes=30), flow="PICKUP", lines=[("SKU-A", 1), ("SKU-B", 1)]),
    )
    open_store(phone, server)
    until(phone, lambda d: len(cards(d)) == 2)
    widths = phone.execute_script(
        "const doc = document.documentElement; return [doc.scrollWidth, doc.clientWidth, window.innerWidth]"
    )
    assert widths[2] == 360
    assert widths[0] <= widths[1]
    for tap in phone.find_elements(By.CSS_SELECTOR, "button[data-action]"):
        assert tap.size["height"] >= 44
    phone.find_element(By.ID, "count-units").click()  # the tools are there below the queue
    phone.find_element(By.ID, "count-units").send_keys("3")


def test_with_the_keyboard_alone_tab_reaches_accept_and_enter_accepts(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(shipment("O-9", due_in=timedelta(minutes=20)))
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    accept = button(browser, "O-9-1", "accept")
    for _ in range(20):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element == accept:
            break
    else:
        pytest.fail("Tab never reached the accept button")
    outline = accept.value_of_css_property("outline-style")
    assert outline == "solid"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    until(browser, lambda d: status_of(d, "O-9-1") == "ACCEPTED")
    until(browser, lambda d: d.switch_to.active_element.get_attribute("data-action") == "picked")
    assert store.posts_to("/O-9-1/accept") == [None]


def test_with_the_keyboard_a_reject_dialog_opens_escape_closes_it_and_the_focus_comes_back(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.add(shipment("O-10", due_in=timedelta(minutes=20)))
    open_store(browser, server)
    until(browser, lambda d: len(cards(d)) == 1)
    reject = button(browser, "O-10-1", "reject")
    browser.execute_script("arguments[0].focus()", reject)
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    dialog = browser.find_element(By.ID, "reject-dialog")
    until(browser, lambda _: dialog.is_displayed())
    assert browser.switch_to.active_element.get_attribute("data-reason") == "NOT_FOUND"
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    until(browser, lambda _: not dialog.is_displayed())
    assert browser.switch_to.active_element == reject
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    until(browser, lambda _: dialog.is_displayed())
    ActionChains(browser).send_keys(Keys.TAB, Keys.ENTER).perform()  # the second reason: damaged
    until(browser, lambda d: not cards(d))
    assert store.posts_to("/O-10-1/reject") == [{"reason": "DAMAGED"}]


def test_the_store_picker_links_to_each_store_the_key_acts_for(
    browser: webdriver.Chrome, server: ScriptedServer, store: ScriptedStore
) -> None:
    store.keys = {"k-lyon": "S-1"}
    browser.get(f"{server.base}/store#key=k-lyon")
    link = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#store-list a"))[0]
    assert link.text == "Lyon Part-Dieu (S-1)"
    link.click()
    until(browser, lambda d: d.current_url == f"{server.base}/store/S-1")
    until(browser, lambda d: d.find_element(By.ID, "store-name").text == "Lyon Part-Dieu")
