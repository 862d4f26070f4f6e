"""Idempotency-Key on the running gateway: a retried mutation reaches the vendor once; what
is not kept (queries, failures, large answers); how long a duplicate waits."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http.idempotency import IdempotencyMiddleware, MemoryStore
from gateway.settings import Limits, Settings
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KANTATA_OPEN
from tests.server import serve_gateway

MUTATION = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id notes updatedAt } userErrors { code message } } }"""


def send(gw: Gateway, key: str, notes: str, **headers: str) -> httpx.Response:
    return gw.http.post(
        "/graphql",
        json={"query": MUTATION, "variables": {"input": {"id": KANTATA_DRAFT, "notes": notes}}},
        headers={"Idempotency-Key": key, **headers},
    )


def puts(gw: Gateway) -> int:
    return sum(1 for r in gw.requests("kantata") if r["method"] == "PUT")


def test_the_same_request_twice_reaches_the_vendor_once(gw: Gateway) -> None:
    first = send(gw, "key-1", "once")
    second = send(gw, "key-1", "once")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert puts(gw) == 1


def test_the_same_key_with_another_body_is_refused(gw: Gateway) -> None:
    send(gw, "key-2", "first")
    other = send(gw, "key-2", "second")
    assert other.status_code == 422
    assert other.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert puts(gw) == 1


def test_a_concurrent_duplicate_waits_for_the_first(gw: Gateway) -> None:
    gw.fault("kantata", method="PUT", delay_ms=400)
    answers: list[Any] = [None, None]

    def run(index: int) -> None:
        with httpx.Client(base_url=str(gw.http.base_url), timeout=30) as client:
            answers[index] = client.post(
                "/graphql",
                json={
                    "query": MUTATION,
                    "variables": {"input": {"id": KANTATA_DRAFT, "notes": "race"}},
                },
                headers={"Idempotency-Key": "key-3"},
            )

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["data"]["updateInvoice"]["userErrors"] == []
    assert puts(gw) == 1


def test_a_transient_failure_is_not_replayed(gw: Gateway) -> None:
    gw.fault("kantata", method="PUT", status=503, times=10)
    failed = send(gw, "key-4", "later")
    assert failed.json()["data"]["updateInvoice"]["userErrors"][0]["code"] == "UPSTREAM_UNAVAILABLE"
    gw.http.delete("/sandbox/kantata/_control/faults").raise_for_status()
    gw.forget_requests()
    succeeded = send(gw, "key-4", "later")
    assert succeeded.json()["data"]["updateInvoice"]["userErrors"] == []
    assert "idempotent-replayed" not in succeeded.headers
    assert send(gw, "key-4", "later").headers["idempotent-replayed"] == "true"
    assert puts(gw) == 1


