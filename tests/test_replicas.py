"""Two gateway processes sharing one Redis and one sandbox, as two replicas behind a load
balancer: idempotency, rate limits and persisted queries hold across them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO
from gateway.sandbox import create_sandbox_app
from tests.gateway.queries import KANTATA_DRAFT
from tests.hostile.harness import wait_until_ready
from tests.server import free_port, on_the_sandbox, serve

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

KEYS = [f"key-{n}" for n in range(12)]
LIMIT = 5
MUTATION = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id notes } userErrors { code message } } }"""
READ = '{ invoice(id: "kantata:invoice:101") { number } }'


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    with serve(Starlette(routes=[Mount("/sandbox", app=create_sandbox_app())])) as url:
        yield url


@contextmanager
def replica(sandbox: str, redis_url: str, **extra: str) -> Iterator[str]:
    port = free_port()
    env = on_the_sandbox(
        sandbox,
        GATEWAY_REDIS_URL=redis_url,
        GATEWAY_API_KEYS=",".join(KEYS),
        GATEWAY_RATE_LIMIT=str(LIMIT),
        **extra,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--workers", "1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, url, "/readyz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def replicas(sandbox: str, redis_url: str) -> Iterator[tuple[str, str]]:
    with replica(sandbox, redis_url) as a, replica(sandbox, redis_url) as b:
        yield a, b


@pytest.fixture
def vendor(sandbox: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox}/sandbox", timeout=30) as client:
        for name in ("kantata", "kitchen"):
            client.post(f"/{name}/_control/reset").raise_for_status()
        yield client


def post(url: str, key: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **headers}
    return httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=30)


def puts(vendor: httpx.Client) -> int:
    recorded = vendor.get("/kantata/_control/requests").json()
    return sum(1 for r in recorded if r["method"] == "PUT")


def update(notes: str) -> dict[str, Any]:
    return {"query": MUTATION, "variables": {"input": {"id": KANTATA_DRAFT, "notes": notes}}}


def test_both_replicas_are_ready(replicas: tuple[str, str]) -> None:
    for url in replicas:
        checks = httpx.get(f"{url}/readyz").json()["checks"]
        assert checks == {"kantata": "ok", "kitchen": "ok", "redis": "ok"}


def test_a_mutation_replayed_to_the_other_replica_reaches_the_vendor_once(
    replicas: tuple[str, str], vendor: httpx.Client
) -> None:
    a, b = replicas
    first = post(a, KEYS[0], update("once"), **{"Idempotency-Key": "replica-1"})
    second = post(b, KEYS[0], update("once"), **{"Idempotency-Key": "replica-1"})
    assert first.json()["data"]["updateInvoice"]["userErrors"] == []
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    other = post(b, KEYS[0], update("twice"), **{"Idempotency-Key": "replica-1"})
    assert other.status_code == 422
    assert puts(vendor) == 1


def test_a_concurrent_duplicate_on_the_other_replica_waits(
    replicas: tuple[str, str], vendor: httpx.Client
) -> None:
    vendor.post("/kantata/_control/faults", json={"method": "PUT", "delay_ms": 600})
    answers: list[httpx.Response | None] = [None, None]

    def send(index: int, url: str) -> None:
        key = {"Idempotency-Key": "replica-race"}
        answers[index] = post(url, KEYS[1], update("race"), **key)

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(replicas)]
    for thread in threads:
        thread.start()
        time.sleep(0.15)  # the first claims before the second arrives
    for thread in threads:
        thread.join()
    first, second = answers
    assert first is not None and second is not None
    assert first.json() == second.json()
    assert first.json()["data"]["updateInvoice"]["userErrors"] == []
    assert second.headers["idempotent-replayed"] == "true"
    assert puts(vendor) == 1


def test_the_rate_limit_holds_across_replicas(replicas: tuple[str, str]) -> None:
    a, b = replicas
    body = {"query": "{ __typename }"}
    statuses = [post(url, KEYS[2], body).status_code for url in (a, a, a, b, b)]
    assert statuses == [200] * LIMIT
    refused = post(b, KEYS[2], body)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert post(a, KEYS[2], body).status_code == 429
    assert post(a, KEYS[3], body).status_code == 200  # another caller has its own


def test_a_query_persisted_on_one_replica_is_found_on_the_other(
    replicas: tuple[str, str],
) -> None:
    a, b = replicas
    query = READ + " # shared"
    ext = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    miss = post(b, KEYS[4], {"extensions": ext})
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert post(a, KEYS[4], {"query": query, "extensions": ext}).json() == {
        "data": {"invoice": {"number": "17"}}
    }
    assert post(b, KEYS[4], {"extensions": ext}).json() == {"data": {"invoice": {"number": "17"}}}


def test_persisted_only_runs_what_was_registered_and_refuses_the_rest(
    replicas: tuple[str, str], sandbox: str, redis_url: str
) -> None:
    a, _ = replicas
    query = READ + " # registered"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    post(a, KEYS[5], {"query": query, "extensions": ext})  # registered with the option off
    with replica(sandbox, redis_url, GATEWAY_PERSISTED_QUERIES_ONLY="true") as locked:
        hit = post(locked, KEYS[5], {"extensions": ext})
        assert hit.json() == {"data": {"invoice": {"number": "17"}}}
        assert post(locked, KEYS[5], {"query": query}).json() == hit.json()
        other = "{ __typename }"
        other_ext = {
            "persistedQuery": {
                "version": 1,
                "sha256Hash": hashlib.sha256(other.encode()).hexdigest(),
            }
        }
        for body in ({"query": other}, {"query": other, "extensions": other_ext}):
            refused = post(locked, KEYS[5], body)
            assert refused.status_code == 200
            assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_ONLY"
        # ... and what it refused did not get registered for anyone.
        assert "errors" in post(locked, KEYS[6], {"extensions": other_ext}).json()


def test_serve_refuses_several_workers_with_the_embedded_sandbox() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KANTATA_", "KITCHEN_"))}
    env.pop("GATEWAY_SANDBOX", None)
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--workers > 1 cannot be used with the embedded sandbox" in done.stderr


def test_serve_runs_several_workers_on_real_vendors(sandbox: str, redis_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env |= {
        "GATEWAY_SANDBOX": "false",
        "KANTATA_BASE_URL": f"{sandbox}/sandbox/kantata/api/v1",
        "KANTATA_TOKEN": DEMO.kantata_token,
        "GATEWAY_REDIS_URL": redis_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.post(f"{url}/graphql", json={"query": READ}, timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the workers did not start") from None
                time.sleep(0.2)
        assert response.json() == {"data": {"invoice": {"number": "17"}}}
    finally:
        process.terminate()
        process.wait(timeout=15)
