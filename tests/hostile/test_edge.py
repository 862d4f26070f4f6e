"""The edge of the gateway against a hostile caller, each attack on a gateway process of its
own (tests/hostile/harness.py): a fast, typed no, bounded memory, and `/healthz` answering
another caller all along.

- Malformed bodies (nested 100,000 deep, a 5,000-digit integer, bytes that are not UTF-8,
  NaN, a lone surrogate, huge strings within the body limit): `400 BAD_REQUEST`, never 500.
- A slowloris (thousands of connections that send half a request head and stall): each
  closed after `GATEWAY_HEADER_TIMEOUT`; connections past `GATEWAY_LIMIT_CONCURRENCY` are
  answered 503 at once; a request head past 64 KiB is 431.
- `/readyz` called hundreds of times: no vendor request per call, next to no CPU.
- `X-Forwarded-For` from a client that is not a trusted proxy: ignored by the rate limit.
- `serve` beyond loopback with real vendor tokens and no API keys: refuses to start, unless
  GATEWAY_ALLOW_ANONYMOUS=true (then it warns); the sandbox answers this host only.

Every target is a loopback address; every process a test starts is stopped by it.
"""

from __future__ import annotations

import base64
import contextlib
import os
import resource
import selectors
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.hostile.harness import Gateway, attack, gateway_process, served, wait_until_ready

MiB = 2**20
JSON = {"Content-Type": "application/json"}
TYPENAME = b'{"query": "{ __typename }"'


def _post(gw: Gateway, body: bytes, accept: str = "application/json") -> httpx.Response:
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        return client.post("/graphql", content=body, headers={**JSON, "Accept": accept})


def _code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or [{}]
    code: str | None = (errors[0].get("extensions") or {}).get("code")
    return code


@pytest.fixture(scope="module")
def gw() -> Iterator[Gateway]:
    with gateway_process() as gateway:
        yield gateway


# --- malformed bodies -------------------------------------------------------------------

MALFORMED = {
    "arrays nested 100,000 deep": TYPENAME
    + b', "variables": {"a": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}}",
    "objects nested 50,000 deep": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nested 100 deep (past 64)": TYPENAME + b', "extensions": ' + b"[" * 100 + b"]" * 100 + b"}",
    "a 5,000-digit integer": TYPENAME + b', "variables": {"n": ' + b"9" * 5_000 + b"}}",
    "bytes that are not UTF-8": b'{"query": "{ __typename \xff\xfe\xfd }"}',
    "UTF-16": '{"query": "{ __typename }"}'.encode("utf-16"),
    "NaN": TYPENAME + b', "variables": {"n": NaN}}',
    "a lone surrogate": b'{"query": "{ __typename }", "operationName": "\\ud800"}',
    "an unterminated 900 KB string": b'{"query": "' + b"a" * 900_000,
    "900 KB of garbage": b"{" + b"\x00" * 900_000,
}


@pytest.mark.parametrize("name", list(MALFORMED))
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
def test_a_malformed_body_is_a_typed_400_at_once(gw: Gateway, name: str, accept: str) -> None:
    measured = attack(gw, lambda: _post(gw, MALFORMED[name], accept), seconds=5, memory=50 * MiB)
    response = measured.result
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith(accept)
    assert _code(response) == "BAD_REQUEST"
    assert response.json()["errors"][0]["message"].startswith("The body is not valid JSON")


def test_a_malformed_body_with_an_idempotency_key_is_a_typed_400_too(gw: Gateway) -> None:
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        response = client.post(
            "/graphql",
            content=MALFORMED["arrays nested 100,000 deep"].replace(b"{ __", b"mutation { __"),
            headers={**JSON, "Idempotency-Key": "edge-1"},
        )
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"


