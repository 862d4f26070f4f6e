"""Reading and driving the GraphiQL page in Chromium, for the browser tests."""

from __future__ import annotations

import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

RESULT_TEXT = """
return Array.from(document.querySelectorAll(".graphiql-response .CodeMirror"))
  .map((element) => element.CodeMirror.getValue()).join("\\n");
"""
QUERY_TEXT = """
return Array.from(document.querySelectorAll(".graphiql-query-editor .CodeMirror"))
  .map((element) => element.CodeMirror.getValue()).join("\\n");
"""
PAGE_TEXT = "return document.body.innerText;"
# Whether the page could reach `arguments[0]` (a host that is not loopback: it must not).
OUTSIDE_FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], { mode: "no-cors" }).then(() => done("reached"), () => done("blocked"));
"""
# Every URL the page loaded: its scripts and style sheets.
RESOURCES = """
return performance.getEntriesByType("resource").map((entry) => entry.name);
"""
# The width the favicon the page links to decodes to (0: it did not load or decode).
FAVICON_WIDTH = """
const done = arguments[arguments.length - 1];
const image = new Image();
image.onload = () => done(image.naturalWidth);
image.onerror = () => done(0);
image.src = document.querySelector('link[rel="icon"]').href;
"""
# A host the machine could reach were the browser not kept to loopback (reserved for examples).
OUTSIDE = "https://example.com/"


def wait_for_text(
    driver: webdriver.Chrome, needle: str, timeout: float = 30, script: str = RESULT_TEXT
) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = str(driver.execute_script(script))
        if needle in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared: {text!r}")


def open_tabs(driver: webdriver.Chrome, url: str) -> list[WebElement]:
    """GraphiQL at `url`, once it shows its tabs."""
    driver.get(url)
    WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".graphiql-tab"))
    )
    return driver.find_elements(By.CSS_SELECTOR, ".graphiql-tab")


def run(driver: webdriver.Chrome) -> None:
    """Run the open tab's operation."""
    WebDriverWait(driver, 30).until(
        expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button"))
    ).click()
