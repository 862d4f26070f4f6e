"""Headless Chromium (Debian's `chromium`, driven through Debian's `chromium-driver` by
selenium) that can reach loopback only: every other host fails to resolve and goes to a
proxy that is not there, so a page that needs a CDN does not work here."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Loopback only: names resolve to nothing but 127.0.0.1, and whatever is not loopback is
# sent to a proxy on a closed port (loopback always bypasses a proxy).
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)
# As root in a container, and on a machine whose network refuses everything else.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1440,900",
)


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    chromium = os.environ.get("CHROMIUM") or _find("chromium", "chromium-browser")
    driver_path = os.environ.get("CHROMEDRIVER") or _find("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip(
            "no Chromium here: install Debian's chromium and chromium-driver "
            "(.ci/run does), or set CHROMIUM and CHROMEDRIVER"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    # Both paths given: selenium never looks for (or downloads) a driver or a browser.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