@pytest.mark.parametrize(
    "params",
    [
        {"variables": "[" * 10_000 + "]" * 10_000},
        {"variables": '{"n": ' + "9" * 5_000 + "}"},
        {"extensions": '{"a": "\\udfff"}'},
        {"variables": '{"n": Infinity}'},
    ],
    ids=["deep", "huge integer", "lone surrogate", "Infinity"],
)
def test_a_malformed_get_parameter_is_a_typed_400(gw: Gateway, params: dict[str, str]) -> None:
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        response = client.get(
            "/graphql",
            params={"query": "{ __typename }", **params},
            headers={"GraphQL-Require-Preflight": "1"},
        )
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"
    assert "parameter is not valid JSON" in response.json()["errors"][0]["message"]


HUGE = 900_000  # within the 1,000,000-byte body limit
HUGE_STRINGS = {
    "document": {"query": "{ __typename }" + " " * HUGE},
    "variable": {"query": "query($s: String) { __typename }", "variables": {"s": "a" * HUGE}},
    "operation name": {"query": "{ __typename }", "operationName": "a" * HUGE},
    "escaped characters": {"query": "{ __typename }", "extensions": {"x": "\u00e9" * (HUGE // 6)}},
}


@pytest.mark.parametrize("name", list(HUGE_STRINGS))
def test_huge_strings_within_the_body_limit_are_answered_fast(gw: Gateway, name: str) -> None:
    body = httpx.Request("POST", "/", json=HUGE_STRINGS[name]).content
    assert len(body) < 1_000_000
    response = attack(gw, lambda: _post(gw, body), seconds=10, memory=80 * MiB).result
    if name == "variable":
        # Over GATEWAY_MAX_VARIABLES_BYTES (100,000): refused before anything runs.
        assert response.status_code == 413, response.text[:300]
        assert _code(response) == "LIMIT_EXCEEDED"
        return
    # Valid JSON: a GraphQL answer (data, or a typed refusal), never an error of our own.
    assert response.status_code in (200, 400), response.text[:300]
    assert "INTERNAL" not in response.text[:2000]


CURSOR_QUERY = """query($after: String) {
  invoices(vendor: KANTATA, first: 2, after: $after) { nodes { id } } }"""


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "a" * 90_000,  # within the variables limit (100,000 bytes)
        _cursor("kantata:" + "9" * 5_000),
        _cursor("kantata:1:" + "1" * 5_000),
        _cursor("kantata:-1"),
        _cursor("kitchen:1"),
        _cursor("kantata:1:\x00"),
        _cursor("kantata:\u00b2"),  # "²": a digit to str.isdigit, not to int()
        base64.urlsafe_b64encode(b"kantata:\xff\xfe").decode(),
    ],
    ids=[
        "not base64",
        "90 KB",
        "5,000-digit position",
        "5,000-digit anchor",
        "negative",
        "another vendor's",
        "NUL anchor",
        "superscript digit",
        "not UTF-8",
    ],
)
def test_a_crafted_cursor_is_invalid_input_never_internal(gw: Gateway, cursor: str) -> None:
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        body = {"query": CURSOR_QUERY, "variables": {"after": cursor}}
        response = client.post("/graphql", json=body)
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["INVALID_INPUT"], errors
    assert len(response.content) < 2_000  # a huge cursor is not echoed back


# --- connections ------------------------------------------------------------------------

HALF_A_HEAD = b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applic"


def _socket_budget(wanted: int) -> int:
    """`wanted` connections, or as many as this process's open-file limit leaves room for."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(0, min(wanted, soft - 256))


@contextlib.contextmanager
def stalled(gw: Gateway, count: int, head: bytes = HALF_A_HEAD) -> Iterator[list[socket.socket]]:
    """`count` connections that each sent `head` and say nothing more; closed on exit."""
    port = int(gw.url.rsplit(":", 1)[1])
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(head)
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _answers(sockets: list[socket.socket], within: float) -> dict[socket.socket, bytes]:
    """What the server sends each socket until it closes it, for at most `within` seconds;
    a socket the server did not close is missing."""
    selector = selectors.DefaultSelector()  # epoll: no limit of 1,024 descriptors
    received: dict[socket.socket, bytes] = {}
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        received[sock] = b""
    closed: dict[socket.socket, bytes] = {}
    deadline = time.monotonic() + within
    try:
        while received and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    received[sock] += chunk
                    continue
                selector.unregister(sock)
                closed[sock] = received.pop(sock)
    finally:
        selector.close()
    return closed


SLOW_HEADER_TIMEOUT = 3


@pytest.fixture(scope="module")
def gw_slow() -> Iterator[Gateway]:
    env = {"GATEWAY_HEADER_TIMEOUT": str(SLOW_HEADER_TIMEOUT), "GATEWAY_LIMIT_CONCURRENCY": "5000"}
    with gateway_process(env) as gateway:
        yield gateway


def test_a_slowloris_is_closed_after_the_header_timeout(gw_slow: Gateway) -> None:
    count = _socket_budget(2_000)
    if count < 200:
        pytest.skip("this process may not open enough sockets")

    def slowloris() -> tuple[int, float, dict[socket.socket, bytes]]:
        with stalled(gw_slow, count) as sockets:
            opened = time.monotonic()
            closed = _answers(sockets, within=SLOW_HEADER_TIMEOUT + 15)
            return len(sockets), time.monotonic() - opened, closed

    measured = attack(gw_slow, slowloris, seconds=SLOW_HEADER_TIMEOUT + 30, memory=64 * MiB)
    opened, took, closed = measured.result
    assert len(closed) == opened, f"{opened - len(closed)} connections were never closed"
    assert {answer.split(b"\r\n", 1)[0] for answer in closed.values()} == {
        b"HTTP/1.1 408 Request Timeout"
    }
    assert took >= SLOW_HEADER_TIMEOUT - 1
    print(
        f"\nslowloris: {opened} connections closed after {took:.1f} s (header timeout "
        f"{SLOW_HEADER_TIMEOUT} s), peak RSS +{measured.peak_growth / MiB:.1f} MiB, "
        f"/healthz {measured.health_checks} times, worst {measured.health_worst * 1000:.0f} ms"
    )


def test_a_connection_that_sends_nothing_is_closed_too(gw_slow: Gateway) -> None:
    with stalled(gw_slow, 20, head=b"") as sockets:
        closed = _answers(sockets, within=SLOW_HEADER_TIMEOUT + 10)
    assert len(closed) == 20
    assert set(closed.values()) == {b""}  # nothing was asked: closed without an answer


def test_a_request_head_past_64_kib_is_431(gw_slow: Gateway) -> None:
    head = b"GET /graphql?query=" + b"a" * 1_000_000

    def send_it() -> bytes:
        port = int(gw_slow.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(head)  # refused before it is all sent
            try:
                return sock.recv(65536)
            except ConnectionResetError:
                return b"reset"

    answer = attack(gw_slow, send_it, seconds=5, memory=20 * MiB).result
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large"), answer[:100]
    assert b'"REQUEST_HEADER_FIELDS_TOO_LARGE"' in answer


LIMIT = 50


def test_connections_past_the_limit_are_answered_503_at_once() -> None:
    env = {"GATEWAY_LIMIT_CONCURRENCY": str(LIMIT), "GATEWAY_HEADER_TIMEOUT": "3"}
    with gateway_process(env) as gw, stalled(gw, LIMIT * 3) as sockets:
        # The first ones wait for their heads; every one past the limit is answered now.
        answered = _answers(sockets, within=1.5)
        started = time.monotonic()
        late = httpx.get(f"{gw.url}/healthz", timeout=10)
        took = time.monotonic() - started
        assert late.status_code == 503 and took < 1.0, (late.status_code, took)
        assert late.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert late.headers["retry-after"] == "1"
        assert LIMIT * 2 - 5 <= len(answered) <= LIMIT * 2
        assert {a.split(b"\r\n", 1)[0] for a in answered.values()} == {
            b"HTTP/1.1 503 Service Unavailable"
        }
        # Once the stalled ones are closed (header timeout), callers are served again.
        closed = _answers([s for s in sockets if s not in answered], within=10)
        assert len(closed) + len(answered) == len(sockets)
        assert httpx.get(f"{gw.url}/healthz", timeout=10).status_code == 200


# --- /readyz ----------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def vendors() -> Iterator[str]:
    """The emulators served apart (as a real vendor would be): their request log holds
    every probe the gateway sends them."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from gateway.sandbox import create_sandbox_app
    from tests.server import serve

    with serve(Starlette(routes=[Mount("/sandbox", app=create_sandbox_app())])) as url:
        yield url


def test_readyz_500_times_costs_no_vendor_request_per_call(vendors: str) -> None:
    from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO

    env = {
        "GATEWAY_SANDBOX": "false",
        "KANTATA_BASE_URL": f"{vendors}/sandbox/kantata/api/v1",
        "KANTATA_TOKEN": DEMO.kantata_token,
        "KITCHEN_BASE_URL": f"{vendors}/sandbox/kitchen/{{workspace}}/api",
        "KITCHEN_TOKEN": DEMO.kitchen_token,
        "KITCHEN_WORKSPACE": DEMO.kitchen_workspace,
    }
    with gateway_process(env) as gw, httpx.Client(base_url=gw.url, timeout=30) as client:
        deadline = time.monotonic() + 15
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.2)
        log = f"{vendors}/sandbox/kantata/_control/requests"
        httpx.delete(log).raise_for_status()

        def call_readyz() -> tuple[list[int], float]:
            cpu = _cpu_seconds(gw.pid)
            statuses = [client.get("/readyz").status_code for _ in range(500)]
            return statuses, _cpu_seconds(gw.pid) - cpu

        measured = attack(gw, call_readyz, seconds=30, memory=10 * MiB)
        statuses, cpu = measured.result
        probes = httpx.get(log).json()
    assert set(statuses) == {200}
    # One probe a round (every 5 s once ready), however often /readyz is called.
    assert len(probes) <= 1 + measured.seconds / 5, probes
    assert all(probe["method"] == "HEAD" for probe in probes)
    # The gateway's CPU for 500 calls (and the /healthz polls alongside): a fraction of a
    # millisecond each (each call cost about 25 ms when it probed both vendors itself).
    assert cpu / 500 < 0.003, f"{cpu / 500 * 1000:.2f} ms of CPU a call"
    print(
        f"\nreadyz: 500 calls in {measured.seconds:.2f} s, {cpu / 500 * 1000:.2f} ms CPU a "
        f"call, {len(probes)} vendor probes"
    )


