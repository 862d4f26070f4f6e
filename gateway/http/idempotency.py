"""`Idempotency-Key` on GraphQL POSTs: a retried mutation gets the first answer again.

- Only mutations are kept. A request with no mutation in it (a query, a document that does
  not parse, a persisted-query hash or `documentId` the gateway does not know) just runs,
  as without the header: there is nothing to protect, and nothing of it is stored.
- The same key with the same operation and variables within the TTL (24 h) replays the
  first answer without calling a vendor (`Idempotent-Replayed: true`).
- The same key with a different body is refused (422, IDEMPOTENCY_KEY_REUSED).
- A duplicate that arrives while the first is still running waits for it, at most `wait`
  seconds (the upstream timeout), then is answered 409 IDEMPOTENCY_KEY_IN_FLIGHT with
  `Retry-After`; a duplicate whose caller goes away stops waiting.
- Keys are scoped to the caller (its API key and vendor credential headers, hashed), so
  one caller can never replay another's answer.
- Each answer says whether it was kept: `Idempotent-Stored: true`, or `false` with the
  reason: `reason=query` (no mutation), `reason=too-large` (over `max_answer_bytes`,
  GATEWAY_IDEMPOTENCY_MAX_ANSWER_BYTES), `reason=failed` (not a 2xx, or any operation,
  each one of a batch, reports a transient failure: the vendor was unavailable, too slow
  or rate limiting). A retry of an answer not kept runs again; the vendors' PUTs are
  idempotent, so running a write twice with the same body is safe.
- The shared store failing (gateway/store/health.py): a mutation with a key is answered
  503 STORE_UNAVAILABLE (the claim raises StoreUnavailable); a failure while keeping the
  answer is logged once and the key frees itself within seconds (`RedisStore`).

The store is a small interface; `MemoryStore` serves one process, `RedisStore` several
replicas (docs/operations.md, "Idempotency across replicas").
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from redis.asyncio import Redis
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.asgi_body import Disconnected, read_body, replaying
from gateway.ops.refusals import UNCOUNTED, Refusal, RefusalCounter
from gateway.store.health import StoreHealth, StoreUnavailable, redis_health

HEADER = "idempotency-key"
STORED_HEADER = b"idempotent-stored"
TTL_SECONDS = 24 * 60 * 60
WAIT_SECONDS = 30.0
MAX_KEY_LENGTH = 255
MAX_ANSWER_BYTES = 1_000_000
# What the in-process store keeps at most, answers and headers counted.
MEMORY_BYTES = 50_000_000
# Headers that say who the caller is, with each vendor's credential headers (given): an
# answer is only ever replayed to the same caller.
_CALLER_HEADERS = ("authorization",)
# Headers of the first answer that are not replayed (they describe that one exchange).
_NOT_REPLAYED = {"content-length", "date", "server", "x-request-id"}


@dataclass
class StoredResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


@dataclass
class Run:
    pass


@dataclass
class Replay:
    response: StoredResponse


@dataclass
class Mismatch:
    pass


@dataclass
class InFlight:
    """The first request with the key was still running when the wait ended."""


Claim = Run | Replay | Mismatch | InFlight


class IdempotencyStore(Protocol):
    async def claim(self, key: str, fingerprint: str, *, wait: float = WAIT_SECONDS) -> Claim:
        """Run: the caller is first and must `finish`. Replay: the first answer. Mismatch:
        the key was used with another request. A duplicate of a request still running
        waits for it, at most `wait` seconds (then InFlight). StoreUnavailable when the
        store fails."""
        ...

    async def finish(self, key: str, response: StoredResponse | None) -> None:
        """Keep `response` for the key's TTL, or (None) forget the key so it can run again.
        Never raises for a store failure."""
        ...


@dataclass
class _Entry:
    fingerprint: str
    expires: float
    size: int = 0
    done: asyncio.Future[StoredResponse | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class MemoryStore:
    """This process's keys, each answer for `ttl`, the oldest answers dropped first past
    `max_entries` or `max_bytes` (a request still running is never dropped)."""

    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = MEMORY_BYTES,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.bytes = 0

    def _purge(self) -> None:
        """Expired answers, then the oldest while over a bound. Entries are in the order
        of their claims and share one TTL, so the expired ones are at the front."""
        now, size, count = self._clock(), self.bytes, len(self._entries)
        dropped = []
        for key, entry in self._entries.items():
            if size <= self._max_bytes and count <= self._max and entry.expires > now:
                break
            if entry.done.done():
                dropped.append(key)
                size, count = size - entry.size, count - 1
        for key in dropped:
            self.bytes -= self._entries.pop(key).size

    async def claim(self, key: str, fingerprint: str, *, wait: float = WAIT_SECONDS) -> Claim:
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            self._purge()
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(fingerprint, self._clock() + self._ttl)
                return Run()
            if entry.fingerprint != fingerprint:
                return Mismatch()
            try:
                async with asyncio.timeout_at(deadline):
                    stored = await asyncio.shield(entry.done)
            except TimeoutError:
                return InFlight()
            if stored is not None:
                return Replay(stored)
            # The first run failed and was forgotten: this one runs.

    async def finish(self, key: str, response: StoredResponse | None) -> None:
        entry = self._entries.get(key)
        if entry is None:
            return
        if response is None:
            del self._entries[key]
        else:
            entry.size = response.size
            self.bytes += entry.size
        if not entry.done.done():
            entry.done.set_result(response)
        self._purge()


# Compare-and-set on the in-flight marker: only the claimant's own marker is replaced by
# the answer (KEYS[1], ARGV: token, answer, ttl ms) or deleted (no answer).
_FINISH = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
"""
# The claimant's marker lives on (KEYS[1], ARGV: token, ttl ms); 0 once it is not its own.
_RENEW = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['token'] ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


