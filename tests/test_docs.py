"""The documents hold together and their examples work: the README stays short, opens with
its two commands and links every document; every relative link and anchor in README.md,
CHANGELOG.md and docs/ points at something that exists; and the README's curl requests,
its TypeScript scalar map and its Python client do what the README says, against the
sandbox."""

from __future__ import annotations

import json
import re
import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.settings import Settings
from tests.conftest import Gateway
from tests.server import serve_gateway

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, ROOT / "CHANGELOG.md", *DOCS]
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _prose(path: Path) -> str:
    """The document without its fenced code blocks (a `#` there is no heading)."""
    return FENCE.sub("", path.read_text())


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped,
    spaces as hyphens, a repeated one numbered."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(path), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def test_the_anchors_are_github_s() -> None:
    # Guards the slugging the link check relies on, on headings these docs really have.
    assert {"results-2026-12-01", "where-it-landed-against-issue-5s-goals-0-ms-vendor-latency"} <= (
        anchors(ROOT / "docs" / "benchmarks.md")
    )
    assert "from-a-typescript-frontend" in anchors(README)


def _relative_links(path: Path) -> Iterator[str]:
    for target in LINK.findall(_prose(path)):
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            yield target


def _resolves(document: Path, target: str) -> bool:
    """Whether a relative link leads to a file or folder of the repository, and to a
    heading of it when it names an anchor in a Markdown file."""
    where, _, anchor = target.partition("#")
    resolved = (document.parent / where).resolve() if where else document
    if not resolved.is_relative_to(ROOT) or not resolved.exists():
        return False
    return not anchor or resolved.suffix != ".md" or anchor in anchors(resolved)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_points_at_something_that_exists(document: Path) -> None:
    assert [link for link in _relative_links(document) if not _resolves(document, link)] == []


def test_the_link_check_sees_links() -> None:
    links = [link for document in DOCUMENTS for link in _relative_links(document)]
    assert len(links) >= 60
    assert any("#" in link and not link.startswith("#") for link in links)


def test_the_readme_is_short_and_links_every_document() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 320
    links = {link.partition("#")[0] for link in _relative_links(README)}
    assert {f"docs/{doc.name}" for doc in DOCS} <= links
    assert {"CHANGELOG.md", "LICENSE"} <= links


def test_the_readme_opens_with_its_two_commands() -> None:
    text = README.read_text()
    opening = text.split("\n## ", 1)[0]
    first, second = _blocks(text, "sh")[:2]
    assert opening.startswith(f"# Invoice Gateway\n\n```sh\n{first}```\n```sh\n{second}```\n")
    assert first == "python -m pip install . && invoice-gateway serve\n"
    assert second.rstrip().endswith("python -m pytest")


def test_no_document_puts_a_query_in_a_url_for_curl_to_glob() -> None:
    # `curl '…/graphql?query={__typename}'` fails: curl reads the braces as its own pattern.
    for document in DOCUMENTS:
        for block in _blocks(document.read_text(), "sh"):
            for command in block.replace("\\\n", " ").splitlines():
                if "curl" in command and re.search(r"\?[^ ']*[{}]", command):
                    assert " -g" in command or "--globoff" in command, (document.name, command)


def test_the_codegen_scalar_map_covers_every_custom_scalar_as_a_string() -> None:
    codegen = _blocks(_section(README.read_text(), "## From a TypeScript frontend"), "ts")[0]
    scalars_block = re.search(r"scalars: \{(.*?)\}", codegen, re.S)
    assert scalars_block, "a scalars map in codegen.ts"
    mapped = dict(re.findall(r"(\w+): \"(\w+)\"", scalars_block.group(1)))
    custom = re.findall(r"^scalar (\w+)", (ROOT / "schema.graphql").read_text(), re.M)
    assert set(custom) == {"Date", "DateTime", "Decimal"}
    # Each is JSON text on the wire (its description in schema.graphql says so).
    assert mapped == dict.fromkeys(custom, "string")


# --- the README's requests, run against the sandbox ----------------------------------------


