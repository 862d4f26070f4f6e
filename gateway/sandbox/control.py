"""The sandbox-only control surface shared by both vendor emulators.

Every emulator is wrapped in `ControlledApp`, which adds, under `/_control/`:

- `GET /_control/requests`: the requests the emulator received, oldest first, as
  `[{"method", "path", "query", "headers", "body", "faulted"}]`; header names are lower
  case and the `Authorization` and `Cookie` headers are never recorded. `faulted` is true
  when an injected fault answered instead of the emulator (so the request had no effect).
  `DELETE /_control/requests` forgets them. Tests count upstream calls with this.
- `POST /_control/faults`: queue a fault, body
  `{"method": "PUT", "path": "^/api/v1/invoices/101", "status": 503, "body": "...",
  "headers": {"Retry-After": "1"}, "delay_ms": 0, "times": 1}`. Every key is optional:
  `method`/`path` (a regular expression searched in the path) narrow which requests match;
  `status` answers with that status and `body` (raw text, default `{}`) instead of the
  emulator; `delay_ms` waits first (with no `status`, the emulator then answers normally);
  `times` is how many requests the fault applies to (default 1, `null` for ever);
  `every: N` with `offset: K` spreads it out: it applies to the matching requests numbered
  N-K, 2N-K, ... (counted per fault), so five faults with `every: 100` and offsets 0, 20,
  40, 60, 80 hit 5% of requests, evenly. Faults are matched in the order they were queued.
  `DELETE /_control/faults` clears them.
- `POST /_control/reset`: seed data back, faults and request log cleared, switches back to
  what the emulator started with (its defaults, or the quirks it was built with).
- `GET`/`PATCH /_control/settings`: emulator switches (a JSON object; each emulator documents
  its own keys, and every emulator also takes the answer switches below).

Requests to `/_control/` are neither recorded nor subject to faults.

Answer switches, the same in every emulator (PATCH them, or pass them as `quirks=`), for
answers a careless or hostile vendor might send. They act on everything the emulator
answers, injected faults included, and are off by default; while every one is off an
answer passes through untouched. `GET /_control/settings` lists one once it has been set
(reset forgets it, unless the emulator was built with it).

- `gzip_answers` (bool, default false): every answer with a body is gzip-compressed, with
  `Content-Encoding: gzip` (and `Vary: Accept-Encoding`), when the request's
  `Accept-Encoding` allows gzip; it is then sent chunked, without `Content-Length`.
- `pad_answer_bytes` (int >= 0, default 0): every JSON object answer gets a first key
  `"padding"` holding a string of that many bytes (`"x"`s), streamed in chunks, never built
  whole: a huge answer, or one huge field, at no memory cost to the emulator. Without gzip
  the answer keeps an exact `Content-Length`. Streaming stops when the client goes away.
- `echo_credentials_in_errors` (bool, default false): in every 4xx and 5xx JSON answer,
  each `"message"` string (at any depth) gets the request's `Authorization` header value
  appended, as `... (Authorization: Bearer <token>)`.
- `rate_limit_per_second` (number >= 0, default 0: off): requests a second each token may
  send, in bursts of up to a second's worth; over it the emulator answers 429 as its vendor
  does, and the request is recorded with `faulted: true` (gateway/sandbox/throttle.py).
  Checked before any fault.
"""

from __future__ import annotations

import asyncio
import json
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.asgi_body import Disconnected, read_body, replaying
from gateway.sandbox import throttle

CONTROL_PREFIX = "/_control"

# The answer switches every emulator takes (see above), with their defaults: all off.
ANSWER_SWITCHES: dict[str, Any] = {
    "gzip_answers": False,
    "pad_answer_bytes": 0,
    "echo_credentials_in_errors": False,
    throttle.SWITCH: 0.0,
}
_MAX_PADDING = 2**31


