"""Persisted documents from manifests on the running gateway, in persisted-only mode:
a frontend's operations run by the ids its build wrote (Apollo's persisted query list,
sent as an APQ hash; graphql-codegen's persisted-documents.json, sent as `documentId`
over POST and GET), and nothing else runs. Loading and checking the manifests:
tests/http/test_persisted_manifests.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.settings import Settings
from tests.conftest import Gateway, calling
from tests.gateway.queries import KANTATA_DRAFT
from tests.server import serve_gateway

pytestmark = pytest.mark.e2e

PREFLIGHT = {"GraphQL-Require-Preflight": "1"}
GRAPHQL_RESPONSE = "application/graphql-response+json"

# The frontend's operations, and what the sandbox's demo data answers them.
KANTATA_NUMBER = 'query KantataNumber { invoice(id: "kantata:invoice:101") { number } }'
KITCHEN_NUMBER = (
    'query KitchenNumber { invoice(id: "kitchen:invoice:in_14b07ae04d0ff853c351b3cc") { number } }'
)
SET_NOTES = (
    "mutation SetNotes($input: UpdateInvoiceInput!) "
    "{ updateInvoice(input: $input) { invoice { notes } userErrors { code } } }"
)
SET_NOTES_AND_NUMBER = (
    "mutation SetNotesAndNumber($input: UpdateInvoiceInput!) "
    "{ updateInvoice(input: $input) { invoice { notes number } userErrors { code } } }"
)
KANTATA_DATA = {"invoice": {"number": "17"}}
KITCHEN_DATA = {"invoice": {"number": "FP-00018"}}


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def sha1(document: str) -> str:
    return hashlib.sha1(document.encode()).hexdigest()


def notes(text: str) -> dict[str, Any]:
    return {"input": {"id": KANTATA_DRAFT, "notes": text}}


def apq(document_id: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_id}}


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    directory = tmp_path_factory.mktemp("frontend")
    # As @apollo/generate-persisted-query-manifest writes it: ids are the bodies' SHA-256,
    # or what the project's `createOperationId` made (here the operation's name).
    pql = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {
                "id": sha256(KANTATA_NUMBER),
                "name": "KantataNumber",
                "type": "query",
                "body": KANTATA_NUMBER,
            },
            {"id": sha256(SET_NOTES), "name": "SetNotes", "type": "mutation", "body": SET_NOTES},
            {
                "id": "KitchenNumber",
                "name": "KitchenNumber",
                "type": "query",
                "body": KITCHEN_NUMBER,
            },
        ],
    }
    # As graphql-codegen's client preset writes persisted-documents.json: the hash of each
    # document (SHA-256 by default; the mutation's with `hashAlgorithm: "sha1"`).
    codegen = {
        sha256(KITCHEN_NUMBER): KITCHEN_NUMBER,
        sha1(SET_NOTES_AND_NUMBER): SET_NOTES_AND_NUMBER,
    }
    apollo_path = directory / "persisted-query-manifest.json"
    codegen_path = directory / "persisted-documents.json"
    apollo_path.write_text(json.dumps(pql))
    codegen_path.write_text(json.dumps(codegen))
    return str(apollo_path), str(codegen_path)


@pytest.fixture(scope="module")
def persisted_url(manifests: tuple[str, str]) -> Iterator[str]:
    settings = Settings(sandbox=True, persisted_queries_only=True, persisted_documents=manifests)
    with serve_gateway(settings) as url:
        yield url


@pytest.fixture
def frontend(persisted_url: str) -> Iterator[Gateway]:
    with calling(persisted_url) as gateway:
        yield gateway


# --- what runs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "data"),
    [
        # Apollo Client's persisted queries link: the list's id as the APQ hash.
        ({"extensions": apq(sha256(KANTATA_NUMBER))}, KANTATA_DATA),
        ({"extensions": apq("KitchenNumber")}, KITCHEN_DATA),
        # A list id shaped as another hash is the list's, as it would be as a documentId.
        (
            {"extensions": apq(sha1(SET_NOTES_AND_NUMBER)), "variables": notes("sha1 apq")},
            {"updateInvoice": {"invoice": {"notes": "sha1 apq", "number": "17"}, "userErrors": []}},
        ),
        ({"extensions": apq("sha256:" + sha256(KITCHEN_NUMBER))}, KITCHEN_DATA),
        (
            {"extensions": apq(sha256(SET_NOTES)), "variables": notes("by hash")},
            {"updateInvoice": {"invoice": {"notes": "by hash"}, "userErrors": []}},
        ),
        # graphql-codegen's documentId, in each form an id may take.
        ({"documentId": sha256(KITCHEN_NUMBER)}, KITCHEN_DATA),
        ({"documentId": "sha256:" + sha256(KITCHEN_NUMBER)}, KITCHEN_DATA),
        ({"documentId": sha256(KANTATA_NUMBER)}, KANTATA_DATA),  # Apollo's list's, too
        ({"documentId": "KitchenNumber"}, KITCHEN_DATA),
        (
            {"documentId": sha1(SET_NOTES_AND_NUMBER), "variables": notes("by id")},
            {"updateInvoice": {"invoice": {"notes": "by id", "number": "17"}, "userErrors": []}},
        ),
        # The text of a listed document runs as well: its hash is listed.
        ({"query": KANTATA_NUMBER}, KANTATA_DATA),
        ({"query": KITCHEN_NUMBER, "extensions": apq(sha256(KITCHEN_NUMBER))}, KITCHEN_DATA),
    ],
)
def test_listed_operations_run_by_their_ids(
    frontend: Gateway, body: dict[str, Any], data: dict[str, Any]
) -> None:
    response = frontend.http.post("/graphql", json=body)
    assert (response.status_code, response.json()) == (200, {"data": data})


def test_a_mutation_by_id_reaches_the_vendor_once(frontend: Gateway) -> None:
    body = {"documentId": sha256(SET_NOTES), "variables": notes("once")}
    response = frontend.http.post("/graphql", json=body)
    assert response.json()["data"]["updateInvoice"]["invoice"] == {"notes": "once"}
    puts = [r for r in frontend.requests("kantata") if r["method"] == "PUT"]
    assert len(puts) == 1


def test_a_get_names_a_document_by_its_id(frontend: Gateway) -> None:
    params = {"documentId": sha256(KITCHEN_NUMBER)}
    response = frontend.http.get("/graphql", params=params, headers=PREFLIGHT)
    assert (response.status_code, response.json()) == (200, {"data": KITCHEN_DATA})
    # Like any GET that runs GraphQL: a preflight header, else a CSRF refusal.
    bare = frontend.http.get("/graphql", params=params)
    assert (bare.status_code, codes(bare)) == (400, ["CSRF_BLOCKED"])
    # A mutation is never run over GET, named by its id or not.
    mutation = frontend.http.get(
        "/graphql",
        params={"documentId": sha256(SET_NOTES), "variables": json.dumps(notes("get"))},
        headers=PREFLIGHT,
    )
    assert (mutation.status_code, mutation.headers["allow"]) == (405, "POST")
    assert frontend.requests("kantata") == []


def test_a_batch_names_its_operations_by_id(frontend: Gateway) -> None:
    batch = [{"documentId": "KitchenNumber"}, {"extensions": apq(sha256(KANTATA_NUMBER))}]
    response = frontend.http.post("/graphql", json=batch)
    assert response.json() == [{"data": KITCHEN_DATA}, {"data": KANTATA_DATA}]


def test_an_idempotency_key_tells_documents_apart_by_their_id(frontend: Gateway) -> None:
    headers = {"Idempotency-Key": "by-document-id"}
    first = {"documentId": sha1(SET_NOTES_AND_NUMBER), "variables": notes("idempotent")}
    answered = frontend.http.post("/graphql", json=first, headers=headers)
    assert answered.headers["idempotent-stored"] == "true"
    again = frontend.http.post("/graphql", json=first, headers=headers)
    assert (again.headers["idempotent-replayed"], again.json()) == ("true", answered.json())
    # The same key and variables with another document: another request, refused.
    other = {"documentId": sha256(SET_NOTES), "variables": notes("idempotent")}
    reused = frontend.http.post("/graphql", json=other, headers=headers)
    assert (reused.status_code, codes(reused)) == (422, ["IDEMPOTENCY_KEY_REUSED"])
    assert sum(1 for r in frontend.requests("kantata") if r["method"] == "PUT") == 1


# --- what does not run ------------------------------------------------------------------


UNLISTED = '{ invoice(id: "kantata:invoice:101") { number title } }'


@pytest.mark.parametrize(
    "document_id",
    [
        sha256(UNLISTED),
        "sha256:" + sha256(UNLISTED),
        sha1(KITCHEN_NUMBER),  # a listed document, by a hash its manifest does not give
        "kitchennumber",  # ids other than hashes are exact
        "sha256:" + sha1(UNLISTED),
        "x" * 100_000,
    ],
)
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
def test_an_unknown_document_id_is_a_typed_400(
    frontend: Gateway, document_id: str, accept: str
) -> None:
    response = frontend.http.post(
        "/graphql", json={"documentId": document_id}, headers={"Accept": accept}
    )
    assert (response.status_code, codes(response)) == (400, ["PERSISTED_DOCUMENT_NOT_FOUND"])
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert "data" not in response.json()
    assert frontend.requests("kantata") == [] and frontend.requests("kitchen") == []


@pytest.mark.parametrize(
    "body",
    [
        {"query": UNLISTED},
        {"extensions": apq(sha256(UNLISTED))},
        # Registering a document by APQ is refused: the manifests are the list.
        {"query": UNLISTED, "extensions": apq(sha256(UNLISTED))},
        {"extensions": apq("UnlistedName")},
        # Unlisted ids shaped as other hashes: a list's ids too, so refused the same way.
        {"extensions": apq(sha1(UNLISTED))},
        {"extensions": apq("sha256:" + sha256(UNLISTED))},
    ],
)
def test_in_persisted_only_mode_nothing_else_runs(frontend: Gateway, body: dict[str, Any]) -> None:
    response = frontend.http.post("/graphql", json=body)
    assert (response.status_code, codes(response)) == (200, ["PERSISTED_QUERY_ONLY"])
    # Nothing was registered: the hash alone is still refused.
    again = frontend.http.post("/graphql", json={"extensions": apq(sha256(UNLISTED))})
    assert codes(again) == ["PERSISTED_QUERY_ONLY"]
    assert frontend.requests("kantata") == []


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": sha256(KITCHEN_NUMBER), "query": KITCHEN_NUMBER},
        {"documentId": sha256(KITCHEN_NUMBER), "extensions": apq(sha256(KITCHEN_NUMBER))},
        {"documentId": 42},
        {"documentId": ""},
        {"documentId": [sha256(KITCHEN_NUMBER)]},
    ],
)
def test_a_malformed_document_request_is_a_400(frontend: Gateway, body: dict[str, Any]) -> None:
    response = frontend.http.post("/graphql", json=body)
    assert (response.status_code, codes(response)) == (400, ["BAD_REQUEST"])