# --- X-Forwarded-For --------------------------------------------------------------------


def _rate_limited_after(gw: Gateway, forwarded_for: list[str]) -> list[int]:
    statuses = []
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        for address in forwarded_for:
            response = client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
    return statuses


SPOOFED = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"]


def test_x_forwarded_for_from_an_untrusted_client_does_not_change_the_rate_limit_key() -> None:
    with gateway_process({"GATEWAY_RATE_LIMIT": "3"}) as gw:
        # Loopback is not a trusted proxy unless configured: every request counts as 127.0.0.1.
        assert _rate_limited_after(gw, SPOOFED) == [200, 200, 200, 429, 429]


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client() -> None:
    env = {"GATEWAY_RATE_LIMIT": "3", "GATEWAY_TRUSTED_PROXIES": "127.0.0.1"}
    with gateway_process(env) as gw:
        assert _rate_limited_after(gw, SPOOFED) == [200] * 5
        # The address the proxy appended, not one the caller put in front of it.
        assert _rate_limited_after(gw, [f"{a}, 198.51.100.7" for a in SPOOFED]) == [
            200,
            200,
            200,
            429,
            429,
        ]


# --- safe by default --------------------------------------------------------------------

TOKENS = {"KANTATA_TOKEN": "real-looking-kantata-token", "KITCHEN_TOKEN": "real-kitchen-key"}


