"""/readyz: vendors (or the sandbox) and Redis reachable, else 503 naming the failure."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.server import free_port, serve


def test_ready_on_the_sandbox(gw: Gateway) -> None:
    response = gw.http.get("/readyz")
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
            kantata_base_url=f"{origin}/kantata/api/v1",
            kantata_token="secret-kantata",
            kitchen_base_url=origin + "/{workspace}/api",
            kitchen_workspace="acme",
            kitchen_token="secret-kitchen",
            redis_url=redis_url,
        )
        with serve(create_app(settings)) as url:
            response = httpx.get(f"{url}/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"kantata": "ok", "kitchen": "ok", "redis": "ok"}
    assert sorted((method, path) for method, path, _ in seen) == [
        ("HEAD", "/acme/api"),
        ("HEAD", "/kantata/api/v1"),
    ]
    for _, _, headers in seen:
        assert "authorization" not in headers
        assert "secret" not in str(headers)


def test_unreachable_dependencies_are_named() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        sandbox=False,
        kantata_base_url=f"{closed}/api/v1",
        kantata_token="t",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    with serve(create_app(settings)) as url:
        response = httpx.get(f"{url}/readyz", timeout=10)
        assert httpx.get(f"{url}/healthz").status_code == 200  # liveness is unaffected
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["kantata"].startswith("unreachable")
    assert body["checks"]["redis"].startswith("unreachable")
    assert body["checks"]["kitchen"] == "unchecked: no KITCHEN_WORKSPACE configured"
