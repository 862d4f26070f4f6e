"""2,000 mutations at concurrency 50 with 5% injected vendor faults, over real HTTP.

Zero 5xx from the gateway; every answer a success or a typed error; the sandbox's final
state equal to what the successful answers reported (nothing lost), and no update applied
twice. The figures are printed (run with -s to see them).

The gateway runs as it does in production: `invoice-gateway serve`, in a process of its
own (gateway/http/serving.py). This test once failed with httpx.ReadError on a busy machine:
uvicorn's keep-alive timer closed a connection whose next request had already arrived but
was not read yet (a starved event loop; uvloop runs due timers before it reads sockets),
and a socket closed with unread bytes is reset. The gateway's protocol reads such a
request instead; `test_a_request_sent_as_keep_alive_expires_is_answered` makes the race
certain. The other half of that race is the client's: httpx keeps an idle connection 5 s, what
the gateway's keep-alive was then, so a request could still leave on a connection the
gateway was closing that instant. A client must give up idle connections before the server
does: the gateway now keeps them 20 s, and this test's client 1 s (`CLIENT_LIMITS`).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from gateway.core.errors import ErrorCode
from tests.hostile.harness import gateway_process

MUTATIONS = 2_000
CONCURRENCY = 50
# Idle connections dropped well before the gateway's keep-alive (20 s) would close them.
CLIENT_LIMITS = httpx.Limits(max_connections=CONCURRENCY, keepalive_expiry=1.0)
# Five fault kinds, each on every 100th PUT at a different offset: 5% of the PUTs.
FAULTS = [
    {"status": 503, "body": "{}"},
    {"status": 502, "body": "<html>bad gateway</html>", "headers": {"Content-Type": "text/html"}},
    {"status": 429, "body": "{}", "headers": {"Retry-After": "0"}},
    {"status": 500, "body": "{}"},
    {"status": 200, "body": "not json at all"},
]
MUTATION = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id notes updatedAt } userErrors { code message } } }"""
AUTH = {
    "kantata": {"Authorization": "Bearer sandbox-kantata-token"},
    "kitchen": {"Authorization": "Bearer sandbox-kitchen-key", "Accept": "application/json"},
}


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    fast_retries = {
        "GATEWAY_RETRY_BACKOFF": "0.005",
        "GATEWAY_RETRY_BACKOFF_MAX": "0.02",
        "GATEWAY_RETRY_AFTER_CAP": "0.05",
    }
    with gateway_process(fast_retries) as gw:
        yield gw.url


def writable_invoices(client: httpx.Client) -> list[str]:
    query = """query($vendor: Vendor!) {
      invoices(vendor: $vendor, first: 100) { nodes { id status } } }"""
    ids: list[str] = []
    for vendor, allowed in (("KANTATA", {"DRAFT", "OPEN", "PAID"}), ("KITCHEN", {"DRAFT", "OPEN"})):
        nodes = client.post(
            "/graphql", json={"query": query, "variables": {"vendor": vendor}}
        ).json()["data"]["invoices"]["nodes"]
        ids += [node["id"] for node in nodes if node["status"] in allowed][:10]
    return ids


def final_state(client: httpx.Client, invoice_id: str) -> tuple[str | None, str]:
    vendor, _, native = invoice_id.split(":")
    if vendor == "kantata":
        body = client.get(f"/sandbox/kantata/api/v1/invoices/{native}", headers=AUTH[vendor]).json()
        record = body["invoices"][native]
        return record["message"], record["updated_at"]
    record = client.get(f"/sandbox/kitchen/demo/api/invoices/{native}", headers=AUTH[vendor]).json()
    return record["memo"], record["updated_at"]


