"""The GraphiQL page in a real browser with no way out to the internet: it loads from the
gateway alone, opens with the example tabs, and runs an update against the sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from gateway.app import create_app
from gateway.http.graphiql.assets import ASSETS
from gateway.http.graphiql.examples import EXAMPLES
from gateway.http.graphiql.page import asset_url
from gateway.settings import Settings
from tests.browser.conftest import ARTIFACTS
from tests.server import free_port, serve

RESULT_TEXT = """
return Array.from(document.querySelectorAll(".graphiql-response .CodeMirror"))
  .map((element) => element.CodeMirror.getValue()).join("\\n");
"""
QUERY_TEXT = """
return Array.from(document.querySelectorAll(".graphiql-query-editor .CodeMirror"))
  .map((element) => element.CodeMirror.getValue()).join("\\n");
"""
CDN_FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], { mode: "no-cors" }).then(() => done("reached"), () => done("blocked"));
"""
RESOURCES = """
return performance.getEntriesByType("resource").map((entry) => entry.name);
"""


@pytest.fixture
def offline_gateway(graphiql_assets: Path) -> Iterator[str]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    settings = Settings(sandbox=True, graphiql_assets=str(graphiql_assets))
    with serve(create_app(settings, sandbox_origin=origin), port=port) as url:
        yield url


def _wait_for_text(
    driver: webdriver.Chrome, needle: str, timeout: float = 30, script: str = RESULT_TEXT
) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = str(driver.execute_script(script))
        if needle in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared in the pane: {text!r}")


def test_graphiql_runs_an_update_with_no_internet(
    browser: webdriver.Chrome, offline_gateway: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(f"{offline_gateway}/graphql")
    wait = WebDriverWait(browser, 30)
    try:
        wait.until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".graphiql-tab"))
        )
        assert (
            browser.find_element(By.CSS_SELECTOR, 'meta[name="graphiql-assets"]').get_attribute(
                "content"
            )
            == "local"
        )
        tabs = browser.find_elements(By.CSS_SELECTOR, ".graphiql-tab")
        assert [tab.text.strip() for tab in tabs] == [example.name for example in EXAMPLES]

        update = next(tab for tab in tabs if tab.text.strip() == "UpdateKantataInvoice")
        update.find_element(By.CSS_SELECTOR, "button").click()
        _wait_for_text(browser, "mutation UpdateKantataInvoice", script=QUERY_TEXT)
        # GraphiQL works out the operation name from the editor after a short debounce;
        # executing before it fires sends the previous tab's operation name.
        time.sleep(0.5)
        wait.until(
            expected_conditions.element_to_be_clickable(
                (By.CSS_SELECTOR, ".graphiql-execute-button")
            )
        ).click()
        result = _wait_for_text(browser, "Thank you for your business")
    finally:
        browser.save_screenshot(str(ARTIFACTS / "graphiql-offline.png"))

    assert '"number": "18"' in result
    assert "userErrors" in result and '"userErrors": []' in result
    # The sandbox really took the update.
    read = httpx.post(
        f"{offline_gateway}/graphql",
        json={"query": '{ invoice(id: "kantata:invoice:101") { number notes } }'},
        timeout=10,
    ).json()
    assert read == {"data": {"invoice": {"number": "18", "notes": "Thank you for your business"}}}
    # Everything the page loaded came from the gateway itself.
    loaded = browser.execute_script(RESOURCES)
    assert loaded, "the page loaded no resources"
    assert all(str(name).startswith(offline_gateway) for name in loaded), loaded
    # And the CDN really was out of reach.
    assert browser.execute_async_script(CDN_FETCH, asset_url(ASSETS.react, None)) == "blocked"