@dataclass
class Fault:
    method: str | None = None
    path: re.Pattern[str] | None = None
    status: int | None = None
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    times: int | None = 1
    every: int = 1
    offset: int = 0
    seen: int = 0  # matching requests counted so far (for `every`)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is not None and self.path.search(path) is None:
            return False
        self.seen += 1
        return (self.seen + self.offset) % self.every == 0

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        known = {
            "method",
            "path",
            "status",
            "body",
            "headers",
            "delay_ms",
            "times",
            "every",
            "offset",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        path = data.get("path")
        status = data.get("status")
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            raise ValueError("status must be an HTTP status code")
        every, offset = data.get("every", 1), data.get("offset", 0)
        if not (isinstance(every, int) and every >= 1 and isinstance(offset, int) and offset >= 0):
            raise ValueError("every is a whole number >= 1 and offset one >= 0")
        return cls(
            method=data.get("method"),
            path=re.compile(path) if path is not None else None,
            status=status,
            body=str(data.get("body", "{}")),
            headers={str(k): str(v) for k, v in (data.get("headers") or {}).items()},
            delay_ms=int(data.get("delay_ms", 0)),
            times=data.get("times", 1),
            every=every,
            offset=offset,
        )


_UNRECORDED_HEADERS = {"authorization", "cookie", "proxy-authorization"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    faulted: bool = False


@dataclass
class Control:
    """The mutable control state of one emulator instance."""

    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def take_fault(self, method: str, path: str) -> Fault | None:
        # Every fault sees every request (so `every` counts are independent of each other);
        # the first one that fires answers.
        fired = [fault for fault in list(self.faults) if fault.matches(method, path)]
        if not fired:
            return None
        fault = fired[0]
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
        return fault


class ControlledApp:
    """Wraps an emulator: records requests, injects faults, serves `/_control/`."""

    def __init__(
        self,
        app: ASGIApp,
        control: Control,
        reset: Callable[[], None],
        default_settings: dict[str, Any] | None = None,
        quirks: Mapping[str, Any] | None = None,
        rate_limited: throttle.Refusal | None = None,
    ) -> None:
        """`quirks` are the switches this emulator starts (and resets) with, in place of
        the defaults; an unknown name or a value of the wrong type is a ValueError.
        `rate_limited` is the emulator's 429 (default: a bare one)."""
        self.app = app
        self.control = control
        self._reset_data = reset
        self._throttle = throttle.Throttle()
        self._rate_limited = rate_limited or _bare_429
        # Every switch this emulator takes, listed by `GET /_control/settings` with its value.
        self._default_settings = {**ANSWER_SWITCHES, **(default_settings or {})}
        self._known_settings = self._default_settings
        problem = self._check_settings(dict(quirks or {}))
        if problem:
            raise ValueError(f"sandbox quirks: {problem}")
        self._start_settings = {**self._default_settings, **(quirks or {})}
        control.settings.update(self._start_settings)
        self._control_app = Starlette(routes=self._routes())

    def reset(self) -> None:
        self._reset_data()
        self._throttle.clear()
        self.control.requests.clear()
        self.control.faults.clear()
        self.control.settings.clear()
        self.control.settings.update(self._start_settings)

    def _routes(self) -> list[Route]:
        control = self.control

        async def requests(request: Request) -> Response:
            if request.method == "DELETE":
                control.requests.clear()
                return Response(status_code=204)
            return JSONResponse([vars(r) for r in control.requests])

        async def faults(request: Request) -> Response:
            if request.method == "DELETE":
                control.faults.clear()
                return Response(status_code=204)
            try:
                control.faults.append(Fault.from_json(await request.json()))
            except (ValueError, TypeError, KeyError, re.error) as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
            return Response(status_code=204)

        async def reset(request: Request) -> Response:
            self.reset()
            return Response(status_code=204)

        async def settings(request: Request) -> Response:
            if request.method == "PATCH":
                try:
                    patch = await request.json()
                except ValueError:
                    return JSONResponse({"message": "the body is not JSON"}, status_code=400)
                problem = self._check_settings(patch)
                if problem:
                    return JSONResponse({"message": problem}, status_code=400)
                control.settings.update(patch)
            return JSONResponse(control.settings)

        return [
            Route("/requests", requests, methods=["GET", "DELETE"]),
            Route("/faults", faults, methods=["POST", "DELETE"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/settings", settings, methods=["GET", "PATCH"]),
        ]

    def _check_settings(self, patch: Any) -> str | None:
        if not isinstance(patch, dict):
            return "settings are a JSON object"
        unknown = set(patch) - set(self._known_settings)
        if unknown:
            return f"unknown settings: {sorted(unknown)}"
        for key, value in patch.items():
            expected = type(self._known_settings[key])
            # A JSON string "false" must not pass for the boolean false.
            if type(value) is not expected and not (expected is float and type(value) is int):
                return f"{key} must be a {expected.__name__}"
        padding = patch.get("pad_answer_bytes", 0)
        if not 0 <= padding <= _MAX_PADDING:
            return f"pad_answer_bytes must be between 0 and {_MAX_PADDING}"
        rate = patch.get(throttle.SWITCH, 0)
        if not 0 <= rate <= throttle.MAX_RATE:  # NaN fails too
            return f"{throttle.SWITCH} must be between 0 and {throttle.MAX_RATE:g}"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _relative_path(scope)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            inner = dict(scope)
            inner["root_path"] = scope.get("root_path", "") + CONTROL_PREFIX
            await self._control_app(inner, receive, send)
            return

        try:
            body = await read_body(receive)
        except Disconnected:
            return
        method = scope["method"]
        recorded = RecordedRequest(
            method=method,
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope.get("headers", [])
                if name.decode("latin-1").lower() not in _UNRECORDED_HEADERS
            },
            body=body.decode("utf-8", "replace"),
        )
        self.control.requests.append(recorded)
        settings = self.control.settings
        if (
            settings.get("gzip_answers")
            or settings.get("pad_answer_bytes")
            or settings.get("echo_credentials_in_errors")
        ):
            send = _Rewriter(scope, receive, send, settings).send
        rate = float(settings.get(throttle.SWITCH, 0))
        # The Authorization header only picks a bucket: it is never recorded.
        authorization = Headers(scope=scope).get("authorization", "")
        wait = self._throttle.wait(authorization, rate) if rate else None
        if wait is not None:
            recorded.faulted = True
            await self._rate_limited(wait)(scope, receive, send)
            return
        fault = self.control.take_fault(method, path)
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                recorded.faulted = True
                response = Response(
                    fault.body,
                    status_code=fault.status,
                    headers=fault.headers,
                    media_type=fault.headers.get("Content-Type", "application/json"),
                )
                await response(scope, receive, send)
                return

        await self.app(scope, replaying(body, receive), send)


def _bare_429(wait: float) -> Response:
    return JSONResponse({"message": "Too Many Requests"}, status_code=429)


def _relative_path(scope: MutableMapping[str, Any]) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


_PAD = b"x" * 65536


class _Rewriter:
    """The answer switches, as a `send` that holds the emulator's answer, changes it, and
    sends it on (streaming what it adds)."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, settings: Mapping[str, Any]
    ) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self._receive = receive
        self._send = send
        self._credential = headers.get("authorization", "")
        self._gzip = bool(settings.get("gzip_answers")) and _accepts_gzip(
            headers.get("accept-encoding", "")
        )
        self._padding = int(settings.get("pad_answer_bytes", 0))
        self._echo = bool(settings.get("echo_credentials_in_errors"))
        self._head = scope["method"] == "HEAD"
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._body.append(message.get("body", b""))
        if not message.get("more_body", False):
            await self._answer(self._start, b"".join(self._body))

    async def _answer(self, start: Message, body: bytes) -> None:
        status: int = start["status"]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        named = {k.lower(): v for k, v in headers}
        kind = named.get(b"content-type", b"").split(b";")[0].strip().lower()
        is_json = kind == b"application/json" or kind.endswith(b"+json")
        if is_json and self._echo and status >= 400 and self._credential:
            body = _echoed(body, self._credential)
        head, padding, tail = body, 0, b""
        if is_json and self._padding and body.lstrip().startswith(b"{"):
            rest = body.lstrip()[1:]
            head, padding = b'{"padding":"', self._padding
            tail = b'"' + rest if rest.lstrip().startswith(b"}") else b'",' + rest
        size = len(head) + padding + len(tail)
        gzip = self._gzip and size > 0 and b"content-encoding" not in named
        if gzip:
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        elif not (self._head or status in (204, 304)):
            headers.append((b"content-length", str(size).encode()))
        await self._send({**start, "headers": headers})
        if self._head or status in (204, 304):
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await self._stream(_parts(head, padding, tail), gzip)

    async def _stream(self, parts: Iterator[bytes], gzip: bool) -> None:
        compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16) if gzip else None
        # The server's `send` ignores a client that has gone; this notices it, so a large
        # padding is not produced for nobody.
        gone = asyncio.ensure_future(_disconnect(self._receive))
        try:
            for part in parts:
                await asyncio.sleep(0)  # a server's `send` may not yield: let `gone` run
                if gone.done():
                    return
                # Flushed part by part: a gzipped answer streams as a plain one does.
                chunk = (
                    compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH)
                    if compressor is not None
                    else part
                )
                if chunk:
                    await self._send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            last = compressor.flush() if compressor is not None else b""
            await self._send({"type": "http.response.body", "body": last, "more_body": False})
        finally:
            gone.cancel()


async def _disconnect(receive: Receive) -> None:
    """Returns when the client has gone (the request body was read before)."""
    for _ in range(3):  # a server may repeat the end of the body; never spin on it
        if (await receive())["type"] == "http.disconnect":
            return
    await asyncio.Event().wait()


def _parts(head: bytes, padding: int, tail: bytes) -> Iterator[bytes]:
    yield head
    while padding > 0:
        chunk = _PAD if padding >= len(_PAD) else _PAD[:padding]
        padding -= len(chunk)
        yield chunk
    yield tail


def _echoed(body: bytes, credential: str) -> bytes:
    """The body with `credential` appended to every "message" string in it."""
    try:
        data = json.loads(body)
    except ValueError:
        return body

    def echo(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: f"{v} (Authorization: {credential})"
                if k == "message" and isinstance(v, str)
                else echo(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [echo(v) for v in value]
        return value

    return json.dumps(echo(data), ensure_ascii=False, separators=(",", ":")).encode()


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding value allows gzip (named, or `*`, with q above 0)."""
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, *params = (p.strip() for p in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0
