"""Every refusal at the door is counted once, by its reason: each row of the table provokes
one reason over real HTTP on a gateway of its own, served as `invoice-gateway serve` serves
it, and `gateway_refusals_total` must have moved by exactly the refusals the caller saw,
for that reason and no other."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.ops.refusals import Refusal
from gateway.settings import Limits, Server, Settings
from tests.gateway.queries import KANTATA_DRAFT
from tests.server import dead_vendors, free_port, serve_gateway

# Serves the gateway on loopback ports.
pytestmark = pytest.mark.e2e

TYPENAME = {"query": "{ __typename }"}
JSON = {"Content-Type": "application/json"}
UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id } userErrors { code } } }"""
DEEP = '{ invoice(id: "x") { lineItems { amount { currency } } } }'


def update(notes: str) -> dict[str, Any]:
    return {"query": UPDATE, "variables": {"input": {"id": KANTATA_DRAFT, "notes": notes}}}


def refusals(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics").raise_for_status().text
    return {
        sample.labels["reason"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "gateway_refusals_total"
    }


def refused(response: httpx.Response, status: int, code: str) -> int:
    """1 when `response` is the refusal expected (else the test fails)."""
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == code, response.text
    return 1


# --- how each reason is provoked: the refusals the caller saw ----------------------------


def unauthenticated(url: str) -> int:
    no_key = httpx.post(f"{url}/graphql", json=TYPENAME)
    wrong = httpx.post(f"{url}/graphql", json=TYPENAME, headers={"Authorization": "Bearer no"})
    return refused(no_key, 401, "UNAUTHENTICATED") + refused(wrong, 401, "UNAUTHENTICATED")


def csrf(url: str) -> int:
    simple = {"Content-Type": "text/plain"}
    response = httpx.post(f"{url}/graphql", content=json.dumps(TYPENAME), headers=simple)
    return refused(response, 400, "CSRF_BLOCKED")


def rate_limited(url: str) -> int:
    statuses = [httpx.post(f"{url}/graphql", json=TYPENAME).status_code for _ in range(5)]
    assert statuses[:2] == [200, 200] and set(statuses[2:]) == {429}
    return statuses.count(429)


def body_too_large(url: str) -> int:
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 2_000}}).encode()
    said = httpx.post(f"{url}/graphql", content=body, headers=JSON)

    def chunks() -> Any:  # no Content-Length: counted as it arrives
        yield body

    streamed = httpx.post(f"{url}/graphql", content=chunks(), headers=JSON)
    return refused(said, 413, "PAYLOAD_TOO_LARGE") + refused(streamed, 413, "PAYLOAD_TOO_LARGE")


def variables_too_large(url: str) -> int:
    body = {"query": "{ __typename }", "variables": {"pad": "x" * 500}}
    return refused(httpx.post(f"{url}/graphql", json=body), 413, "LIMIT_EXCEEDED")


def limit_exceeded(url: str) -> int:
    return refused(httpx.post(f"{url}/graphql", json={"query": DEEP}), 200, "LIMIT_EXCEEDED")


def bad_request(url: str) -> int:
    broken = httpx.post(f"{url}/graphql", content=b"{", headers=JSON)
    empty = httpx.post(f"{url}/graphql", json=[])
    return refused(broken, 400, "BAD_REQUEST") + refused(empty, 400, "BAD_REQUEST")


def method_not_allowed(url: str) -> int:
    put = httpx.put(f"{url}/graphql", json=TYPENAME)
    mutation_over_get = httpx.get(
        f"{url}/graphql",
        params={"query": UPDATE},
        headers={"GraphQL-Require-Preflight": "1"},
    )
    return refused(put, 405, "METHOD_NOT_ALLOWED") + refused(
        mutation_over_get, 405, "METHOD_NOT_ALLOWED"
    )


def not_acceptable(url: str) -> int:
    response = httpx.post(f"{url}/graphql", json=TYPENAME, headers={"Accept": "text/html"})
    return refused(response, 406, "NOT_ACCEPTABLE")


