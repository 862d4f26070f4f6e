"""`Idempotency-Key` on GraphQL POSTs: a retried request gets the first answer again.

- The same key with the same operation and variables within the TTL (24 h) replays the
  first answer without calling a vendor (`Idempotent-Replayed: true`).
- The same key with a different body is refused (422, IDEMPOTENCY_KEY_REUSED).
- A duplicate that arrives while the first is still running waits for it.
- Keys are scoped to the caller (its API key and vendor credential headers, hashed), so
  one caller can never replay another's answer.
- An answer that is not a 2xx, or that reports a transient failure (the vendor was
  unavailable, too slow, or rate limiting), is not kept: a retry runs again. The vendors'
  PUTs are idempotent, so running a write twice with the same body is safe.

The store is a small interface; `MemoryStore` serves one process, and a shared store
(Redis) can stand in for several replicas.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.asgi_body import Disconnected, read_body, replaying

HEADER = "idempotency-key"
TTL_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255
# Headers that say who the caller is; an answer is only ever replayed to the same caller.
_CALLER_HEADERS = ("authorization", "x-kantata-token", "x-kitchen-token", "x-kitchen-workspace")
# Headers of the first answer that are not replayed (they describe that one exchange).
_NOT_REPLAYED = {"content-length", "date", "server", "x-request-id"}


@dataclass
class StoredResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class _Entry:
    fingerprint: str
    expires: float
    done: asyncio.Future[StoredResponse | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class Run:
    pass


@dataclass
class Replay:
    response: StoredResponse


@dataclass
class Mismatch:
    pass


class IdempotencyStore(Protocol):
    async def claim(self, key: str, fingerprint: str) -> Run | Replay | Mismatch:
        """Run: the caller is first and must `finish`. Replay: the first answer. Mismatch:
        the key was used with another request. A duplicate of a request still running
        waits for it."""
        ...

    async def finish(self, key: str, response: StoredResponse | None) -> None:
        """Keep `response` for the key's TTL, or (None) forget the key so it can run again."""
        ...


class MemoryStore:
    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def _purge(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if e.expires <= now and e.done.done()]:
            del self._entries[key]
        while len(self._entries) > self._max:
            oldest = next(iter(self._entries))
            if not self._entries[oldest].done.done():
                break
            del self._entries[oldest]

    async def claim(self, key: str, fingerprint: str) -> Run | Replay | Mismatch:
        self._purge()
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = _Entry(fingerprint, self._clock() + self._ttl)
            return Run()
        if entry.fingerprint != fingerprint:
            return Mismatch()
        stored = await asyncio.shield(entry.done)
        if stored is None:  # the first run failed and was forgotten: this one runs
            return await self.claim(key, fingerprint)
        return Replay(stored)

    async def finish(self, key: str, response: StoredResponse | None) -> None:
        entry = self._entries.get(key)
        if entry is None:
            return
        if response is None:
            del self._entries[key]
        if not entry.done.done():
            entry.done.set_result(response)


def _problem(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


class IdempotencyMiddleware:
    """Wraps the GraphQL endpoint; only POSTs that carry the header are affected."""

    def __init__(self, app: ASGIApp, store: IdempotencyStore, path: str = "/graphql") -> None:
        self.app = app
        self.store = store
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            response = _problem(
                400,
                "INVALID_INPUT",
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            )
            await response(scope, receive, send)
            return

        try:
            body = await read_body(receive)
        except Disconnected:
            return
        scoped = _scoped_key(headers, key)
        claim = await self.store.claim(scoped, _fingerprint(body, headers.get("accept", "")))
        if isinstance(claim, Mismatch):
            response = _problem(
                422,
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used with a different operation or variables",
            )
            await response(scope, receive, send)
            return
        if isinstance(claim, Replay):
            await _replay(claim.response, send)
            return

        captured = StoredResponse(status=500, headers=[], body=b"")
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        kept: StoredResponse | None = None
        try:
            await self.app(scope, replaying(body, receive), capture)
            captured.body = b"".join(chunks)
            if 200 <= captured.status < 300 and not _transient(captured.body):
                kept = captured
        finally:
            await self.store.finish(scoped, kept)


_TRANSIENT = {"UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT", "RATE_LIMITED", "INTERNAL"}


def _transient(body: bytes) -> bool:
    """Whether a GraphQL answer reports a failure that a retry may not meet again."""
    try:
        answer = json.loads(body)
    except ValueError:
        return True
    codes: set[str] = set()
    for error in answer.get("errors") or [] if isinstance(answer, dict) else []:
        codes.add(str((error.get("extensions") or {}).get("code")))
    data = answer.get("data") if isinstance(answer, dict) else None
    for payload in (data or {}).values() if isinstance(data, dict) else []:
        if isinstance(payload, dict):
            codes.update(str(e.get("code")) for e in payload.get("userErrors") or [])
    return bool(codes & _TRANSIENT)


def _scoped_key(headers: Headers, key: str) -> str:
    caller = "\n".join(headers.get(name, "") for name in _CALLER_HEADERS)
    return hashlib.sha256(f"{caller}\n\n{key}".encode()).hexdigest()


def _fingerprint(body: bytes, accept: str) -> str:
    """The operation and variables as JSON means them (key order and spacing aside), and
    the media types asked for: a replay answers in the first request's media type, so a
    request that asks for another one is another request."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return hashlib.sha256(body + b"\n" + accept.encode()).hexdigest()
    if isinstance(parsed, dict):
        parsed = {k: parsed.get(k) for k in ("query", "variables", "operationName")}
    canonical = json.dumps([parsed, accept], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers = [
        (k, v) for k, v in stored.headers if k.decode("latin-1").lower() not in _NOT_REPLAYED
    ]
    headers.append((b"content-length", str(len(stored.body)).encode()))
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
