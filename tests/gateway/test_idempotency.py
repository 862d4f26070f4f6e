"""Idempotency-Key on the running gateway: a retried mutation reaches the vendor once."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT

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