def _curl(section: str, marker: str) -> list[str]:
    [block] = [b for b in _blocks(_section(README.read_text(), section), "sh") if marker in b]
    return shlex.split(block.replace("\\\n", " "))


def _option(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == name]


def test_the_readme_post_answers_what_the_readme_shows(gw: Gateway) -> None:
    argv = _curl("## Call it with curl", "--data '")
    assert argv[:2] == ["curl", "-sS"]
    assert _option(argv, "-H") == ["content-type: application/json"]
    [payload] = _option(argv, "--data")
    shown = _blocks(_section(README.read_text(), "## Call it with curl"), "json")[0]
    response = gw.http.post(
        "/graphql", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == json.loads(shown)


def test_the_readme_get_runs_its_query(gw: Gateway) -> None:
    argv = _curl("## Call it with curl", "-G")
    headers = dict(header.split(": ", 1) for header in _option(argv, "-H"))
    params = dict(param.split("=", 1) for param in _option(argv, "--data-urlencode"))
    assert set(params) == {"query"}
    response = gw.http.get("/graphql", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"invoice": {"number": "17", "status": "DRAFT"}}}
    # Without the header the same GET is refused (the README says why it is there).
    assert gw.http.get("/graphql", params=params).status_code == 400


def _python_example() -> dict[str, Any]:
    """The README's Python client, defined but not run (its `__main__` block is not)."""
    section = _section(README.read_text(), "## From a Python backend")
    [code] = _blocks(section, "python")
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(code, "README.md (Python backend)", "exec"), namespace)
    return namespace


def test_the_readme_python_client_reads_and_updates(gw: Gateway) -> None:
    example = _python_example()
    # The gateway is shared by the session: a key of this test's own.
    key = str(uuid.uuid4())
    with example["connect"](str(gw.http.base_url)) as client:
        invoice = example["invoice"](client, "kantata:invoice:101")
        assert invoice["number"] == "17"
        assert invoice["balance"] == {"amount": "8186.19", "currency": "USD"}
        assert example["invoice"](client, "kantata:invoice:999999") is None
        updated = example["set_notes"](client, "kantata:invoice:101", "Thank you", key)
        assert updated == {"id": "kantata:invoice:101", "notes": "Thank you"}
        # The same key again is answered from the first run, not run twice.
        example["set_notes"](client, "kantata:invoice:101", "Thank you", key)
        puts = [r for r in gw.requests("kantata") if r["method"] == "PUT"]
        assert len(puts) == 1


def test_the_readme_python_client_tells_errors_by_code(gw: Gateway) -> None:
    example = _python_example()
    with example["connect"](str(gw.http.base_url)) as client:
        with pytest.raises(example["GatewayError"]) as refused:
            example["set_notes"](client, "kantata:invoice:101", "x" * 200_000, str(uuid.uuid4()))
        assert refused.value.codes == ["LIMIT_EXCEEDED"]
        with pytest.raises(example["GatewayError"]) as invalid:
            example["invoice"](client, "kitchen:invoice:../../etc")
        assert invalid.value.codes == ["INVALID_INPUT"]
        assert not invalid.value.transient
        gw.fault("kantata", method="GET", path="/invoices", status=503, times=3)
        with pytest.raises(example["GatewayError"]) as unavailable:
            example["invoice"](client, "kantata:invoice:102")
        assert unavailable.value.codes == ["UPSTREAM_UNAVAILABLE"]
        assert unavailable.value.transient


@pytest.mark.e2e
def test_the_readme_python_client_sends_the_api_key() -> None:
    example = _python_example()
    with serve_gateway(Settings(sandbox=True, api_keys=("k1",))) as url:
        with example["connect"](url) as client, pytest.raises(example["GatewayError"]) as door:
            example["invoice"](client, "kantata:invoice:101")
        assert door.value.codes == ["UNAUTHENTICATED"]
        with example["connect"](url, api_key="k1") as client:
            assert example["invoice"](client, "kantata:invoice:101")["number"] == "17"