def serving(
    env: dict[str, str], *args: str
) -> contextlib.AbstractContextManager[tuple[subprocess.Popen[str], str]]:
    """`invoice-gateway serve ARGS` with `env`, its output captured; stopped on exit."""
    return served(env, *args, capture=True)


def _output(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.terminate()
    output, _ = process.communicate(timeout=10)
    return output


def test_serve_beyond_loopback_with_tokens_and_no_keys_refuses_to_start() -> None:
    with serving(TOKENS, "--host", "0.0.0.0") as (process, _):
        assert process.wait(timeout=30) != 0
        output = _output(process)
    assert "refusing to listen on 0.0.0.0" in output
    assert "GATEWAY_API_KEYS" in output and "GATEWAY_ALLOW_ANONYMOUS=true" in output
    assert TOKENS["KANTATA_TOKEN"] not in output


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({**TOKENS, "GATEWAY_API_KEYS": "k1"}, ("--host", "0.0.0.0")),
        (TOKENS, ("--host", "127.0.0.1")),
        ({}, ("--host", "0.0.0.0")),  # the sandbox: no vendor token to spend
    ],
    ids=["with keys", "on loopback", "sandbox"],
)
def test_serve_starts_when_nobody_can_spend_the_tokens_anonymously(
    env: dict[str, str], args: tuple[str, ...]
) -> None:
    with serving(env, *args) as (process, url):
        wait_until_ready(process, url)
        output = _output(process)
    assert "ANONYMOUS ACCESS" not in output


