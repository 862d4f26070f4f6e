"""The door in front of /graphql, over real HTTP: API keys, CORS, CSRF prevention, limits,
the introspection switch, request IDs and masked errors, and secrets kept out of answers
and logs. `locked` is a gateway with keys, CORS origins and small limits; `gw` has none."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

import gateway.app
from gateway.http.exposure import (
    SandboxForThisHost,
    anonymous_refusal,
    anonymous_warning,
    is_loopback,
)
from gateway.schema.context import Context
from gateway.settings import Limits, Settings
from gateway.vendors.base import VendorConfig
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_DRAFT
from tests.server import serve_gateway

KEY = "gw-key-one-3f9c"
OTHER_KEY = "gw-key-two-77ab"
ORIGIN = "https://app.example.com"
LIMITS = Limits(max_body_bytes=4000, max_depth=4, max_aliases=3, max_tokens=200, max_batch=2)
AUTH = {"Authorization": f"Bearer {KEY}"}
PREFLIGHT = {"Apollo-Require-Preflight": "true"}
READ = '{ invoice(id: "kantata:invoice:101") { number } }'
READ_BOTH = """query($k: ID!, $c: ID!) {
  k: invoice(id: $k) { number createdBy { name } }
  c: invoice(id: $c) { number recipient { name } } }"""
UUID_HEX = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def locked() -> Iterator[Gateway]:
    settings = Settings(
        sandbox=True,
        api_keys=(KEY, OTHER_KEY),
        cors_origins=(ORIGIN,),
        introspection=False,
        limits=LIMITS,
    )
    with serve_gateway(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield Gateway(client)


@pytest.fixture
def fresh(locked: Gateway) -> Gateway:
    locked.reset()
    return locked


def graphql_errors(response: httpx.Response) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


def codes(response: httpx.Response) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in graphql_errors(response)]


# --- API keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": KEY},
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer k\xe9y".encode("latin-1")},
    ],
)
def test_without_a_valid_key_graphql_is_401(fresh: Gateway, headers: dict[str, str]) -> None:
    response = fresh.http.post("/graphql", json={"query": READ}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert codes(response) == ["UNAUTHENTICATED"]
    assert UUID_HEX.match(response.headers["x-request-id"])
    assert fresh.requests("kantata") == []


@pytest.mark.parametrize("key", [KEY, OTHER_KEY])
def test_each_configured_key_opens_the_door(fresh: Gateway, key: str) -> None:
    headers = {"Authorization": f"bearer {key}"}
    assert fresh.data(READ, headers=headers) == {"invoice": {"number": "17"}}
    response = fresh.http.get("/graphql", params={"query": READ}, headers=headers)
    assert response.json() == {"data": {"invoice": {"number": "17"}}}


def test_a_get_query_needs_the_key_too(fresh: Gateway) -> None:
    response = fresh.http.get("/graphql", params={"query": READ}, headers=PREFLIGHT)
    assert response.status_code == 401


def test_healthz_graphiql_and_the_sandbox_need_no_key(fresh: Gateway) -> None:
    assert fresh.http.get("/healthz").status_code == 200
    page = fresh.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert fresh.http.get("/sandbox/kantata/_control/requests").status_code == 200


def test_the_gateway_key_never_reaches_a_vendor(fresh: Gateway) -> None:
    data = fresh.data(READ_BOTH, {"k": KANTATA_DRAFT, "c": KITCHEN_DRAFT}, headers=AUTH)
    # Both vendors authenticated the call (with their own credentials) and answered.
    assert data["k"]["number"] == "17" and data["k"]["createdBy"]["name"]
    assert data["c"]["number"] and data["c"]["recipient"]["name"]
    for vendor in ("kantata", "kitchen"):
        recorded = fresh.requests(vendor)
        assert recorded, vendor
        assert KEY not in json.dumps(recorded)
        assert all("authorization" not in r["headers"] for r in recorded)


# --- CORS -------------------------------------------------------------------------------


def test_cors_preflight_from_an_allowed_origin(fresh: Gateway) -> None:
    response = fresh.http.options(
        "/graphql",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": (
                "content-type, authorization, x-kantata-token, x-kitchen-token, "
                "x-kitchen-workspace, idempotency-key, x-request-id"
            ),
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "x-kantata-token", "idempotency-key", "x-request-id"):
        assert header in allowed


def test_cors_answers_carry_the_origin_and_expose_the_headers_a_script_needs(
    fresh: Gateway,
) -> None:
    response = fresh.http.post("/graphql", json={"query": READ}, headers={**AUTH, "Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    exposed = {
        h.strip() for h in response.headers["access-control-expose-headers"].lower().split(",")
    }
    # The request ID to quote, whether an Idempotency-Key answer was kept or replayed, and
    # the wait after a 429 or a 503 (README, "Security").
    assert {"x-request-id", "idempotent-stored", "idempotent-replayed", "retry-after"} <= exposed
    # A refusal is readable by the allowed page too.
    refused = fresh.http.post("/graphql", json={"query": READ}, headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN


def test_cors_refuses_another_origin(fresh: Gateway) -> None:
    preflight = fresh.http.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = fresh.http.post(
        "/graphql", json={"query": READ}, headers={**AUTH, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers


def test_no_origins_configured_means_no_cors_headers(gw: Gateway) -> None:
    preflight = gw.http.options(
        "/graphql", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    response = gw.http.post("/graphql", json={"query": READ}, headers={"Origin": ORIGIN})
    for answer in (preflight, response):
        assert not [h for h in answer.headers if h.startswith("access-control-")]


# --- CSRF -------------------------------------------------------------------------------

MUTATION = (
    'mutation { updateInvoice(input: {id: "kantata:invoice:101", notes: "csrf"}) '
    "{ userErrors { code } } }"
)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "Text/Plain; charset=utf-8",
        None,
    ],
)
def test_a_post_a_form_could_send_is_refused(gw: Gateway, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"query": MUTATION}).encode()
    response = gw.http.post("/graphql", content=body, headers=headers)
    if content_type is None:
        assert "content-type" not in response.request.headers
    assert response.status_code == 400
    assert codes(response) == ["CSRF_BLOCKED"]
    assert response.headers["x-request-id"]
    assert gw.requests("kantata") == []


def test_a_simple_get_query_is_refused_but_a_preflighted_one_runs(gw: Gateway) -> None:
    refused = gw.http.get("/graphql", params={"query": READ})
    assert refused.status_code == 400
    assert codes(refused) == ["CSRF_BLOCKED"]
    assert gw.requests("kantata") == []
    for headers in (
        PREFLIGHT,
        {"Content-Type": "application/json"},
        {"X-Apollo-Operation-Name": "Read"},
        {"X-Kantata-Token": "sandbox-kantata-token"},
    ):
        response = gw.http.get("/graphql", params={"query": READ}, headers=headers)
        assert response.json() == {"data": {"invoice": {"number": "17"}}}, headers


def test_a_browser_navigation_still_gets_graphiql(gw: Gateway) -> None:
    response = gw.http.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_a_json_post_passes_and_a_mutation_over_get_is_still_405(gw: Gateway) -> None:
    assert gw.data(READ) == {"invoice": {"number": "17"}}
    gw.forget_requests()
    response = gw.http.get("/graphql", params={"query": MUTATION}, headers=PREFLIGHT)
    assert response.status_code == 405
    assert gw.requests("kantata") == []


# --- limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "setting"),
    [
        (
            "{ invoices(vendor: KANTATA, first: 1) { edges { node { lineItems "
            "{ amount { amount } } } } } }",
            "GATEWAY_MAX_DEPTH",
        ),
        ("{ a: __typename b: __typename c: __typename d: __typename }", "GATEWAY_MAX_ALIASES"),
        ("{ " + "__typename " * 250 + "}", "GATEWAY_MAX_TOKENS"),
    ],
)
def test_depth_alias_and_token_limits(fresh: Gateway, query: str, setting: str) -> None:
    response = fresh.http.post("/graphql", json={"query": query}, headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert setting in error["message"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == setting
    assert fresh.requests("kantata") == []


def test_within_the_limits_a_query_runs(fresh: Gateway) -> None:
    query = (
        "{ a: __typename b: __typename c: __typename "
        "invoices(vendor: KANTATA, first: 1) { edges { node { createdBy { name } } } } }"
    )
    data = fresh.data(query, headers=AUTH)
    assert data["a"] == "Query" and len(data["invoices"]["edges"]) == 1


def test_a_batch_runs_in_order_up_to_the_limit(fresh: Gateway) -> None:
    batch = [
        {"query": MUTATION},
        {"query": '{ invoice(id: "kantata:invoice:101") { notes } }'},
    ]
    response = fresh.http.post("/graphql", json=batch, headers=AUTH)
    assert response.status_code == 200
    first, second = response.json()
    assert first == {"data": {"updateInvoice": {"userErrors": []}}}
    assert second == {"data": {"invoice": {"notes": "csrf"}}}
    too_many = fresh.http.post("/graphql", json=[{"query": READ}] * 3, headers=AUTH)
    assert too_many.status_code == 400
    assert "at most 2" in too_many.text


@pytest.mark.parametrize("body", [b"[]", b"[1]", b'"query"', b"3", b"null", b"[{}, 2]", b"{"])
def test_a_body_that_is_not_an_operation_is_400(fresh: Gateway, body: bytes) -> None:
    response = fresh.http.post(
        "/graphql", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


def test_a_body_over_the_limit_is_413(fresh: Gateway) -> None:
    big = json.dumps({"query": READ, "variables": {"pad": "x" * LIMITS.max_body_bytes}})
    response = fresh.http.post(
        "/graphql", content=big, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert codes(response) == ["PAYLOAD_TOO_LARGE"]
    assert response.headers["x-request-id"]


def test_a_streamed_body_over_the_limit_is_413(fresh: Gateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    response = fresh.http.post(
        "/graphql", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_a_streamed_body_within_the_limit_runs(fresh: Gateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": '
        yield b'"{ __typename }"}'

    response = fresh.http.post(
        "/graphql", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.json() == {"data": {"__typename": "Query"}}


# --- introspection ----------------------------------------------------------------------

INTROSPECT = "{ __schema { queryType { name } } }"


def test_introspection_can_be_switched_off(fresh: Gateway, gw: Gateway) -> None:
    off = fresh.http.post("/graphql", json={"query": INTROSPECT}, headers=AUTH).json()
    assert off.get("data") is None and "introspection" in off["errors"][0]["message"].lower()
    assert fresh.data("{ __typename }", headers=AUTH) == {"__typename": "Query"}
    assert gw.data(INTROSPECT) == {"__schema": {"queryType": {"name": "Query"}}}


# --- request IDs and masked errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-123_abc.DEF:9", True),
        ("x" * 200, True),
        ("x" * 201, False),
        ("tab\there", False),
        ("caf\xe9".encode("latin-1"), False),
    ],
)
def test_the_request_id_is_echoed_when_sane(gw: Gateway, sent: str, kept: bool) -> None:
    response = gw.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": sent}
    )
    assert response.status_code == 200
    if kept:
        assert response.headers["x-request-id"] == sent
    else:
        assert UUID_HEX.match(response.headers["x-request-id"])


def test_a_control_character_in_a_header_is_refused_by_the_http_parser(gw: Gateway) -> None:
    # httptools (the server's parser) refuses DEL in a field value before the gateway runs.
    response = gw.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": "bad\x7fid"}
    )
    assert response.status_code == 400


def test_every_graphql_answer_has_a_request_id(gw: Gateway) -> None:
    answers = [
        gw.http.post("/graphql", json={"query": "{ __typename }"}),
        gw.http.post("/graphql", json={"query": "{ nope }"}),
        gw.http.put("/graphql", json={"query": "{ __typename }"}),
        gw.http.get("/graphql", headers={"Accept": "text/html"}),
    ]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(UUID_HEX.match(i) for i in ids) and len(set(ids)) == len(ids)


def test_an_unexpected_error_is_masked_with_the_request_id(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Context, vendor: object) -> object:
        raise RuntimeError("internal detail: pool state 0xdeadbeef")

    monkeypatch.setattr(Context, "client", broken)
    with caplog.at_level(logging.ERROR, logger="gateway"):
        response = gw.http.post(
            "/graphql", json={"query": READ}, headers={"X-Request-Id": "trace-42"}
        )
    assert response.status_code == 200
    assert "0xdeadbeef" not in response.text and "Traceback" not in response.text
    errors = graphql_errors(response)
    assert [e["message"] for e in errors] == ["Internal error"]
    assert errors[0]["extensions"] == {"code": "INTERNAL", "requestId": "trace-42"}
    logged = [r for r in caplog.records if r.name == "gateway" and "trace-42" in r.getMessage()]
    assert logged and logged[0].exc_info and "0xdeadbeef" in str(logged[0].exc_info[1])


def test_a_failure_outside_graphql_is_a_masked_500(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> object:
        raise RuntimeError("internal detail: context 0xfeedface")

    monkeypatch.setattr(gateway.app, "CallBudget", broken)
    with caplog.at_level(logging.ERROR, logger="gateway"):
        response = gw.http.post("/graphql", json={"query": READ})
    assert response.status_code == 500
    assert "0xfeedface" not in response.text and "Traceback" not in response.text
    request_id = response.headers["x-request-id"]
    assert graphql_errors(response)[0]["extensions"] == {
        "code": "INTERNAL",
        "requestId": request_id,
    }
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


# --- secrets ----------------------------------------------------------------------------


def test_tokens_and_keys_never_reach_answers_or_logs(
    fresh: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    bad_kantata = "kantata-secret-aa11bb22"
    bad_kitchen = "kitchen-secret-cc33dd44"
    bad_key = "gateway-key-secret-ee55"
    mutation = """mutation($id: ID!) { updateInvoice(input: {id: $id, notes: "n"}) {
        userErrors { code message field } } }"""
    attempts: list[tuple[dict[str, str], str, dict[str, Any]]] = [
        (AUTH, READ_BOTH, {"k": KANTATA_DRAFT, "c": KITCHEN_DRAFT}),
        ({"Authorization": f"Bearer {bad_key}"}, READ, {}),
        ({**AUTH, "X-Kantata-Token": bad_kantata}, READ_BOTH, {"k": KANTATA_DRAFT, "c": "x"}),
        ({**AUTH, "X-Kantata-Token": bad_kantata}, mutation, {"id": KANTATA_DRAFT}),
        (
            {**AUTH, "X-Kitchen-Token": bad_kitchen, "X-Kitchen-Workspace": "demo"},
            READ_BOTH,
            {"k": KANTATA_DRAFT, "c": KITCHEN_DRAFT},
        ),
        (
            {**AUTH, "X-Kitchen-Token": bad_kitchen, "X-Kitchen-Workspace": "demo"},
            mutation,
            {"id": KITCHEN_DRAFT},
        ),
        ({**AUTH, "X-Kitchen-Token": bad_kitchen, "X-Kitchen-Workspace": "Bad Slug!"}, READ, {}),
    ]
    bodies = []
    with caplog.at_level(logging.DEBUG):
        for headers, query, variables in attempts:
            response = fresh.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert response.status_code in (200, 401)
            bodies.append(response.text + json.dumps(dict(response.headers)))
    answers = "\n".join(bodies)
    assert "UNAUTHENTICATED" in answers  # the bad tokens were really refused
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert caplog.records  # DEBUG logging really was on
    secrets = (KEY, bad_key, bad_kantata, bad_kitchen, "sandbox-kantata-token")
    for secret in secrets:
        assert secret not in answers, secret
        assert secret not in logs, secret


def test_concurrent_callers_with_different_tokens_never_share_an_answer(gw: Gateway) -> None:
    gw.settings("kantata", latency_ms=150)
    query = '{ invoice(id: "kantata:invoice:101") { number } }'

    async def read(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"X-Kantata-Token": token}
        )
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def race() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=str(gw.http.base_url), timeout=30) as client:
            return list(
                await asyncio.gather(
                    read(client, "sandbox-kantata-token"),
                    read(client, "not-a-kantata-token"),
                    read(client, "not-a-kantata-token"),
                    read(client, "sandbox-kantata-token"),
                )
            )

    good, bad, bad_again, good_again = asyncio.run(race())
    for answer in (good, good_again):
        assert answer == {"data": {"invoice": {"number": "17"}}}
    for answer in (bad, bad_again):
        assert answer["data"] == {"invoice": None}
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["UNAUTHENTICATED"]


# --- what the network may do, by the address the gateway listens on (gateway/http/exposure.py)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.0.0.5", False),
        ("gateway.internal", False),  # a name may resolve anywhere
    ],
)
def test_which_binds_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


REAL = Settings(sandbox=False, vendors={"kantata": VendorConfig(token="real-token")})


@pytest.mark.parametrize(
    ("settings", "host", "refused", "warned"),
    [
        (REAL, "0.0.0.0", True, False),
        (REAL, "10.0.0.5", True, False),
        (Settings(sandbox=False, vendors={"kitchen": VendorConfig(token="k")}), "::", True, False),
        (replace(REAL, allow_anonymous=True), "0.0.0.0", False, True),
        (replace(REAL, api_keys=("k",)), "0.0.0.0", False, False),
        (REAL, "127.0.0.1", False, False),
        (REAL, "localhost", False, False),
        (Settings(), "0.0.0.0", False, False),  # no token: the sandbox
        (replace(REAL, sandbox=True), "0.0.0.0", False, False),
        (Settings(sandbox=False), "0.0.0.0", False, False),  # callers bring their own tokens
    ],
)
def test_anonymous_access_to_real_tokens_beyond_loopback_is_refused(
    settings: Settings, host: str, refused: bool, warned: bool
) -> None:
    refusal = anonymous_refusal(settings, host, 8000)
    assert (refusal is not None) is refused
    assert (anonymous_warning(settings, host, 8000) is not None) is (refused or warned)
    if refusal is not None:
        assert "GATEWAY_API_KEYS" in refusal and "GATEWAY_ALLOW_ANONYMOUS=true" in refusal
        assert "real-token" not in refusal


async def _sandbox_status(client: tuple[str, int], server: str, path: str) -> int:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def ok(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = SandboxForThisHost(Starlette(routes=[Route("/{path:path}", ok, methods=["GET"])]))
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{server}") as http:
        return (await http.get(path)).status_code


@pytest.mark.parametrize(
    ("client", "server", "path", "status"),
    [
        (("203.0.113.9", 4000), "10.0.0.5", "/sandbox/kantata/_control/reset", 404),
        (("203.0.113.9", 4000), "10.0.0.5", "/sandbox/kantata/api/v1/invoices", 404),
        (("203.0.113.9", 4000), "10.0.0.5", "/sandbox", 404),
        (("203.0.113.9", 4000), "10.0.0.5", "/graphql", 200),
        (("203.0.113.9", 4000), "10.0.0.5", "/sandboxes", 200),
        (("127.0.0.1", 4000), "127.0.0.1", "/sandbox/kantata/_control/reset", 200),
        (("::ffff:127.0.0.1", 4000), "[::]", "/sandbox/kantata/_control/reset", 200),
        # The gateway calling its own sandbox on the address it is bound to.
        (("10.0.0.5", 4000), "10.0.0.5", "/sandbox/kantata/api/v1/invoices", 200),
    ],
)
async def test_beyond_loopback_the_sandbox_answers_this_host_only(
    client: tuple[str, int], server: str, path: str, status: int
) -> None:
    assert await _sandbox_status(client, server, path) == status
