"""/readyz: vendors (or the sandbox) and Redis reachable, else 503 naming the failure;
answered from checks a background task keeps fresh, never by probing per call."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.app import create_app
from gateway.ops.readiness import Readiness
from gateway.settings import Settings
from gateway.vendors.base import VendorConfig
from gateway.vendors.registry import default_registry
from tests.conftest import Gateway
from tests.server import free_port, serve

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e


def settled(get: Any, url: str = "/readyz", seconds: float = 15) -> httpx.Response:
    """The /readyz answer once the first round of checks is in (a probe polls, too)."""
    deadline = time.monotonic() + seconds
    while True:
        response: httpx.Response = get(url)
        if "pending" not in response.json()["checks"].values():
            return response
        assert time.monotonic() < deadline, response.text
        time.sleep(0.05)


def test_ready_on_the_sandbox(gw: Gateway) -> None:
    # Ready once the first round is in (the embedded sandbox needs no probe).
    deadline = time.monotonic() + 15
    while (response := gw.http.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"kantata": "ok", "kitchen": "ok"}}
    assert gw.http.get("/healthz").status_code == 200


def test_any_http_answer_counts_and_no_credential_is_sent(redis_url: str) -> None:
    seen: list[tuple[str, str, dict[str, str]]] = []

    async def anything(request: Request) -> PlainTextResponse:
        seen.append((request.method, request.url.path, dict(request.headers)))
        return PlainTextResponse("no", status_code=401)

    vendor = Starlette(routes=[Route("/{path:path}", anything, methods=["HEAD", "GET"])])
    with serve(vendor) as origin:
        settings = Settings(
            sandbox=False,
            vendors={
                "kantata": VendorConfig(f"{origin}/kantata/api/v1", "secret-kantata"),
                "kitchen": VendorConfig(
                    origin + "/{workspace}/api", "secret-kitchen", {"workspace": "acme"}
                ),
            },
            redis_url=redis_url,
        )
        with serve(create_app(settings)) as url:
            response = settled(httpx.get, f"{url}/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"kantata": "ok", "kitchen": "ok", "redis": "ok"}
    assert {(method, path) for method, path, _ in seen} == {
        ("HEAD", "/acme/api"),
        ("HEAD", "/kantata/api/v1"),
    }
    for _, _, headers in seen:
        assert "authorization" not in headers
        assert "secret" not in str(headers)


def test_unreachable_dependencies_are_named() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        sandbox=False,
        vendors={"kantata": VendorConfig(f"{closed}/api/v1", "t")},
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    with serve(create_app(settings)) as url:
        response = settled(httpx.get, f"{url}/readyz")
        assert httpx.get(f"{url}/healthz").status_code == 200  # liveness is unaffected
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["kantata"].startswith("unreachable")
    assert body["checks"]["redis"].startswith("unreachable")
    assert body["checks"]["kitchen"] == "unchecked: no KITCHEN_WORKSPACE configured"


def test_calls_are_answered_from_the_latest_round_without_a_probe(redis_url: str) -> None:
    seen: list[str] = []
    answer = asyncio.Event()

    async def slow(request: Request) -> PlainTextResponse:
        seen.append(request.url.path)
        await answer.wait()  # the first round stays pending until the test lets it finish
        return PlainTextResponse("")

    vendor = Starlette(routes=[Route("/{path:path}", slow, methods=["HEAD"])])
    with serve(vendor) as origin:
        settings = Settings(sandbox=False, vendors={"kantata": VendorConfig(origin, "t")})
        app = create_app(settings)
        with serve(app) as url, httpx.Client(base_url=url) as client:
            pending = client.get("/readyz")
            assert pending.status_code == 503
            assert pending.json() == {
                "status": "unavailable",
                "checks": {"kantata": "pending", "kitchen": "pending"},
            }
            answer.set()
            assert settled(client.get).status_code == 200
            probes = len(seen)
            started = time.monotonic()
            for _ in range(200):
                assert client.get("/readyz").status_code == 200
            # At most the rounds the clock allows (every 5 s), not one per call.
            assert len(seen) - probes <= 1 + (time.monotonic() - started) / 5


async def test_rounds_come_every_interval_faster_while_not_ready_and_stop_with_the_app() -> None:
    calls: list[float] = []
    up = False

    def vendor(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if not up:
            raise httpx.ConnectError("down", request=request)
        return httpx.Response(404)

    settings = Settings(
        sandbox=False, vendors={"kantata": VendorConfig("http://vendor.test/api", "t")}
    )
    readiness = Readiness(
        settings, default_registry(), interval=0.2, transport=httpx.MockTransport(vendor)
    )
    async with readiness.running():
        await asyncio.sleep(0.05)
        down = await readiness.endpoint(None)  # type: ignore[arg-type]
        assert down.status_code == 503
        assert b"unreachable: ConnectError" in down.body
        up = True
        await asyncio.sleep(0.5)  # one more round while not ready (every 0.2 s here)
        assert (await readiness.endpoint(None)).status_code == 200  # type: ignore[arg-type]
        rounds = len(calls)
        await asyncio.sleep(0.5)
        assert 1 <= len(calls) - rounds <= 4  # every 0.2 s
    stopped = len(calls)
    await asyncio.sleep(0.5)
    assert len(calls) == stopped  # the task ended with the block
