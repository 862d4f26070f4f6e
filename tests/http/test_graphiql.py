"""The GraphiQL page and its files, over HTTP (the browser test is in tests/browser)."""

from __future__ import annotations

import io
import json
import re
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from gateway.http.graphiql.assets import ASSETS, BY_KEY, complete
from gateway.http.graphiql.examples import EXAMPLES, Example
from gateway.http.graphiql.fetch import FetchError, fetch_assets, integrity
from gateway.http.graphiql.page import CDN
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.server import serve_gateway

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

GRAPHIQL_DOC = Path(__file__).resolve().parents[2] / "docs" / "graphiql.md"
HTML = {"Accept": "text/html"}


@contextmanager
def gateway(**settings: object) -> Iterator[str]:
    with serve_gateway(Settings(sandbox=True, **settings)) as url:  # type: ignore[arg-type]
        yield url


def fake_assets(directory: Path) -> Path:
    """Files at every name of the asset set (their bytes do not matter to the server)."""
    for key in BY_KEY:
        (directory / key).parent.mkdir(parents=True, exist_ok=True)
        (directory / key).write_text(f"/* {key} */")
    return directory


def page_config(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="graphiql-config">(.*?)</script>', page)
    assert found, page
    config: dict[str, object] = json.loads(found.group(1))
    return config


def test_without_the_files_the_page_loads_pinned_versions_from_the_cdn(tmp_path: Path) -> None:
    with gateway(graphiql_assets=str(tmp_path)) as url:
        page = httpx.get(f"{url}/graphql", headers=HTML)
    assert page.status_code == 200
    assert '<meta name="graphiql-assets" content="cdn">' in page.text
    for asset in ASSETS.all():
        assert f'"{CDN}/{asset.key}" integrity="{asset.integrity}" crossorigin' in page.text
    assert "/graphiql/assets/" not in page.text


def test_with_the_files_the_page_and_its_assets_come_from_the_gateway(tmp_path: Path) -> None:
    fake_assets(tmp_path)
    with gateway(graphiql_assets=str(tmp_path)) as url:
        page = httpx.get(f"{url}/graphql", headers=HTML)
        assert '<meta name="graphiql-assets" content="local">' in page.text
        assert CDN not in page.text
        for asset in ASSETS.all():
            assert f'"/graphiql/assets/{asset.key}"' in page.text
            response = httpx.get(f"{url}/graphiql/assets/{asset.key}")
            assert response.status_code == 200
            assert response.text == f"/* {asset.key} */"
            assert response.headers["content-type"].startswith(asset.media_type)
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert response.headers["x-content-type-options"] == "nosniff"


def test_only_files_of_the_asset_set_are_served(tmp_path: Path) -> None:
    assets = fake_assets(tmp_path / "assets")
    (tmp_path / "secret.txt").write_text("TOPSECRET-42")
    (assets / "react@18.3.1" / "package.json").write_text("{}")
    with gateway(graphiql_assets=str(assets)) as url, httpx.Client(base_url=url) as client:
        for path in (
            "/graphiql/assets/react@18.3.1/package.json",
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


def test_a_missing_file_means_the_cdn(tmp_path: Path) -> None:
    fake_assets(tmp_path)
    (tmp_path / ASSETS.explorer_css.key).unlink()
    assert not complete(tmp_path)
    with gateway(graphiql_assets=str(tmp_path)) as url:
        assert 'content="cdn"' in httpx.get(f"{url}/graphql", headers=HTML).text
        assert httpx.get(f"{url}/graphiql/assets/{ASSETS.explorer_css.key}").status_code == 404


def test_the_page_opens_with_the_documented_operations_as_tabs(tmp_path: Path) -> None:
    with gateway(graphiql_assets=str(tmp_path)) as url:
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


def test_the_headers_pane_starts_with_what_a_caller_must_send(tmp_path: Path) -> None:
    with gateway(graphiql_assets=str(tmp_path), api_keys=("k1",)) as url:
        page = httpx.get(f"{url}/graphql", headers=HTML)
        assert page.status_code == 200  # the page itself needs no key
        config = page_config(page.text)
    tabs = config["tabs"]
    assert isinstance(tabs, list)
    assert json.loads(tabs[0]["headers"]) == {"Authorization": "Bearer <your gateway API key>"}
    assert config["headersNeeded"] is True


def test_the_settings_read_the_assets_directory() -> None:
    settings = Settings.from_env({"GATEWAY_GRAPHIQL_ASSETS": " /srv/graphiql "})
    assert settings.graphiql_assets == "/srv/graphiql"
    assert Settings.from_env({}).graphiql_assets is None


def _fake_npm(directory: Path) -> Path:
    """An `npm` whose `pack` writes tarballs of the pinned packages, each file of the asset
    set holding its own name (so not the pinned bytes)."""
    tarballs = directory / "tarballs"
    tarballs.mkdir()
    packed = []
    for asset in ASSETS.all():
        name = f"{asset.package.name.replace('@', '').replace('/', '-')}-{asset.package.version}"
        path = tarballs / f"{name}.tgz"
        members = {}
        if path.exists():
            with tarfile.open(path) as old:
                members = {m.name: old.extractfile(m).read() for m in old if m.isfile()}  # type: ignore[union-attr]
        members[f"package/{asset.path}"] = asset.key.encode()
        with tarfile.open(path, "w:gz") as archive:
            for member_name, data in members.items():
                info = tarfile.TarInfo(member_name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        entry = {"name": asset.package.name, "version": asset.package.version}
        entry["filename"] = path.name
        if entry not in packed:
            packed.append(entry)
    script = directory / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, shutil, sys\n"
        "dest = sys.argv[sys.argv.index('--pack-destination') + 1]\n"
        f"packed = {packed!r}\n"
        f"for p in packed: shutil.copy({str(tarballs)!r} + '/' + p['filename'], dest)\n"
        "print(json.dumps(packed))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_fetching_refuses_files_that_do_not_match_their_pinned_hash(tmp_path: Path) -> None:
    npm = _fake_npm(tmp_path)
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="does not match its pinned hash"):
        fetch_assets(dest, npm=str(npm))
    assert not dest.exists()


def test_fetching_takes_the_files_out_of_the_tarballs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm = _fake_npm(tmp_path)
    pinned = {asset.key: integrity(asset.key.encode()) for asset in ASSETS.all()}
    monkeypatch.setattr(
        "gateway.http.graphiql.fetch.ASSETS",
        type(ASSETS)(
            *(type(asset)(asset.package, asset.path, pinned[asset.key]) for asset in ASSETS.all())
        ),
    )
    written = fetch_assets(tmp_path / "dest", npm=str(npm))
    assert sorted(p.relative_to(tmp_path / "dest").as_posix() for p in written) == sorted(BY_KEY)
    assert complete(tmp_path / "dest")


def test_the_command_says_why_it_cannot_fetch(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "graphiql-assets", "--dest", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 1
    assert "npm not found" in done.stderr
