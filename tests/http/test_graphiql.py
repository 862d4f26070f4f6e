"""The GraphiQL page, its files and its favicon, over HTTP (the browser tests are in
tests/browser; the shipped files themselves in test_graphiql_files.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from gateway.http.graphiql.assets import ASSETS
from gateway.http.graphiql.check import FIX, integrity
from gateway.http.graphiql.examples import EXAMPLES, Example
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.http.test_graphiql_files import linked_copy
from tests.server import serve_gateway

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

GRAPHIQL_DOC = Path(__file__).resolve().parents[2] / "docs" / "graphiql.md"
HTML = {"Accept": "text/html"}


@contextmanager
def gateway(assets: Path | None = None, **settings: object) -> Iterator[str]:
    """The gateway on the sandbox; its GraphiQL files from `assets` (default: shipped)."""
    options = {} if assets is None else {"graphiql_assets": assets}
    with serve_gateway(Settings(sandbox=True, **settings), **options) as url:  # type: ignore[arg-type]
        yield url


def page_config(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="graphiql-config">(.*?)</script>', page)
    assert found, page
    config: dict[str, object] = json.loads(found.group(1))
    return config


def test_the_page_and_every_file_it_loads_come_from_the_gateway() -> None:
    with gateway() as url, httpx.Client(base_url=url) as client:
        page = client.get("/graphql", headers=HTML)
        assert page.status_code == 200
        linked = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        # The four scripts, the two style sheets and the favicon: nothing from another host.
        assert len(linked) == 7 and all(link.startswith("/") for link in linked), linked
        for asset in ASSETS.all():
            assert f'"/graphiql/assets/{asset.key}" integrity="{asset.integrity}"' in page.text
            response = client.get(f"/graphiql/assets/{asset.key}")
            assert response.status_code == 200
            assert integrity(response.content) == asset.integrity  # the pinned bytes
            assert response.headers["content-type"].startswith(asset.media_type)
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert response.headers["x-content-type-options"] == "nosniff"


def test_the_favicon_is_ours_and_linked_from_the_page() -> None:
    with gateway() as url, httpx.Client(base_url=url) as client:
        assert (
            '<link rel="icon" href="/favicon.svg" type="image/svg+xml">'
            in client.get("/graphql", headers=HTML).text
        )
        icon = client.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.headers["cache-control"] == "public, max-age=86400"
    svg = ElementTree.fromstring(icon.content)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 32 32"


def test_only_files_of_the_asset_set_are_served(tmp_path: Path) -> None:
    assets = linked_copy(tmp_path / "assets")
    (tmp_path / "secret.txt").write_text("TOPSECRET-42")
    (assets / "react@18.3.1" / "package.json").write_text("{}")
    with gateway(assets) as url, httpx.Client(base_url=url) as client:
        for path in (
            "/graphiql/assets/react@18.3.1/package.json",
            "/graphiql/assets/react@18.3.1/LICENSE",
            "/graphiql/assets/THIRD_PARTY.md",
            "/graphiql/assets/../secret.txt",
            "/graphiql/assets/%2e%2e/secret.txt",
            "/graphiql/assets/react@18.3.1/..%2f..%2fsecret.txt",
            "/graphiql/assets/react@18.3.1/umd/../../../secret.txt",
            "/graphiql/assets//etc/passwd",
            "/graphiql/assets/",
        ):
            response = client.send(client.build_request("GET", path))
            assert response.status_code == 404, path
            assert "TOPSECRET-42" not in response.text
        assert client.post(f"/graphiql/assets/{ASSETS.react.key}").status_code == 405


def test_a_copy_that_is_not_whole_gets_a_page_naming_each_file_and_the_fix(
    tmp_path: Path,
) -> None:
    assets = linked_copy(tmp_path)
    (assets / ASSETS.explorer_css.key).unlink()
    (assets / ASSETS.react.key).unlink()
    (assets / ASSETS.react.key).write_text("/* not React */")
    with gateway(assets) as url:
        page = httpx.get(f"{url}/graphql", headers=HTML)
        assert httpx.get(f"{url}/graphiql/assets/{ASSETS.explorer_css.key}").status_code == 404
        # The GraphQL endpoint itself is unaffected.
        assert httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}).status_code == 200
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "GraphiQL cannot start" in text and "<script" not in text
    assert f"<li><code>{ASSETS.explorer_css.key}</code>: missing</li>" in text
    assert f"<li><code>{ASSETS.react.key}</code>: not the pinned file (sha384-" in text
    assert text.count("<li>") == 2
    assert FIX in text
    assert str(tmp_path) not in text  # the server's paths stay in its log


def test_the_page_opens_with_the_documented_operations_as_tabs() -> None:
    with gateway() as url:
        config = page_config(httpx.get(f"{url}/graphql", headers=HTML).text)
    tabs = config["tabs"]
    assert isinstance(tabs, list)
    assert [tab["query"] for tab in tabs] == [example.document for example in EXAMPLES]
    assert all(tab["headers"] == "" for tab in tabs)  # the sandbox needs none

    def normal(text: str) -> str:
        return " ".join(text.split())

    section = GRAPHIQL_DOC.read_text().split("## Try it in GraphiQL", 1)[1].split("\n## ", 1)[0]
    documented = [normal(block) for block in re.findall(r"```graphql\n(.*?)```", section, re.S)]
    for example in EXAMPLES:
        unnamed = example.document.replace(f" {example.name} ", " ", 1)
        assert normal(unnamed) in documented, example.name
    ids = " ".join(example.document for example in EXAMPLES)
    assert "kantata:invoice:101" in ids
    assert "kitchen:invoice:in_14b07ae04d0ff853c351b3cc" in ids


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.name)
def test_every_example_runs_on_the_sandbox(gw: Gateway, example: Example) -> None:
    data = gw.data(example.document)
    root = data.get("updateInvoice")
    if root is not None and "invoice" in root:
        assert root["userErrors"] == []


def test_the_headers_pane_starts_with_what_a_caller_must_send() -> None:
    with gateway(api_keys=("k1",)) as url:
        page = httpx.get(f"{url}/graphql", headers=HTML)
        assert page.status_code == 200  # the page itself needs no key
        config = page_config(page.text)
    tabs = config["tabs"]
    assert isinstance(tabs, list)
    assert json.loads(tabs[0]["headers"]) == {"Authorization": "Bearer <your gateway API key>"}
    assert config["headersNeeded"] is True