def test_keys_are_scoped_to_the_caller(gw: Gateway) -> None:
    mine = send(gw, "key-5", "scoped")
    theirs = send(gw, "key-5", "scoped", **{"X-Kantata-Token": "sandbox-kantata-readonly"})
    assert mine.json()["data"]["updateInvoice"]["userErrors"] == []
    assert theirs.json()["data"]["updateInvoice"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert "idempotent-replayed" not in theirs.headers


def test_a_malformed_key_is_refused(gw: Gateway) -> None:
    response = send(gw, "x" * 300, "long")
    assert response.status_code == 400
    assert puts(gw) == 0


def test_asking_for_another_media_type_is_another_request(gw: Gateway) -> None:
    send(gw, "key-6", "typed")
    other = send(gw, "key-6", "typed", Accept="application/graphql-response+json")
    assert other.status_code == 422
    assert puts(gw) == 1


def test_a_kept_answer_says_so(gw: Gateway) -> None:
    assert send(gw, "key-7", "kept").headers["idempotent-stored"] == "true"


def test_a_query_with_a_key_just_runs_and_is_not_kept(gw: Gateway) -> None:
    read = {"query": '{ invoice(id: "kantata:invoice:101") { number } }'}
    for _ in range(2):
        answer = gw.http.post("/graphql", json=read, headers={"Idempotency-Key": "key-8"})
        assert answer.json() == {"data": {"invoice": {"number": "17"}}}
        assert answer.headers["idempotent-stored"] == "false; reason=query"
        assert "idempotent-replayed" not in answer.headers
    assert len(gw.requests("kantata")) >= 2  # each one reached the vendor


def test_a_batch_with_one_transient_failure_is_not_kept(gw: Gateway) -> None:
    batch = [
        {"query": MUTATION, "variables": {"input": {"id": KANTATA_DRAFT, "notes": "batch"}}},
        {"query": MUTATION, "variables": {"input": {"id": KANTATA_OPEN, "notes": "batch"}}},
    ]
    key = {"Idempotency-Key": "key-9"}
    gw.fault("kantata", method="PUT", path="^/api/v1/invoices/102", status=503, times=10)
    failed = gw.http.post("/graphql", json=batch, headers=key)
    first, second = (one["data"]["updateInvoice"]["userErrors"] for one in failed.json())
    assert first == [] and second[0]["code"] == "UPSTREAM_UNAVAILABLE"
    assert failed.headers["idempotent-stored"] == "false; reason=failed"
    gw.http.delete("/sandbox/kantata/_control/faults").raise_for_status()
    retried = gw.http.post("/graphql", json=batch, headers=key)
    assert "idempotent-replayed" not in retried.headers  # it ran again
    assert [one["data"]["updateInvoice"]["userErrors"] for one in retried.json()] == [[], []]
    assert gw.http.post("/graphql", json=batch, headers=key).headers["idempotent-replayed"]


@pytest.fixture(scope="module")
def small_answers() -> Iterator[str]:
    with serve_gateway(
        Settings(sandbox=True, limits=Limits(idempotency_max_answer_bytes=100))
    ) as url:
        yield url


def test_an_answer_over_the_size_limit_is_not_kept(small_answers: str) -> None:
    body = {"query": MUTATION, "variables": {"input": {"id": KANTATA_DRAFT, "notes": "big"}}}
    for _ in range(2):
        answer = httpx.post(f"{small_answers}/graphql", json=body, headers={"Idempotency-Key": "k"})
        assert answer.json()["data"]["updateInvoice"]["userErrors"] == []
        assert answer.headers["idempotent-stored"] == "false; reason=too-large"
        assert "idempotent-replayed" not in answer.headers


# --- waiting for a duplicate, on the middleware alone ------------------------------------

BODY = json.dumps({"query": "mutation { m }"}).encode()


def slow_endpoint(release: asyncio.Event) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await JSONResponse({"data": {"m": 1}})(scope, receive, send)

    return app


async def test_a_duplicate_waits_at_most_the_deadline() -> None:
    release = asyncio.Event()
    app = IdempotencyMiddleware(slow_endpoint(release), MemoryStore(), wait=0.2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        headers = {"Idempotency-Key": "k", "Content-Type": "application/json"}
        first = asyncio.create_task(client.post("/graphql", content=BODY, headers=headers))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        second = await client.post("/graphql", content=BODY, headers=headers)
        assert time.monotonic() - started < 1
        assert second.status_code == 409
        assert second.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT"
        assert second.headers["retry-after"] == "1"
        release.set()
        assert (await first).headers["idempotent-stored"] == "true"
        third = await client.post("/graphql", content=BODY, headers=headers)
        assert third.headers["idempotent-replayed"] == "true"


async def test_a_duplicate_stops_waiting_when_its_caller_goes_away() -> None:
    release = asyncio.Event()
    store = MemoryStore()
    app = IdempotencyMiddleware(slow_endpoint(release), store, wait=30)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"idempotency-key", b"k"), (b"content-type", b"application/json")],
    }
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    def caller(leaves_after: float) -> Receive:
        messages: list[Message] = [{"type": "http.request", "body": BODY, "more_body": False}]

        async def receive() -> Message:
            if messages:
                return messages.pop()
            await asyncio.sleep(leaves_after)
            return {"type": "http.disconnect"}

        return receive

    first = asyncio.create_task(app(scope, caller(60), send))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await asyncio.wait_for(app(scope, caller(0.1), send), 2)  # it left: no 30 s wait
    assert time.monotonic() - started < 1
    assert sent == []
    release.set()
    await first
    assert sent[0]["status"] == 200


def test_a_body_nested_past_the_recursion_limit_is_answered_400_not_500(gw: Gateway) -> None:
    body = b'{"query": "mutation { m }", "variables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = gw.http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": "key-deep"},
    )
    assert response.status_code == 400