def test_load_with_faults_loses_nothing_and_applies_nothing_twice(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=60, limits=CLIENT_LIMITS) as client:
        for vendor in ("kantata", "kitchen"):
            client.post(f"/sandbox/{vendor}/_control/reset").raise_for_status()
        invoices = writable_invoices(client)
        assert len(invoices) == 20
        for vendor in ("kantata", "kitchen"):
            client.delete(f"/sandbox/{vendor}/_control/requests").raise_for_status()
            for offset, fault in enumerate(FAULTS):
                spec = {
                    **fault,
                    "method": "PUT",
                    "times": None,
                    "every": 100,
                    "offset": offset * 20,
                }
                client.post(f"/sandbox/{vendor}/_control/faults", json=spec).raise_for_status()

        answers, elapsed = asyncio.run(_drive(gateway, invoices))

        statuses = Counter(status for status, _, _ in answers)
        assert set(statuses) == {200}, statuses
        outcomes: Counter[str] = Counter()
        last_success: dict[str, tuple[str, str]] = {}
        for _, notes, body in answers:
            assert "Traceback" not in json.dumps(body)
            payload = body["data"]["updateInvoice"]
            errors = payload["userErrors"]
            if not errors:
                invoice = payload["invoice"]
                assert invoice["notes"] == notes
                outcomes["success"] += 1
                previous = last_success.get(invoice["id"])
                if previous is None or _later(invoice["updatedAt"], previous[1]):
                    last_success[invoice["id"]] = (notes, invoice["updatedAt"])
            else:
                assert {e["code"] for e in errors} <= {code.name for code in ErrorCode}
                outcomes.update(e["code"] for e in errors)

        # Nothing lost: each invoice holds what its latest successful answer reported.
        for invoice_id, (notes, stamp) in last_success.items():
            assert final_state(client, invoice_id) == (notes, stamp), invoice_id

        # Nothing applied twice: every update reached a vendor (past the faults) at most
        # once, and exactly once when the caller was told it succeeded.
        applied: Counter[str] = Counter()
        faulted = 0
        for vendor in ("kantata", "kitchen"):
            for record in client.get(f"/sandbox/{vendor}/_control/requests").json():
                if record["method"] != "PUT":
                    continue
                if record["faulted"]:
                    faulted += 1
                    continue
                body = json.loads(record["body"])
                applied[(body.get("invoice") or body).get("message") or body.get("memo")] += 1
        assert max(applied.values()) == 1
        succeeded = {
            notes for _, notes, body in answers if not body["data"]["updateInvoice"]["userErrors"]
        }
        assert all(applied[notes] == 1 for notes in succeeded)
        assert sum(applied.values()) == len(succeeded)

    print(
        f"\nload: {MUTATIONS} mutations, concurrency {CONCURRENCY}, {elapsed:.1f} s "
        f"({MUTATIONS / elapsed:.0f}/s); vendor PUTs {sum(applied.values()) + faulted} "
        f"({faulted} answered by injected faults); outcomes {dict(outcomes)}"
    )
    assert outcomes["success"] > MUTATIONS * 0.9


def _later(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) > datetime.fromisoformat(b)


async def _drive(gateway: str, invoices: list[str]) -> tuple[list[tuple[int, str, Any]], float]:
    limit = asyncio.Semaphore(CONCURRENCY)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=gateway, timeout=60, limits=CLIENT_LIMITS) as client:

        async def one(index: int) -> tuple[int, str, Any]:
            notes = f"load-{index:05d}"
            variables = {"input": {"id": invoices[index % len(invoices)], "notes": notes}}
            async with limit:
                response = await client.post(
                    "/graphql", json={"query": MUTATION, "variables": variables}
                )
            return response.status_code, notes, response.json()

        answers = await asyncio.gather(*(one(i) for i in range(MUTATIONS)))
    return list(answers), time.perf_counter() - started


def test_a_request_sent_as_keep_alive_expires_is_answered() -> None:
    """The race behind that ReadError, made certain: the gateway's process is stopped (an
    event loop starved of CPU) past its keep-alive timeout while a request arrives on an
    idle connection. When it runs again the keep-alive timer is due before the request is
    read; the request must be answered, not reset."""
    with gateway_process({"GATEWAY_KEEP_ALIVE_TIMEOUT": "0.5"}) as gw:
        host, port = gw.url.removeprefix("http://").split(":")
        answers: list[int | str] = []
        for _ in range(5):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                os.kill(gw.pid, signal.SIGSTOP)
                try:
                    time.sleep(1.0)  # past the keep-alive timeout, by the gateway's clock
                    connection.request("GET", "/healthz")
                finally:
                    os.kill(gw.pid, signal.SIGCONT)
                try:
                    answers.append(connection.getresponse().status)
                except OSError as exc:  # ConnectionResetError, before the fix
                    answers.append(type(exc).__name__)
            finally:
                connection.close()
    assert answers == [200] * 5
