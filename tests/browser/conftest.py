"""A headless Chromium per module (desktop size) and one at phone size, shared by the module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver

from tests.conftest import unavailable
from tests.support.browser import chromium_binaries, headless_chromium

PHONE = (360, 740)


def _require_chromium() -> None:
    try:
        chromium_binaries()
    except RuntimeError as error:
        unavailable(f"no headless Chromium: {error}")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    _require_chromium()
    with headless_chromium(1280, 900) as driver:
        yield driver


@pytest.fixture(scope="module")
def phone() -> Iterator[webdriver.Chrome]:
    _require_chromium()
    with headless_chromium(*PHONE) as driver:
        yield driver