@dataclass
class _Claim:
    token: str
    fingerprint: str
    renewal: asyncio.Task[None]


class RedisStore:
    """The same protocol across replicas, in one Redis key per scoped key
    (`<namespace>:idem:<sha256>`, the scoped key being already a hash):

    - claim: `SET NX` of an in-flight marker `{"state": "running", "fingerprint", "token"}`
      with a short TTL (`in_flight_ttl`, 10 s), renewed every third of it while the
      request runs: a replica that dies mid-run, or loses Redis before it could finish,
      frees the key within seconds;
    - a duplicate finds the marker and polls every `poll_interval` until it turns into
      the answer (replay), disappears (the first run failed: claim again) or names another
      fingerprint (mismatch), or its `wait` ends (InFlight);
    - finish: the marker becomes `{"state": "done", "fingerprint", "response"}` for `ttl`
      (24 h), or is deleted when the run is not to be kept; both only while the marker is
      still this claim's own (compare on the token, in one Lua script). If Redis fails
      then, the finish is tried again every half second in the background until the
      marker would have expired (`in_flight_ttl`): a duplicate gets the answer, or runs
      again, within a second of Redis answering again, and at worst after in_flight_ttl.
    Values hold the status, headers and body of the GraphQL answer; never a credential.
    """

    def __init__(
        self,
        client: Callable[[], Redis],
        *,
        namespace: str = "invoice-gateway",
        ttl: float = TTL_SECONDS,
        in_flight_ttl: float = 10.0,
        poll_interval: float = 0.05,
        health: StoreHealth | None = None,
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:idem:"
        self._ttl_ms = int(ttl * 1000)
        self._in_flight_ms = max(1, int(in_flight_ttl * 1000))
        self._poll = poll_interval
        self._health = health or redis_health()
        self._claims: dict[str, _Claim] = {}
        self._later: set[asyncio.Task[None]] = set()  # finishes tried again

    async def claim(self, key: str, fingerprint: str, *, wait: float = WAIT_SECONDS) -> Claim:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        redis, name = self._client(), self._prefix + key
        while True:
            token = uuid.uuid4().hex
            marker = json.dumps({"state": "running", "fingerprint": fingerprint, "token": token})
            if await self._health.run(
                functools.partial(redis.set, name, marker, nx=True, px=self._in_flight_ms),
                "claiming an Idempotency-Key",
            ):
                renewal = asyncio.create_task(self._renew(name, token))
                self._claims[key] = _Claim(token, fingerprint, renewal)
                return Run()
            raw = await self._health.run(lambda: redis.get(name), "reading an Idempotency-Key")
            if raw is None:  # released or expired between the two calls: try again
                continue
            value: dict[str, Any] = json.loads(raw)
            if value["fingerprint"] != fingerprint:
                return Mismatch()
            if value["state"] == "done":
                return Replay(_decode(value["response"]))
            if loop.time() + self._poll > deadline:
                return InFlight()
            await asyncio.sleep(self._poll)

    async def _renew(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._in_flight_ms / 3000)
            renew = functools.partial(
                self._client().eval, _RENEW, 1, name, token, self._in_flight_ms
            )
            try:
                mine = await self._health.run(renew, "renewing an Idempotency-Key claim")
            except StoreUnavailable:
                continue
            if not mine:
                return

    async def finish(self, key: str, response: StoredResponse | None) -> None:
        claim = self._claims.pop(key, None)
        if claim is None:
            return
        claim.renewal.cancel()
        answer = ""
        if response is not None:
            answer = json.dumps(
                {"state": "done", "fingerprint": claim.fingerprint, "response": _encode(response)}
            )
        done = functools.partial(
            self._client().eval, _FINISH, 1, self._prefix + key, claim.token, answer, self._ttl_ms
        )
        if not await self._finish(done):
            # Tried again in the background until the marker would have expired anyway.
            later = asyncio.create_task(self._finish_later(done))
            self._later.add(later)
            later.add_done_callback(self._later.discard)

    async def _finish(self, done: Callable[[], Awaitable[object]]) -> bool:
        try:
            await self._health.run(done, "keeping an Idempotency-Key answer")
        except StoreUnavailable:
            return False  # logged once by the health
        return True

    async def _finish_later(self, done: Callable[[], Awaitable[object]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._in_flight_ms / 1000
        while loop.time() < deadline:
            await asyncio.sleep(min(0.5, self._in_flight_ms / 3000))
            if await self._finish(done):
                return


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


def _problem(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers
    )


class IdempotencyMiddleware:
    """Wraps the GraphQL endpoint; only POSTs that carry the header are affected.
    `documents` finds the document an operation names by its hash or `documentId` (to tell
    whether it is a mutation); `max_tokens` bounds the parse that tells it."""

    def __init__(
        self,
        app: ASGIApp,
        store: IdempotencyStore,
        path: str = "/graphql",
        on_replay: Callable[[], None] | None = None,
        *,
        wait: float = WAIT_SECONDS,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        documents: Callable[[dict[str, Any]], Awaitable[str | None]] | None = None,
        max_tokens: int | None = None,
        caller_headers: Sequence[str] = (),
        refusals: RefusalCounter = UNCOUNTED,
    ) -> None:
        self.app = app
        self.refusals = refusals
        self.caller_headers = (*_CALLER_HEADERS, *(h.lower() for h in caller_headers))
        self.store = store
        self.path = path
        self.on_replay = on_replay  # told of each replay (metrics)
        self.wait = wait
        self.max_answer_bytes = max_answer_bytes
        self.documents = documents
        self.max_tokens = max_tokens

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
            self.refusals.refused(Refusal.IDEMPOTENCY_KEY_INVALID)
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
        if not await self._has_mutation(body):
            await self.app(scope, replaying(body, receive), _stored(send, b"false; reason=query"))
            return
        scoped = _scoped_key(headers, self.caller_headers, key)
        claim = await self._claim(scoped, _fingerprint(body, headers.get("accept", "")), receive)
        if claim is None:
            return  # the caller went away while waiting
        if isinstance(claim, Mismatch):
            self.refusals.refused(Refusal.IDEMPOTENCY_KEY_REUSED)
            response = _problem(
                422,
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used with a different operation or variables",
            )
            await response(scope, receive, send)
            return
        if isinstance(claim, InFlight):
            self.refusals.refused(Refusal.IDEMPOTENCY_KEY_IN_FLIGHT)
            response = _problem(
                409,
                "IDEMPOTENCY_KEY_IN_FLIGHT",
                f"a request with this Idempotency-Key has been running for over "
                f"{self.wait:g} s; retry it later to get its answer",
                {"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        if isinstance(claim, Replay):
            if self.on_replay is not None:
                self.on_replay()
            await _replay(claim.response, send)
            return
        await self._run(scope, body, receive, send, scoped)

    async def _run(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, scoped: str
    ) -> None:
        """Run the request with the whole answer held back, so its first line can say
        whether it is kept; send it, then keep it (or free the key)."""
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        kept: StoredResponse | None = None
        try:
            await self.app(scope, replaying(body, receive), capture)
            start = next((m for m in messages if m["type"] == "http.response.start"), None)
            if start is None:
                return
            answer = StoredResponse(
                status=start["status"],
                headers=list(start.get("headers", [])),
                body=b"".join(m.get("body", b"") for m in messages if m is not start),
            )
            reason = self._not_kept(answer)
            kept = answer if reason is None else None
            start = {**start, "headers": [*answer.headers, (STORED_HEADER, reason or b"true")]}
            for message in (start, *(m for m in messages if m["type"] != start["type"])):
                await send(message)
        finally:
            await self.store.finish(scoped, kept)

    def _not_kept(self, answer: StoredResponse) -> bytes | None:
        if len(answer.body) > self.max_answer_bytes:
            return b"false; reason=too-large"
        if not 200 <= answer.status < 300 or _transient(answer.body):
            return b"false; reason=failed"
        return None

    async def _claim(self, key: str, fingerprint: str, receive: Receive) -> Claim | None:
        """The store's claim, or None when the caller goes away first."""
        claiming = asyncio.ensure_future(self.store.claim(key, fingerprint, wait=self.wait))
        gone = asyncio.ensure_future(_disconnect(receive))
        try:
            await asyncio.wait({claiming, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        went = gone.done() and not gone.cancelled() and gone.exception() is None
        if claiming.done():
            claim = claiming.result()
            if went and isinstance(claim, Run):
                await self.store.finish(key, None)
                return None
            return claim
        claiming.cancel()
        return None

    async def _has_mutation(self, body: bytes) -> bool:
        """Whether any operation of the request is a mutation. A body that is not JSON
        (or nests past Python's recursion limit) is none: the view answers it 400."""
        try:
            request = json.loads(body)
        except (ValueError, RecursionError):
            return False
        for operation in request if isinstance(request, list) else [request]:
            if not isinstance(operation, dict):
                continue
            query = operation.get("query")
            if query is None and self.documents is not None:
                query = await self.documents(operation)
            name = operation.get("operationName")
            if isinstance(query, str) and _is_mutation(
                query, name if isinstance(name, str) else None, self.max_tokens
            ):
                return True
        return False


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _is_mutation(query: str, operation_name: str | None, max_tokens: int | None) -> bool:
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.MUTATION


def _stored(send: Send, value: bytes) -> Send:
    """`send` with `Idempotent-Stored: <value>` on the answer."""

    async def with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (STORED_HEADER, value)]}
        await send(message)

    return with_header


# PERSISTED_QUERY_NOT_FOUND too: the client sends the same request again with its query.
_TRANSIENT = {
    "UPSTREAM_UNAVAILABLE",
    "UPSTREAM_TIMEOUT",
    "RATE_LIMITED",
    "INTERNAL",
    "PERSISTED_QUERY_NOT_FOUND",
}


def _transient(body: bytes) -> bool:
    """Whether a GraphQL answer (each answer of a batch) reports a failure that a retry
    may not meet again."""
    try:
        answer = json.loads(body)
    except ValueError:
        return True
    answers = answer if isinstance(answer, list) else [answer]
    return any(_codes(one) & _TRANSIENT for one in answers)


def _codes(answer: object) -> set[str]:
    """The error codes of one GraphQL answer: its errors' and its payloads' userErrors'."""
    if not isinstance(answer, dict):
        return set()
    codes: set[str] = set()
    for error in answer.get("errors") or []:
        if isinstance(error, dict):
            codes.add(str((error.get("extensions") or {}).get("code")))
    data = answer.get("data")
    for payload in data.values() if isinstance(data, dict) else []:
        if isinstance(payload, dict):
            for error in payload.get("userErrors") or []:
                if isinstance(error, dict):
                    codes.add(str(error.get("code")))
    return codes


def _scoped_key(headers: Headers, caller_headers: Sequence[str], key: str) -> str:
    caller = "\n".join(headers.get(name, "") for name in caller_headers)
    return hashlib.sha256(f"{caller}\n\n{key}".encode()).hexdigest()


def _fingerprint(body: bytes, accept: str) -> str:
    """The operation and variables as JSON means them (key order and spacing aside), and
    the media types asked for: a replay answers in the first request's media type, so a
    request that asks for another one is another request. The document counts by its
    SHA-256, so a persisted query's hash alone and the retry that adds the document are
    the same request; a persisted document by its `documentId`."""
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
        named = parsed.get("documentId")
        parsed = {
            "document": document,
            "variables": parsed.get("variables"),
            "operationName": parsed.get("operationName"),
        }
        if named is not None:
            parsed["documentId"] = named
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
