"""The GraphiQL page in a real browser with no way out to the internet: it loads from the
gateway alone, opens with the example tabs, and runs an update against the sandbox; and
when one of its files does not load, it says so instead of staying blank."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from gateway.app import create_app
from gateway.http.graphiql.assets import ASSETS
from gateway.http.graphiql.examples import EXAMPLES
from gateway.settings import Settings
from tests.browser.conftest import ARTIFACTS
from tests.browser.graphiql import (
    FAVICON_WIDTH,
    OUTSIDE,
    OUTSIDE_FETCH,
    PAGE_TEXT,
    QUERY_TEXT,
    RESOURCES,
    open_tabs,
    run,
    wait_for_text,
)
from tests.http.test_graphiql_files import linked_copy
from tests.server import free_port, serve


@pytest.fixture
def offline_gateway() -> Iterator[str]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with serve(create_app(Settings(sandbox=True), sandbox_origin=origin), port=port) as url:
        yield url


def test_graphiql_runs_an_update_with_no_internet(
    browser: webdriver.Chrome, offline_gateway: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        tabs = open_tabs(browser, f"{offline_gateway}/graphql")
        assert [tab.text.strip() for tab in tabs] == [example.name for example in EXAMPLES]

        update = next(tab for tab in tabs if tab.text.strip() == "UpdateKantataInvoice")
        update.find_element(By.CSS_SELECTOR, "button").click()
        wait_for_text(browser, "mutation UpdateKantataInvoice", script=QUERY_TEXT)
        # GraphiQL works out the operation name from the editor after a short debounce;
        # executing before it fires sends the previous tab's operation name.
        time.sleep(0.5)
        run(browser)
        result = wait_for_text(browser, "Thank you for your business")
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
    # Everything the page loaded came from the gateway itself, the favicon included.
    loaded = browser.execute_script(RESOURCES)
    assert len(loaded) >= len(ASSETS.all()), loaded
    assert all(str(name).startswith(offline_gateway) for name in loaded), loaded
    assert browser.execute_async_script(FAVICON_WIDTH) > 0
    # And the rest of the world really was out of reach.
    assert browser.execute_async_script(OUTSIDE_FETCH, OUTSIDE) == "blocked"


def test_a_file_that_does_not_load_is_named_on_the_page(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The gateway checks its copy once; a file lost after that fails in the browser, and
    the page says which one and how to fix it rather than staying blank."""
    assets = linked_copy(tmp_path)
    port = free_port()
    app = create_app(
        Settings(sandbox=True), sandbox_origin=f"http://127.0.0.1:{port}", graphiql_assets=assets
    )
    with serve(app, port=port) as url:
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql-config" in page.text  # checked: whole
        (assets / ASSETS.graphiql_js.key).unlink()
        browser.get(f"{url}/graphql")
        text = wait_for_text(browser, "GraphiQL could not load its files", script=PAGE_TEXT)
    assert f"{url}/graphiql/assets/{ASSETS.graphiql_js.key}" in text
    assert "Reinstall" in text and "Loading GraphiQL" not in text
