"""The door of /graphql as one layer (gateway/http/edge.py) and /graphql served past
Starlette's router (gateway/http/direct.py): what the layers did one by one still holds
when some of them sit between the two halves of the door, and what the router answered
for /graphql it still answers."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.http.direct import DirectRouteApp
from gateway.http.edge import guard
from gateway.ops.refusals import Refusal
from gateway.settings import Settings
from gateway.store.health import StoreUnavailable

ORIGIN = "https://app.example"
JSON = {"content-type": "application/json"}


class Counted:
    def __init__(self) -> None:
        self.reasons: list[Refusal] = []

    def refused(self, reason: Refusal) -> None:
        self.reasons.append(reason)


async def _store_down(scope: Scope, receive: Receive, send: Send) -> None:
    raise StoreUnavailable("Redis", 3)


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    await JSONResponse({"body": message["body"].decode()})(scope, receive, send)


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


@pytest.mark.parametrize("cors", [False, True], ids=["alone", "behind-cors"])
async def test_a_store_outage_is_a_503_with_the_request_id_and_counted(cors: bool) -> None:
    settings = Settings(cors_origins=(ORIGIN,) if cors else ())
    counted = Counted()
    app = guard(_store_down, settings, refusals=counted)
    headers = {**JSON, "Origin": ORIGIN, "X-Request-Id": "edge-1"}
    async with _client(app) as client:
        response = await client.post("/graphql", content=b"{}", headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-request-id"] == "edge-1"
    assert response.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert ("access-control-allow-origin" in response.headers) is cors
    assert counted.reasons == [Refusal.STORE_UNAVAILABLE]


async def test_the_body_is_read_once_and_handed_on_whole_and_refused_past_the_limit() -> None:
    settings = Settings()
    limits = dataclasses.replace(settings.limits, max_body_bytes=10)
    app = guard(_echo, dataclasses.replace(settings, limits=limits))
    async with _client(app) as client:
        kept = await client.post("/graphql", content=b'{"a": 1}', headers=JSON)
        refused = await client.post("/graphql", content=b'{"a": 12345}', headers=JSON)
    assert kept.json() == {"body": '{"a": 1}'}
    assert refused.status_code == 413
    assert refused.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_repeated_request_id_header_counts_by_its_first_value() -> None:
    app = guard(_echo, Settings())
    headers = [("content-type", "application/json"), ("x-request-id", "first")]
    headers.append(("x-request-id", "second"))
    async with _client(app) as client:
        response = await client.post("/graphql", content=b"{}", headers=headers)
    assert response.headers.get_list("x-request-id") == ["first"]


async def _graphql(scope: Scope, receive: Receive, send: Send) -> None:
    await Response("direct")(scope, receive, send)


def _app(**options: object) -> DirectRouteApp:
    async def routed(request: object) -> Response:
        return Response("routed")

    return DirectRouteApp(
        path="/graphql",
        endpoint=_graphql,
        methods=["GET", "POST"],
        routes=[Route("/graphql", _graphql, methods=["GET", "POST"]), Route("/x", routed)],
        **options,
    )


async def test_graphql_is_served_directly_and_anything_else_as_starlette_serves_it() -> None:
    async with _client(_app()) as client:
        assert (await client.post("/graphql")).text == "direct"
        assert (await client.head("/graphql")).status_code == 200
        assert (await client.get("/x")).text == "routed"
        # Methods the route does not take: Starlette's own 405, as before.
        assert (await client.delete("/graphql")).status_code == 405
        assert (await client.get("/graphql/")).status_code in (307, 404)
