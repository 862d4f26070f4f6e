"""Manifests of persisted documents (GATEWAY_PERSISTED_DOCUMENTS), read and checked at
start: their ids against the hashes the formats' documentation gives, and every problem of
every file told at once. On the wire: tests/http/test_persisted_documents.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.app import load_persisted_documents
from gateway.http.apq import MemoryQueryStore, PersistedQueries, PersistedQueryError
from gateway.http.persisted_documents import MAX_BYTES, MAX_ENTRIES, ManifestError, id_problem
from gateway.settings import Settings, SettingsError
from tests.server import free_port

APOLLO = "apollo-persisted-query-manifest"
READ = '{ invoice(id: "kantata:invoice:101") { number } }'
TYPENAME = "query Typename { __typename }"

# Ids and documents as the formats' documentation prints them.
# Apollo Kotlin's `persistedQueryManifest` example (an id is the SHA-256 of the body):
APOLLO_EXAMPLE = (
    "dc67510fb4289672bea757e862d6b00e83db5d3cbbcfb15260601b6f29bb2b8f",
    "query UniversalQuery { __typename }",
)
APOLLO_MUTATION = (
    "04649073787db6f24b495d49e5e87526734335a002edbd6e06e7315e302af5ac",
    "mutation SetNameMutation($name: String!) { setName($name) }",
)
# The GraphQL-over-HTTP appendix "Persisted Documents": one query, spaced and compact.
SPACED = "query ($id: ID!) {\n  user(id: $id) {\n    name\n  }\n}"
COMPACT = "query($id:ID!){user(id:$id){name}}"
SPACED_ID = "sha256:7dba4bd717b41f10434822356a93c32b1fb4907b983e854300ad839f84cdcd6e"
COMPACT_ID = "sha256:71f7dc5758652baac68e4a10c50be732b741c892ade2883a99358f52b555286b"
# FIPS 180's test vectors for "abc": SHA-1 (codegen's `hashAlgorithm: "sha1"`) and SHA-256.
ABC_SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("document_id", "document", "problem"),
    [
        (APOLLO_EXAMPLE[0], APOLLO_EXAMPLE[1], None),
        (APOLLO_MUTATION[0], APOLLO_MUTATION[1], None),
        (APOLLO_EXAMPLE[0].upper(), APOLLO_EXAMPLE[1], None),  # hex in capitals is the same
        (SPACED_ID, SPACED, None),
        (COMPACT_ID, COMPACT, None),
        (SPACED_ID.removeprefix("sha256:"), SPACED, None),  # codegen writes it bare
        (ABC_SHA1, "abc", None),
        (ABC_SHA256, "abc", None),
        ("UniversalQuery", APOLLO_EXAMPLE[1], None),  # `createOperationId`'s: unchecked
        ("x-app:v2.UniversalQuery~1", APOLLO_EXAMPLE[1], None),
        # Whitespace changes the hash: the compact query's id is not the spaced one's.
        (COMPACT_ID, SPACED, "not the SHA-256 of its document"),
        (APOLLO_EXAMPLE[0], APOLLO_MUTATION[1], "not the SHA-256 of its document"),
        (ABC_SHA1, "abd", "not the SHA-1 of its document"),
        ("sha256:" + ABC_SHA1, "abc", "a sha256: id must go on with"),
        ("", "abc", "non-empty string"),
        (None, "abc", "non-empty string"),
        (101, "abc", "non-empty string"),
        ("Get User", "abc", "may hold only"),
        ("Get/User", "abc", "may hold only"),
        ("x" * 257, "abc", "257 characters long; the most is 256"),
    ],
)
def test_ids_are_checked_against_the_documented_hashes(
    document_id: object, document: str, problem: str | None
) -> None:
    found = id_problem(document_id, document)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


# --- loading: each format, and every problem at once ------------------------------------


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apollo(*operations: tuple[str, str, str]) -> dict[str, Any]:
    """A persisted query list as generate-persisted-query-manifest writes it."""
    return {
        "format": APOLLO,
        "version": 1,
        "operations": [
            {"id": i, "name": name, "type": "query", "body": body} for i, name, body in operations
        ],
    }


def write(directory: Path, name: str, content: object) -> str:
    path = directory / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def load(*paths: str, **settings: Any) -> Any:
    return load_persisted_documents(Settings(persisted_documents=paths, **settings))


def test_both_formats_load_and_are_found_by_any_of_their_ids(tmp_path: Path) -> None:
    pql = write(tmp_path, "pql.json", apollo((sha256(READ), "Read", READ), ("T", "T", TYPENAME)))
    codegen = write(
        tmp_path,
        "persisted-documents.json",
        {hashlib.sha1(TYPENAME.encode()).hexdigest(): TYPENAME},
    )
    documents = load(pql, codegen)
    assert documents.find(sha256(READ)) == READ
    assert documents.find("sha256:" + sha256(READ)) == READ
    assert documents.find(sha256(READ).upper()) == READ
    assert documents.find("T") == TYPENAME
    assert documents.find(hashlib.sha1(TYPENAME.encode()).hexdigest()) == TYPENAME
    assert documents.find(sha256(TYPENAME)) == TYPENAME  # whatever its ids, by its hash
    assert documents.find("t") is None
    assert documents.find(sha256("{ __typename }")) is None
    assert (documents.ids, len(documents.by_sha256)) == (3, 2)


def test_start_is_refused_with_every_problem_of_every_file(tmp_path: Path) -> None:
    deep = "query Deep { " + "node(id: 1) { " * 16 + "id" + " }" * 16 + " }"
    aliases = "query Aliases { " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"
    first = write(
        tmp_path,
        "first.json",
        apollo(
            (sha256(READ), "Read", READ),
            (sha256(READ), "Wrong", TYPENAME),  # the id is another body's hash
            ("Unknown", "Unknown", "query Unknown { noSuchField }"),
            ("Deep", "Deep", deep),
            ("Aliases", "Aliases", aliases),
            ("Broken", "Broken", "query Broken {"),
        ),
    )
    second = write(tmp_path, "second.json", {"T": TYPENAME})
    third = write(tmp_path, "third.json", {"T": "query Other { __typename }"})  # T again
    repeated = write(tmp_path, "repeated.json", '{"R": "{ __typename }", "R": "{ a: __typename }"}')
    paths = [
        first,
        second,
        third,
        repeated,
        write(tmp_path, "truncated.json", '{"format": "' + APOLLO),
        write(tmp_path, "relay.json", {"format": "relay-persisted-queries"}),
        write(tmp_path, "list.json", [READ]),
        write(tmp_path, "version2.json", {"format": APOLLO, "version": 2, "operations": []}),
        write(tmp_path, "empty.json", {}),
        str(tmp_path / "missing.json"),
    ]
    with pytest.raises(ManifestError) as refused:
        load(*paths)
    assert isinstance(refused.value, SettingsError)  # `serve` tells it as a settings problem
    lines = str(refused.value).splitlines()
    expected = [
        f"{first}: id {sha256(READ)!r}: the id is not the SHA-256 of its document",
        f"{first}: id 'Unknown': Cannot query field 'noSuchField' on type 'Query'",
        f"{first}: id 'Deep': operation Deep nests fields 16 deep; the limit is 15",
        f"{first}: id 'Aliases': operation Aliases uses 31 aliases",
        f"{first}: id 'Broken': Syntax Error",
        f"{third}: id 'T': {second} gives this id another document",
        f"{repeated}: id 'R' is given twice, with different documents",
        f"{paths[4]}: not valid JSON",
        f"{paths[5]}: unknown format 'relay-persisted-queries'",
        f"{paths[6]}: not a manifest format the gateway reads",
        f"{paths[7]}: {APOLLO} version 2 (the gateway reads 1)",
        f"{paths[8]}: holds no documents",
        f"{paths[9]}: cannot be read (No such file or directory)",
    ]
    assert lines[0] == "13 problems in the persisted documents (GATEWAY_PERSISTED_DOCUMENTS):"
    assert len(lines) == 1 + len(expected)
    for line, start in zip(lines[1:], expected, strict=True):
        assert line.strip().startswith(start), (line, start)


def test_documents_are_checked_as_the_gateway_runs_them(tmp_path: Path) -> None:
    introspection = "query Types { __schema { types { name } } }"
    path = write(tmp_path, "pql.json", apollo((sha256(introspection), "Types", introspection)))
    assert load(path) is not None
    with pytest.raises(ManifestError, match="introspection"):
        load(path, introspection=False)


def test_a_manifest_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    small = write(tmp_path, "small.json", apollo(("T", "T", TYPENAME)))
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(MAX_BYTES)  # with the small one, past the cap by its size
    with pytest.raises(ManifestError) as refused:
        load(small, str(huge))
    assert str(refused.value).splitlines()[1:] == [
        f"  {huge}: the manifests may hold {MAX_BYTES:,} bytes in all, and this one goes past "
        "that (read no further)"
    ]


def test_a_manifest_of_many_tiny_entries_stops_at_the_id_cap(tmp_path: Path) -> None:
    entries = {f"i{n}": "{ __typename }" for n in range(150_000)}
    path = write(tmp_path, "tiny.json", entries)
    assert Path(path).stat().st_size < MAX_BYTES  # within the byte cap: the id cap stops it
    with pytest.raises(ManifestError) as refused:
        load(path)
    assert str(refused.value).splitlines()[1:] == [
        f"  the manifests name more than {MAX_ENTRIES:,} ids"
    ]


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        (
            {"format": APOLLO, "version": 1, "operations": {"T": TYPENAME}},
            "`operations` must be a list",
        ),
        ({"format": APOLLO, "version": True, "operations": []}, f"{APOLLO} version True"),
        ({"format": APOLLO, "version": 1, "operations": ["T"]}, "operations[0] must be an object"),
        (
            {"format": APOLLO, "version": 1, "operations": [{"id": "T", "body": TYPENAME}]},
            "id 'T': `type` must be one of query, mutation, subscription",
        ),
        (
            {"format": APOLLO, "version": 1, "operations": [{"id": "T", "type": "query"}]},
            "id 'T': the document must be a string",
        ),
        ({"T": 1, "U": TYPENAME}, "id 'T': the document must be a string"),
        # Apollo's older operationOutput format: not one of the two.
        ({"T": {"name": "T", "source": TYPENAME}}, "not a manifest format"),
        ("[" * 100 + "]" * 100, "not valid JSON: it nests deeper than 64 levels"),
        ('{"T": "{ __typename }"', "not valid JSON: Expecting ',' delimiter"),
        (b"\xff\xfe{}", "not valid JSON: it is not UTF-8 text"),
        ('{"T": "{ __typename }", "U": NaN}', "not valid JSON: NaN is not a JSON number"),
    ],
)
def test_a_malformed_manifest_is_refused(tmp_path: Path, manifest: object, problem: str) -> None:
    path = tmp_path / "manifest.json"
    if isinstance(manifest, bytes):
        path.write_bytes(manifest)
    else:
        path.write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    with pytest.raises(ManifestError) as refused:
        load(str(path))
    assert f"{path}: {problem}" in str(refused.value)


# --- the manifest without persisted-only mode -------------------------------------------


async def test_without_persisted_only_a_manifest_adds_and_refuses_nothing(tmp_path: Path) -> None:
    documents = load(write(tmp_path, "pql.json", apollo(("T", "T", TYPENAME))))
    apq = PersistedQueries(MemoryQueryStore(), documents=documents)
    assert (await apq.resolve({"documentId": "T"}))["query"] == TYPENAME
    assert await apq.resolve({"query": READ}) == {"query": READ}
    registering = {"query": READ, "extensions": {"persistedQuery": sha_extension(READ)}}
    await apq.resolve(registering)
    assert await apq.store.get(sha256(READ)) == READ  # APQ still registers
    # A registered document is also found by a `documentId` that is its SHA-256.
    assert (await apq.resolve({"documentId": "sha256:" + sha256(READ)}))["query"] == READ
    with pytest.raises(PersistedQueryError) as refused:
        await apq.resolve({"documentId": sha256("{ __typename }")})
    assert (refused.value.status, refused.value.code) == (400, "PERSISTED_DOCUMENT_NOT_FOUND")


def sha_extension(document: str) -> dict[str, Any]:
    return {"version": 1, "sha256Hash": sha256(document)}


# --- `serve` refuses to start -----------------------------------------------------------


@pytest.mark.e2e
def test_serve_exits_with_the_list_of_problems(tmp_path: Path) -> None:
    bad_json = write(tmp_path, "bad.json", '{"T": ')
    mismatch = write(tmp_path, "pql.json", apollo((sha256(READ), "Read", TYPENAME)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "KANTATA_"))}
    env = {k: v for k, v in env.items() if not k.startswith("KITCHEN_")}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", str(free_port())],
        env={**env, "GATEWAY_PERSISTED_DOCUMENTS": f"{bad_json}, {mismatch}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "2 problems in the persisted documents (GATEWAY_PERSISTED_DOCUMENTS)" in done.stderr
    assert f"{bad_json}: not valid JSON" in done.stderr
    assert f"{mismatch}: id {sha256(READ)!r}: the id is not the SHA-256" in done.stderr