def unsupported_media_type(url: str) -> int:
    xml = {"Content-Type": "application/xml"}
    response = httpx.post(f"{url}/graphql", content=b"<query/>", headers=xml)
    return refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def _persisted(sha: str, version: int = 1, **body: Any) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": version, "sha256Hash": sha}}, **body}


def persisted_query_not_found(url: str) -> int:
    response = httpx.post(f"{url}/graphql", json=_persisted("0" * 64))
    return refused(response, 200, "PERSISTED_QUERY_NOT_FOUND")


def persisted_query_invalid(url: str) -> int:
    version = httpx.post(f"{url}/graphql", json=_persisted("0" * 64, version=2))
    mismatch = httpx.post(f"{url}/graphql", json=_persisted("0" * 64, query="{ __typename }"))
    return refused(version, 200, "PERSISTED_QUERY_NOT_SUPPORTED") + refused(
        mismatch, 200, "PROVIDED_SHA_DOESNT_MATCH"
    )


def persisted_query_too_large(url: str) -> int:
    import hashlib

    query = "{ __typename " + " " * 200 + "}"
    sha = hashlib.sha256(query.encode()).hexdigest()
    response = httpx.post(f"{url}/graphql", json=_persisted(sha, query=query))
    return refused(response, 200, "PERSISTED_QUERY_TOO_LARGE")


def persisted_query_only(url: str) -> int:
    return refused(httpx.post(f"{url}/graphql", json=TYPENAME), 200, "PERSISTED_QUERY_ONLY")


def idempotency_key_invalid(url: str) -> int:
    key = {"Idempotency-Key": "k" * 256}
    response = httpx.post(f"{url}/graphql", json=update("x"), headers=key)
    return refused(response, 400, "INVALID_INPUT")


def idempotency_key_reused(url: str) -> int:
    key = {"Idempotency-Key": "reused-1"}
    first = httpx.post(f"{url}/graphql", json=update("first"), timeout=30, headers=key)
    assert first.status_code == 200, first.text
    other = httpx.post(f"{url}/graphql", json=update("other"), timeout=30, headers=key)
    return refused(other, 422, "IDEMPOTENCY_KEY_REUSED")


def idempotency_key_in_flight(url: str) -> int:
    # Two mutations in one batch, each vendor PUT held 2.5 s: the first request runs for
    # 5 s, longer than a duplicate waits for it (the upstream timeout, 3 s).
    fault = {"method": "PUT", "delay_ms": 2_500, "times": 2}
    httpx.post(f"{url}/sandbox/kantata/_control/faults", json=fault).raise_for_status()
    key = {"Idempotency-Key": "slow-1"}
    batch = [update("a"), update("b")]
    first: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: first.append(
            httpx.post(f"{url}/graphql", json=batch, headers=key, timeout=30)
        )
    )
    thread.start()
    time.sleep(0.3)
    duplicate = httpx.post(f"{url}/graphql", json=batch, headers=key, timeout=30)
    thread.join(timeout=30)
    assert first[0].status_code == 200
    return refused(duplicate, 409, "IDEMPOTENCY_KEY_IN_FLIGHT")


def store_unavailable(url: str) -> int:
    key = {"Idempotency-Key": "store-1"}
    response = httpx.post(f"{url}/graphql", json=update("x"), headers=key, timeout=30)
    return refused(response, 503, "STORE_UNAVAILABLE")


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def overloaded(url: str) -> int:
    """Idle connections up to the limit (4), then one more: answered 503 at once."""
    held: list[socket.socket] = []
    try:
        for _ in range(10):
            sock = socket.create_connection(_address(url), timeout=10)
            held.append(sock)
            sock.settimeout(0.3)
            try:
                answer = sock.recv(100)
            except TimeoutError:
                continue  # taken: it waits for a request
            assert answer.startswith(b"HTTP/1.1 503 Service Unavailable"), answer
            return 1
        raise AssertionError("no connection was refused")
    finally:
        for sock in held:
            sock.close()
        time.sleep(0.5)  # the server sees them go before the next scrape