def test_allow_anonymous_starts_and_warns_loudly() -> None:
    env = {**TOKENS, "GATEWAY_ALLOW_ANONYMOUS": "true"}
    with serving(env, "--host", "0.0.0.0") as (process, url):
        wait_until_ready(process, url)
        output = _output(process)
    assert "WARNING" in output and "ANONYMOUS ACCESS" in output
    assert TOKENS["KANTATA_TOKEN"] not in output


REMOTE = {"X-Forwarded-For": "203.0.113.9"}  # through a trusted proxy: another host
SANDBOX_PATHS = [
    ("POST", "/sandbox/kantata/_control/reset"),
    ("POST", "/sandbox/kitchen/_control/faults"),
    ("GET", "/sandbox/kantata/_control/requests"),
    ("GET", "/sandbox/kantata/api/v1/invoices"),
]


def test_the_image_default_keeps_the_sandbox_to_this_host() -> None:
    """The container's command: the sandbox on 0.0.0.0. GraphQL serves its demo data; the
    emulators and their control surface (fault injection, reset) answer this host only.
    Another host is played by a trusted proxy's X-Forwarded-For (targets stay loopback)."""
    env = {"GATEWAY_TRUSTED_PROXIES": "127.0.0.1"}
    with serving(env, "--host", "0.0.0.0") as (process, url):
        wait_until_ready(process, url)
        answer = httpx.post(f"{url}/graphql", json={"query": CURSOR_QUERY}, headers=REMOTE)
        assert answer.json()["data"]["invoices"]["nodes"], answer.text
        for method, path in SANDBOX_PATHS:
            refused = httpx.request(method, f"{url}{path}", headers=REMOTE, timeout=10)
            assert refused.status_code == 404, (path, refused.text)
            assert "this host only" in refused.json()["errors"][0]["message"]
        # A caller on this host still may (a test harness, `docker exec ... curl`).
        assert httpx.post(f"{url}/sandbox/kantata/_control/reset").is_success


def test_sandbox_public_opens_it_to_other_hosts() -> None:
    env = {"GATEWAY_TRUSTED_PROXIES": "127.0.0.1"}
    with serving(env, "--host", "0.0.0.0", "--sandbox-public") as (process, url):
        wait_until_ready(process, url)
        response = httpx.get(f"{url}/sandbox/kantata/_control/requests", headers=REMOTE)
        assert response.status_code == 200
