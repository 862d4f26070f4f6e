"""Automatic persisted queries on the running gateway (in-process store), and the
persisted-only rules on their own. Across replicas: tests/test_replicas.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.http.apq import MemoryQueryStore, PersistedQueries, PersistedQueryError, validates
from gateway.schema import build_schema
from gateway.settings import Settings
from gateway.vendors.registry import default_registry
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT
from tests.server import serve_gateway

VENDORS = default_registry().vendors


READ = '{ invoice(id: "kantata:invoice:101") { number } }'
PREFLIGHT = {"GraphQL-Require-Preflight": "1"}


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


def test_miss_register_hit(gw: Gateway) -> None:
    query = READ + " # miss-register-hit"
    ext = persisted(sha(query))
    miss = gw.http.post("/graphql", json={"extensions": ext})
    assert miss.status_code == 200  # as Apollo servers answer: the client retries
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    registered = gw.http.post("/graphql", json={"query": query, "extensions": ext})
    assert registered.json() == {"data": {"invoice": {"number": "17"}}}
    hit = gw.http.post("/graphql", json={"extensions": ext})
    assert hit.json() == {"data": {"invoice": {"number": "17"}}}


def test_a_get_carries_the_hash_as_a_json_parameter(gw: Gateway) -> None:
    query = READ + " # over-get"
    params = {"extensions": json.dumps(persisted(sha(query)))}
    miss = gw.http.get("/graphql", params=params, headers=PREFLIGHT)
    assert (miss.status_code, codes(miss)) == (200, ["PERSISTED_QUERY_NOT_FOUND"])
    registered = gw.http.get("/graphql", params={**params, "query": query}, headers=PREFLIGHT)
    assert registered.json() == {"data": {"invoice": {"number": "17"}}}
    hit = gw.http.get("/graphql", params=params, headers=PREFLIGHT)
    assert hit.json() == {"data": {"invoice": {"number": "17"}}}


def test_a_get_with_only_the_hash_still_needs_a_preflight(gw: Gateway) -> None:
    params = {"extensions": json.dumps(persisted(sha(READ)))}
    response = gw.http.get("/graphql", params=params)
    assert (response.status_code, codes(response)) == (400, ["CSRF_BLOCKED"])


def test_a_hash_that_is_not_the_query_s_is_refused(gw: Gateway) -> None:
    response = gw.http.post(
        "/graphql", json={"query": READ, "extensions": persisted(sha("{ __typename }"))}
    )
    assert codes(response) == ["PROVIDED_SHA_DOESNT_MATCH"]
    assert gw.requests("kantata") == []


def test_an_unknown_version_is_refused(gw: Gateway) -> None:
    ext = {"persistedQuery": {"version": 2, "sha256Hash": sha(READ)}}
    response = gw.http.post("/graphql", json={"extensions": ext})
    assert codes(response) == ["PERSISTED_QUERY_NOT_SUPPORTED"]


def test_an_idempotent_mutation_through_apq_retries_as_one_request(gw: Gateway) -> None:
    mutation = (
        "mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) "
        "{ invoice { notes } userErrors { code } } }"
    )
    body: dict[str, Any] = {
        "variables": {"input": {"id": KANTATA_DRAFT, "notes": "apq"}},
        "extensions": persisted(sha(mutation)),
    }
    headers = {"Idempotency-Key": "apq-1"}
    miss = gw.http.post("/graphql", json=body, headers=headers)
    assert codes(miss) == ["PERSISTED_QUERY_NOT_FOUND"]  # not kept: the retry runs
    first = gw.http.post("/graphql", json={**body, "query": mutation}, headers=headers)
    assert first.json()["data"]["updateInvoice"]["invoice"] == {"notes": "apq"}
    again = gw.http.post("/graphql", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert sum(1 for r in gw.requests("kantata") if r["method"] == "PUT") == 1


# --- persisted-only ---------------------------------------------------------------------


async def only(registered: str) -> PersistedQueries:
    store = MemoryQueryStore()
    await store.put(sha(registered), registered)
    return PersistedQueries(store, persisted_only=True)


async def test_persisted_only_runs_registered_operations_however_sent() -> None:
    apq = await only(READ)
    assert (await apq.resolve({"extensions": persisted(sha(READ))}))["query"] == READ
    assert (await apq.resolve({"query": READ}))["query"] == READ
    sent = {"query": READ, "extensions": persisted(sha(READ))}
    assert await apq.resolve(sent) == sent


@pytest.mark.parametrize(
    "request_data",
    [
        {"query": "{ __typename }"},
        {"extensions": persisted(sha("{ __typename }"))},
        {"query": "{ __typename }", "extensions": persisted(sha("{ __typename }"))},
    ],
)
async def test_persisted_only_refuses_anything_else(request_data: dict[str, Any]) -> None:
    apq = await only(READ)
    with pytest.raises(PersistedQueryError) as refused:
        await apq.resolve(request_data)
    assert refused.value.code == "PERSISTED_QUERY_ONLY"
    assert await apq.store.get(sha("{ __typename }")) is None  # nothing registers


@pytest.fixture(scope="module")
def persisted_only_gateway() -> Iterator[str]:
    with serve_gateway(Settings(sandbox=True, persisted_queries_only=True)) as url:
        yield url


def test_persisted_only_refuses_a_plain_query_on_the_wire(persisted_only_gateway: str) -> None:
    response = httpx.post(f"{persisted_only_gateway}/graphql", json={"query": READ})
    assert (response.status_code, codes(response)) == (200, ["PERSISTED_QUERY_ONLY"])


# --- what is stored, and for how long ---------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def registering(query: str) -> dict[str, Any]:
    return {"query": query, "extensions": persisted(sha(query))}


@pytest.mark.parametrize(
    "document",
    [
        "garbage {{{",  # does not parse
        "{ noSuchField }",  # parses, does not validate
        "{ " + "a: __typename " * 40 + "}",  # over the schema's alias limit
    ],
)
async def test_a_document_that_does_not_validate_runs_unstored(document: str) -> None:
    apq = PersistedQueries(MemoryQueryStore(), check=validates(build_schema(vendors=VENDORS)))
    assert await apq.resolve(registering(document)) == registering(document)
    assert await apq.store.get(sha(document)) is None


async def test_without_a_schema_a_document_that_does_not_parse_is_not_stored() -> None:
    apq = PersistedQueries(MemoryQueryStore())
    await apq.resolve(registering("garbage {{{"))
    await apq.resolve(registering(READ))
    assert await apq.store.get(sha("garbage {{{")) is None
    assert await apq.store.get(sha(READ)) == READ


async def test_a_document_over_the_size_limit_is_refused() -> None:
    apq = PersistedQueries(MemoryQueryStore(), max_bytes=100)
    query = "{ __typename }\n#" + "é" * 50  # 100 characters, 150 bytes
    with pytest.raises(PersistedQueryError) as refused:
        await apq.resolve(registering(query))
    assert refused.value.code == "PERSISTED_QUERY_TOO_LARGE"
    assert await apq.store.get(sha(query)) is None


async def test_a_hash_that_is_not_a_sha256_is_refused() -> None:
    with pytest.raises(PersistedQueryError) as refused:
        await PersistedQueries(MemoryQueryStore()).resolve({"extensions": persisted("x" * 1000)})
    assert refused.value.code == "PROVIDED_SHA_DOESNT_MATCH"


async def test_the_memory_store_keeps_the_most_recently_used_within_its_bytes() -> None:
    store = MemoryQueryStore(max_bytes=100_000)
    documents = {f"{n:064x}": f"{{ __typename }} # {n} " + "x" * 10_000 for n in range(30)}
    for digest, document in documents.items():
        await store.put(digest, document)
        assert await store.get(f"{0:064x}") is not None  # used: stays
        assert store.bytes <= 100_000
    assert await store.get(f"{1:064x}") is None  # the least recently used went
    assert await store.get(f"{29:064x}") is not None
    # Text outside ASCII counts what Python holds for it, not its UTF-8 length.
    wide = MemoryQueryStore(max_bytes=100_000)
    for n in range(30):
        await wide.put(f"{n:064x}", "{ __typename } # 🙂" + "x" * 10_000)
    assert wide.bytes <= 100_000
    assert sum([await wide.get(f"{n:064x}") is not None for n in range(30)]) <= 2


async def test_stored_documents_expire_unless_persisted_only_mode_uses_them() -> None:
    clock = Clock()
    store = MemoryQueryStore(ttl=60, clock=clock)
    await store.put(sha(READ), READ)
    await store.put(sha("{ __typename }"), "{ __typename }")
    only = PersistedQueries(store, persisted_only=True)
    for _ in range(3):  # used every 40 s for 120 s
        clock.now += 40
        assert (await only.resolve({"extensions": persisted(sha(READ))}))["query"] == READ
    assert await store.get(sha(READ)) == READ
    assert await store.get(sha("{ __typename }")) is None  # unused: expired


def test_an_invalid_document_is_answered_and_not_stored_on_the_wire(gw: Gateway) -> None:
    query = "{ noSuchField } # on-the-wire"
    answered = gw.http.post("/graphql", json=registering(query))
    assert "noSuchField" in answered.json()["errors"][0]["message"]
    again = gw.http.post("/graphql", json={"extensions": persisted(sha(query))})
    assert codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]
