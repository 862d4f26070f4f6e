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

The store is a small interface; `MemoryStore` serves one process, `RedisStore` several
replicas (README, "Running several replicas").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
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


# Compare-and-set on the in-flight marker: only the claimant's own marker is replaced by
# the answer (KEYS[1], ARGV: token, answer, ttl ms) or deleted (no answer).
_FINISH = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
"""


class RedisStore:
    """The same protocol across replicas, in one Redis key per scoped key
    (`<namespace>:idem:<sha256>`, the scoped key being already a hash):

    - claim: `SET NX` of an in-flight marker `{"state": "running", "fingerprint", "token"}`
      with a short TTL (`in_flight_ttl`), so a replica that dies mid-run frees the key;
    - a duplicate finds the marker and polls every `poll_interval` until it turns into
      the answer (replay), disappears (the first run failed: claim again) or names another
      fingerprint (mismatch);
    - finish: the marker becomes `{"state": "done", "fingerprint", "response"}` for `ttl`
      (24 h), or is deleted when the run is not to be kept; both only while the marker is
      still this claim's own (compare on the token, in one Lua script).
    Values hold the status, headers and body of the GraphQL answer; never a credential.
    """

    def __init__(
        self,
        client: Callable[[], Redis],
        *,
        namespace: str = "invoice-gateway",
        ttl: float = TTL_SECONDS,
        in_flight_ttl: float = 300.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:idem:"
        self._ttl_ms = int(ttl * 1000)
        self._in_flight_ms = int(in_flight_ttl * 1000)
        self._poll = poll_interval
        self._claims: dict[str, tuple[str, str]] = {}  # key -> (token, fingerprint)

    async def claim(self, key: str, fingerprint: str) -> Run | Replay | Mismatch:
        redis = self._client()
        name = self._prefix + key
        while True:
            token = uuid.uuid4().hex
            marker = {"state": "running", "fingerprint": fingerprint, "token": token}
            if await redis.set(name, json.dumps(marker), nx=True, px=self._in_flight_ms):
                self._claims[key] = (token, fingerprint)
                return Run()
            raw = await redis.get(name)
            if raw is None:  # released or expired between the two calls: try again
                continue
            value: dict[str, Any] = json.loads(raw)
            if value["fingerprint"] != fingerprint:
                return Mismatch()
            if value["state"] == "done":
                return Replay(_decode(value["response"]))
            await asyncio.sleep(self._poll)

    async def finish(self, key: str, response: StoredResponse | None) -> None:
        claim = self._claims.pop(key, None)
        if claim is None:
            return
        token, fingerprint = claim
        answer = ""
        if response is not None:
            answer = json.dumps(
                {"state": "done", "fingerprint": fingerprint, "response": _encode(response)}
            )
        await self._client().eval(_FINISH, 1, self._prefix + key, token, answer, self._ttl_ms)


def _encode(response: StoredResponse) -> dict[str, Any]:
    return {
        "status": response.status,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in response.headers],
        "body": base64.b64encode(response.body).decode("ascii"),
    }


def _decode(value: dict[str, Any]) -> StoredResponse:
    return StoredResponse(
        status=int(value["status"]),
        headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in value["headers"]],
        body=base64.b64decode(value["body"]),
    )


def _problem(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


class IdempotencyMiddleware:
    """Wraps the GraphQL endpoint; only POSTs that carry the header are affected."""

    def __init__(
        self,
        app: ASGIApp,
        store: IdempotencyStore,
        path: str = "/graphql",
        on_replay: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.path = path
        self.on_replay = on_replay  # told of each replay (metrics)

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
            if self.on_replay is not None:
                self.on_replay()
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


# PERSISTED_QUERY_NOT_FOUND too: the client sends the same request again with its query.
_TRANSIENT = {
    "UPSTREAM_UNAVAILABLE",
    "UPSTREAM_TIMEOUT",
    "RATE_LIMITED",
    "INTERNAL",
    "PERSISTED_QUERY_NOT_FOUND",
}


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
    request that asks for another one is another request. The document counts by its
    SHA-256, so a persisted query's hash alone and the retry that adds the document are
    the same request."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return hashlib.sha256(body + b"\n" + accept.encode()).hexdigest()
    if isinstance(parsed, dict):
        query = parsed.get("query")
        document = (
            hashlib.sha256(query.encode()).hexdigest()
            if isinstance(query, str)
            else _persisted_hash(parsed)
        )
        parsed = {
            "document": document,
            "variables": parsed.get("variables"),
            "operationName": parsed.get("operationName"),
        }
    canonical = json.dumps([parsed, accept], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _persisted_hash(request: dict[str, Any]) -> object:
    extensions = request.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    sha = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return sha.lower() if isinstance(sha, str) else None


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers = [
        (k, v) for k, v in stored.headers if k.decode("latin-1").lower() not in _NOT_REPLAYED
    ]
    headers.append((b"content-length", str(len(stored.body)).encode()))
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
