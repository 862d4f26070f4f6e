"""Hostile use of the shared stores: ten thousand large persisted documents, garbage
registered as persisted documents, 3 MB answers sent with an Idempotency-Key, and Redis
down. The process (and Redis) stay within their byte budgets, nothing unparseable is kept,
and a request that needs a store that is down gets a fast, typed 503 while /healthz keeps
answering."""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import redis

from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO
from tests.hostile.harness import Gateway, attack, gateway_process
from tests.server import free_port

MiB = 2**20
DOCUMENTS = 10_000
DOCUMENT_BYTES = 20_000
# The byte budget the attacked gateways are given (GATEWAY_APQ_CACHE_BYTES): 200 MB of
# documents are sent at each.
CACHE_BYTES = 5_000_000
APQ_KEYS = "invoice-gateway:apq:*"


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def document(n: int) -> str:
    """A valid document of DOCUMENT_BYTES, distinct for each `n` (a long comment)."""
    head = f"query Flood{n} {{ __typename }}\n# "
    return head + "x" * (DOCUMENT_BYTES - len(head))


def register(gw: Gateway, documents: list[str], threads: int = 4) -> dict[Any, int]:
    """Each document sent with its hash (an APQ registration); the statuses seen."""
    statuses: collections.Counter[Any] = collections.Counter()

    def send(part: list[str]) -> None:
        with httpx.Client(base_url=gw.url, timeout=60) as client:
            for query in part:
                extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}
                response = client.post("/graphql", json={"query": query, "extensions": extensions})
                statuses[response.status_code] += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, [documents[n::threads] for n in range(threads)]))
    return dict(statuses)


def lookup(gw: Gateway, query: str) -> Any:
    """The answer to the document's hash alone."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}
    return httpx.post(f"{gw.url}/graphql", json={"extensions": extensions}).json()


@pytest.fixture
def store(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(APQ_KEYS):
        client.delete(key)
    yield client
    client.close()


def test_ten_thousand_large_documents_stay_within_the_process_budget() -> None:
    with gateway_process({"GATEWAY_APQ_CACHE_BYTES": str(CACHE_BYTES)}) as gw:
        documents = [document(n) for n in range(DOCUMENTS)]
        measured = attack(gw, lambda: register(gw, documents), seconds=180, memory=64 * MiB)
        assert measured.result == {200: DOCUMENTS}  # each ran; the store kept what fits
        # The first ones made room; the store still keeps what comes next.
        assert lookup(gw, documents[0])["errors"][0]["extensions"]["code"] == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        assert register(gw, [document(DOCUMENTS)]) == {200: 1}
        assert lookup(gw, document(DOCUMENTS)) == {"data": {"__typename": "Query"}}


def test_ten_thousand_large_documents_stay_within_the_redis_budget(
    redis_url: str, store: redis.Redis
) -> None:
    env = {"GATEWAY_REDIS_URL": redis_url, "GATEWAY_APQ_CACHE_BYTES": str(CACHE_BYTES)}
    with gateway_process(env) as gw:
        before = store.info("memory")["used_memory"]
        documents = [document(n) for n in range(DOCUMENTS)]
        measured = attack(gw, lambda: register(gw, documents), seconds=180, memory=64 * MiB)
        assert measured.result == {200: DOCUMENTS}
        grown = store.info("memory")["used_memory"] - before
        keys = list(store.scan_iter(APQ_KEYS))
    assert 0 < len(keys) <= CACHE_BYTES // DOCUMENT_BYTES
    assert all(store.pttl(key) > 0 for key in keys)  # volatile-lru may evict every one
    assert grown <= 2 * CACHE_BYTES  # it was 200 MB


def test_garbage_sent_as_persisted_documents_is_never_stored(
    redis_url: str, store: redis.Redis
) -> None:
    with gateway_process({"GATEWAY_REDIS_URL": redis_url}) as gw:
        garbage = [f"garbage {n} {{{{{{" for n in range(2_000)]
        measured = attack(gw, lambda: register(gw, garbage), seconds=60, memory=32 * MiB)
        assert measured.result == {200: 2_000}  # answered with the parse error
    assert list(store.scan_iter(APQ_KEYS)) == []


def test_large_query_answers_with_an_idempotency_key_are_not_kept() -> None:
    with gateway_process() as gw:
        notes = {"invoice": {"message": "n" * 99_000}}  # written at the emulator directly
        httpx.put(
            f"{gw.url}/sandbox/kantata/api/v1/invoices/101",
            json=notes,
            headers={"Authorization": f"Bearer {DEMO.kantata_token}"},
        ).raise_for_status()
        aliases = " ".join(
            f'a{n}: invoice(id: "kantata:invoice:101") {{ notes }}' for n in range(30)
        )
        query = {"query": f"{{ {aliases} }}"}

        def run() -> dict[Any, int]:
            seen: collections.Counter[Any] = collections.Counter()
            with httpx.Client(base_url=gw.url, timeout=60) as client:
                for n in range(60):
                    answer = client.post(
                        "/graphql", json=query, headers={"Idempotency-Key": f"{n}"}
                    )
                    assert len(answer.content) > 2_900_000
                    seen[answer.headers["idempotent-stored"]] += 1
            return dict(seen)

        measured = attack(gw, run, seconds=60, memory=64 * MiB)  # 180 MB were kept for 24 h
        assert measured.result == {"false; reason=query": 60}


def test_redis_down_gives_fast_typed_503s() -> None:
    with gateway_process({"GATEWAY_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}) as gw:
        mutation = (
            'mutation { updateInvoice(input: {id: "kantata:invoice:101", notes: "x"}) '
            "{ userErrors { code } } }"
        )

        def run() -> dict[Any, int]:
            seen: collections.Counter[Any] = collections.Counter()
            with httpx.Client(base_url=gw.url, timeout=60) as client:
                for n in range(200):
                    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha(str(n))}}
                    for response in (
                        client.post(
                            "/graphql",
                            json={"query": mutation},
                            headers={"Idempotency-Key": f"{n}"},
                        ),
                        client.post("/graphql", json={"extensions": persisted}),
                    ):
                        code = response.json()["errors"][0]["extensions"]["code"]
                        seen[(response.status_code, code, response.headers["retry-after"])] += 1
            return dict(seen)

        measured = attack(gw, run, seconds=30, memory=32 * MiB)  # was 500 INTERNAL, each
        assert measured.result == {(503, "STORE_UNAVAILABLE", "1"): 400}