def header_timeout(url: str) -> int:
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(b"GET /graphql HTTP/1.1\r\nHost: x\r\n")
        answer = sock.recv(100)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer
    return 1


def header_too_large(url: str) -> int:
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(b"GET /graphql HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n")
        answer = sock.recv(100)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large"), answer
    return 1


# --- the table ---------------------------------------------------------------------------


def sandbox(**changes: Any) -> Callable[[], Settings]:
    return lambda: Settings(sandbox=True, **changes)


def no_vendors(**changes: Any) -> Callable[[], Settings]:
    """Vendors nobody answers for: nothing but the test's own connections reach the server."""
    return lambda: dead_vendors(**changes)


@dataclass
class Case:
    reason: Refusal
    provoke: Callable[[str], int]
    settings: Callable[[], Settings] = field(default_factory=sandbox)


CASES = [
    Case(Refusal.UNAUTHENTICATED, unauthenticated, sandbox(api_keys=("key-1",))),
    Case(Refusal.CSRF, csrf),
    Case(Refusal.RATE_LIMITED, rate_limited, sandbox(rate_limit_per_minute=2)),
    Case(Refusal.BODY_TOO_LARGE, body_too_large, sandbox(limits=Limits(max_body_bytes=1_000))),
    Case(
        Refusal.VARIABLES_TOO_LARGE,
        variables_too_large,
        sandbox(limits=Limits(max_variables_bytes=100)),
    ),
    Case(Refusal.LIMIT_EXCEEDED, limit_exceeded, sandbox(limits=Limits(max_depth=2))),
    Case(Refusal.BAD_REQUEST, bad_request),
    Case(Refusal.METHOD_NOT_ALLOWED, method_not_allowed),
    Case(Refusal.NOT_ACCEPTABLE, not_acceptable),
    Case(Refusal.UNSUPPORTED_MEDIA_TYPE, unsupported_media_type),
    Case(Refusal.PERSISTED_QUERY_NOT_FOUND, persisted_query_not_found),
    Case(Refusal.PERSISTED_QUERY_INVALID, persisted_query_invalid),
    Case(
        Refusal.PERSISTED_QUERY_TOO_LARGE,
        persisted_query_too_large,
        sandbox(limits=Limits(apq_max_bytes=100)),
    ),
    Case(Refusal.PERSISTED_QUERY_ONLY, persisted_query_only, sandbox(persisted_queries_only=True)),
    Case(Refusal.IDEMPOTENCY_KEY_INVALID, idempotency_key_invalid),
    Case(Refusal.IDEMPOTENCY_KEY_REUSED, idempotency_key_reused),
    Case(Refusal.IDEMPOTENCY_KEY_IN_FLIGHT, idempotency_key_in_flight, sandbox(upstream_timeout=3)),
    Case(
        Refusal.STORE_UNAVAILABLE,
        store_unavailable,
        lambda: Settings(sandbox=True, redis_url=f"redis://127.0.0.1:{free_port()}"),
    ),
    Case(Refusal.OVERLOADED, overloaded, no_vendors(server=Server(limit_concurrency=4))),
    Case(Refusal.HEADER_TIMEOUT, header_timeout, no_vendors(server=Server(header_timeout=0.5))),
    Case(Refusal.HEADER_TOO_LARGE, header_too_large, no_vendors()),
]


def test_the_table_has_every_reason_once() -> None:
    assert sorted(case.reason.value for case in CASES) == sorted(r.value for r in Refusal)


@pytest.mark.parametrize("case", CASES, ids=[case.reason.value for case in CASES])
def test_each_refusal_at_the_door_is_counted_once_by_its_reason(case: Case) -> None:
    with serve_gateway(case.settings(), as_served=True) as url:
        before = refusals(url)
        assert before == {reason.value: 0.0 for reason in Refusal}  # every reason, from 0
        seen = case.provoke(url)
        after = refusals(url)
    assert seen >= 1
    moved = {reason: after[reason] - before[reason] for reason in after if after[reason] != 0}
    assert moved == {case.reason.value: seen}
