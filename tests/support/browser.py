"""A headless Chromium driven by Selenium: Debian's `chromium` and `chromium-driver`, installed once.

Selenium is pointed at /usr/bin/chromium and /usr/bin/chromedriver, so Selenium Manager downloads
nothing (the test machines refuse outside connections). A fresh machine lacks the packages; as root
with apt-get (CI, the development machines) they are installed once, like Prometheus in
tests/support/prometheus_tools.py.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.debian_packages import install_debian_packages

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("chromium", "chromium-driver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def chromium_binaries() -> tuple[Path, Path]:
    """(chromium, chromedriver); installed from Debian's packages when missing; RuntimeError saying why
    when they cannot be had."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        install_debian_packages(PACKAGES, missing="chromium")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        raise RuntimeError("the Debian packages chromium and chromium-driver installed no /usr/bin binaries")
    return CHROMIUM, CHROMEDRIVER


def set_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """The page's viewport, to the pixel: headless Chromium's windows are at least 500 px wide, so a phone's
    360 px is emulated (as a touch-less mobile screen below 600 px, the way a phone lays pages out)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


@contextmanager
def headless_chromium(width: int = 1280, height: int = 900) -> Iterator[webdriver.Chrome]:
    """A headless Chromium of the given window size, with its own throwaway profile."""
    chromium, chromedriver = chromium_binaries()
    with tempfile.TemporaryDirectory(prefix="omnistock-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(chromium)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={width},{height}")
        driver = webdriver.Chrome(service=Service(executable_path=str(chromedriver)), options=options)
        set_viewport(driver, width, height)
        try:
            yield driver
        finally:
            driver.quit()
