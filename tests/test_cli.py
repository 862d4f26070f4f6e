"""The README's serve command, as a real process on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.server import free_port

CREDENTIAL_VARIABLES = {"KANTATA_TOKEN", "KITCHEN_TOKEN", "KITCHEN_WORKSPACE", "GATEWAY_SANDBOX"}


class Running:
    def __init__(self, url: str) -> None:
        self.url = url
        self.output = ""


@contextmanager
def running(*args: str) -> Iterator[Running]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    run = Running(url)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz" if args[0] == "serve" else url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the process did not start") from None
                time.sleep(0.1)
        yield run
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    run.output = output


def test_serve_on_a_fresh_machine_answers_on_the_sandbox() -> None:
    with running("serve") as run:
        url = run.url
        query = (
            '{ invoice(id: "kitchen:invoice:in_14b07ae04d0ff853c351b3cc") '
            "{ number createdBy { name } } }"
        )
        response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=10)
        assert response.json() == {
            "data": {"invoice": {"number": "FP-00018", "createdBy": {"name": "Maya Lindqvist"}}}
        }
        assert (
            "graphiql" in httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}).text.lower()
        )
    assert "SANDBOX MODE" in run.output


def test_the_sandbox_command_serves_the_emulators_alone() -> None:
    with running("sandbox") as run:
        url = run.url
        response = httpx.get(
            f"{url}/sandbox/kantata/api/v1/invoices/101",
            headers={"Authorization": "Bearer sandbox-kantata-token"},
            timeout=10,
        )
        assert response.json()["results"] == [{"key": "invoices", "id": "101"}]
        assert httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}).status_code == 404
