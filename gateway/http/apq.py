"""Automatic persisted queries, as Apollo clients speak them.

A request carries `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}`:
- with no `query`: the stored document for the hash runs; unknown, the answer is the
  GraphQL error `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND, HTTP 200), and
  the client sends the request again with the query;
- with a `query`: its SHA-256 must be the hash (else PROVIDED_SHA_DOESNT_MATCH); it runs,
  and it is stored only if it is at most `max_bytes` of UTF-8 (GATEWAY_APQ_MAX_BYTES; a
  larger one is refused, PERSISTED_QUERY_TOO_LARGE: send it without the extension) and it
  parses and validates against the schema (`validates`; one that does not runs unstored,
  and its caller gets the same errors as without the extension).

What is stored is kept `ttl` seconds from its registration (GATEWAY_APQ_TTL) within a byte
budget (GATEWAY_APQ_CACHE_BYTES): in this process the least recently used documents make
room (`MemoryQueryStore`); in Redis every document key has the TTL and a registration is
refused while the budget is spent (`RedisQueryStore`). A document that was not kept is
PERSISTED_QUERY_NOT_FOUND next time and the client sends it again: nothing else changes.

With `persisted_only` (GATEWAY_PERSISTED_QUERIES_ONLY) the store is read-only: an
operation runs only when its hash is already registered, whether the request sends the
hash, the query, or both; anything else is PERSISTED_QUERY_ONLY. Operations are
registered by a gateway running with the option off against the same store (Redis):
a staging replica, or a deploy step that sends each operation once (docs/operations.md,
"Running several replicas"). In this mode every use of an operation starts its TTL again, so the
operations in use never expire; one unused for the whole TTL does, and must be registered
again (the deploy step; or a longer GATEWAY_APQ_TTL).

When the store fails (gateway/store/health.py): a request that needs it (a hash alone;
in persisted-only mode, any operation) raises StoreUnavailable, answered 503; a
registration runs unstored.

Persisted documents from manifests (`documents`, GATEWAY_PERSISTED_DOCUMENTS,
gateway/http/persisted_documents.py) are found before the store: by a request's
`documentId` (GraphQL-over-HTTP's persisted document request, as graphql-codegen's
client sends it), by its APQ hash (as Apollo Client sends a persisted query list's ids,
even one that is no hash), or, in persisted-only mode, by the hash of its `query`. They
are never registered in the store nor expire. A `documentId` the gateway does not have
is PERSISTED_DOCUMENT_NOT_FOUND, answered 400: no client sends the document after it.
A `documentId` that is a SHA-256 (bare, or `sha256:<hex>`) also finds a document
registered in the store.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from graphql import ASTValidationRule, GraphQLError, parse, specified_rules
from redis.asyncio import Redis

from gateway.http.persisted_documents import PersistedDocuments, claimed_hash, sha256_hex
from gateway.store.health import StoreHealth, StoreUnavailable, redis_health

if TYPE_CHECKING:
    import strawberry

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH = "PROVIDED_SHA_DOESNT_MATCH"
ONLY_PERSISTED = "PERSISTED_QUERY_ONLY"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
TOO_LARGE = "PERSISTED_QUERY_TOO_LARGE"
DOCUMENT_NOT_FOUND = "PERSISTED_DOCUMENT_NOT_FOUND"
BAD_REQUEST = "BAD_REQUEST"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")

MAX_BYTES = 100_000
TTL_SECONDS = 86_400
CACHE_BYTES = 50_000_000

# Whether a document may be stored: it parses (and validates).
DocumentCheck = Callable[[str], bool]


class PersistedQueryError(Exception):
    """A refusal, answered with `status`: 200 for APQ's own (as Apollo servers answer
    them), 400 for a request that names no document the gateway has, or is malformed."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class QueryStore(Protocol):
    async def get(self, sha256: str, *, touch: bool = False) -> str | None:
        """The document, or None. `touch` starts its TTL again (persisted-only mode)."""
        ...

    async def put(self, sha256: str, query: str) -> bool:
        """Keep the document (a stored one is left as it is); False when there was no
        room for it."""
        ...


# What a kept document costs this process besides its text: the key, the entry, the
# dictionary slot.
_ENTRY_BYTES = 300


class MemoryQueryStore:
    """This process's documents, each for `ttl` seconds from its registration, the least
    recently used dropped first to keep them within `max_bytes` (counted as Python holds
    them, so text outside ASCII counts what it really costs)."""

    def __init__(
        self,
        max_bytes: int = CACHE_BYTES,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_bytes
        self._ttl = ttl
        self._clock = clock
        self._queries: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.bytes = 0

    async def get(self, sha256: str, *, touch: bool = False) -> str | None:
        entry = self._queries.get(sha256)
        if entry is None:
            return None
        query, expires = entry
        now = self._clock()
        if expires <= now:
            self._drop(sha256)
            return None
        if touch:
            self._queries[sha256] = (query, now + self._ttl)
        self._queries.move_to_end(sha256)
        return query

    async def put(self, sha256: str, query: str) -> bool:
        if await self.get(sha256) is not None:
            return True
        size = _cost(query)
        if size > self._max:
            return False
        self._queries[sha256] = (query, self._clock() + self._ttl)
        self.bytes += size
        while self.bytes > self._max:
            self._drop(next(iter(self._queries)))
        return True

    def _drop(self, sha256: str) -> None:
        query, _ = self._queries.pop(sha256)
        self.bytes -= _cost(query)


def _cost(query: str) -> int:
    return sys.getsizeof(query) + _ENTRY_BYTES


# KEYS[1]: the document's key; KEYS[2]: the byte count of this time slice; KEYS[3..]: the
# earlier slices a document still alive may have been counted in. ARGV: the document, its
# TTL (ms), the budget, what it costs (bytes), how long a slice's count is kept (ms).
_PUT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
local used = 0
for i = 2, #KEYS do used = used + tonumber(redis.call('GET', KEYS[i]) or '0') end
if used + tonumber(ARGV[4]) > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('INCRBY', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""
# Slices of a TTL: the budget counts the last TTL and one slice more, so room comes back
# one slice after the documents that took it have expired.
_SLICES = 8
# What Redis holds for a key besides the key and value (its dictionary entry, the TTL).
_KEY_BYTES = 100


class RedisQueryStore:
    """`<namespace>:apq:<sha256>` holds the document, with a TTL (`ttl`, from its
    registration), so a Redis with `maxmemory-policy volatile-lru` may also evict it. The
    documents of all replicas stay within `max_bytes`: each registration adds its cost to
    the count of the current slice of time (`<namespace>:apq-bytes:<slice>`, an eighth of
    the TTL, kept a little over a TTL), and a registration is refused while the slices a
    live document can belong to already count the budget (one Lua script, so replicas
    agree). Documents outlive their slice only when persisted-only replicas use them
    (`touch`): those are the registry, not what a caller can add."""

    def __init__(
        self,
        client: Callable[[], Redis],
        *,
        namespace: str = "invoice-gateway",
        ttl: float = TTL_SECONDS,
        max_bytes: int = CACHE_BYTES,
        health: StoreHealth | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:apq:"
        self._budget_prefix = f"{namespace}:apq-bytes:"
        self._ttl_ms = max(1, int(ttl * 1000))
        self._slice = ttl / _SLICES
        self._max = max_bytes
        self._health = health or redis_health()
        self._clock = clock

    async def get(self, sha256: str, *, touch: bool = False) -> str | None:
        redis, name = self._client(), self._prefix + sha256
        if touch:
            raw = await self._health.run(
                lambda: redis.getex(name, px=self._ttl_ms), "reading a persisted query"
            )
        else:
            raw = await self._health.run(lambda: redis.get(name), "reading a persisted query")
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

    async def put(self, sha256: str, query: str) -> bool:
        redis, name = self._client(), self._prefix + sha256
        document = query.encode()
        now = math.floor(self._clock() / self._slice)
        slices = [f"{self._budget_prefix}{now - n}" for n in range(_SLICES + 1)]
        cost = len(document) + len(name) + _KEY_BYTES
        keep_count_ms = self._ttl_ms + 2 * max(1, int(self._slice * 1000))
        stored = await self._health.run(
            lambda: redis.eval(
                _PUT, len(slices) + 1, name, *slices,
                document, self._ttl_ms, self._max, cost, keep_count_ms,
            ),
            "storing a persisted query",
        )  # fmt: skip
        return bool(stored)


def parses(max_tokens: int | None = None) -> DocumentCheck:
    """The least a stored document must do: parse (graphql-core), within `max_tokens`."""

    def check(query: str) -> bool:
        try:
            parse(query, max_tokens=max_tokens)
        except GraphQLError:
            return False
        return True

    return check


def validates(schema: strawberry.Schema) -> DocumentCheck:
    """Whether a document passes what the view checks before running it
    (`document_problems`)."""
    problems = document_problems(schema)
    return lambda query: not problems(query)


def document_problems(schema: strawberry.Schema) -> Callable[[str], list[str]]:
    """What keeps a document from running, as messages (none: it may run): the parse with
    the schema's limits, then validation with graphql's rules and every rule the schema's
    extensions add (introspection off, ...). Through the schema's own document cache when
    it has one (`schema.documents`, gateway/schema/documents.py): the same parse, limits
    and validation as the view, whose run then finds the document already checked."""
    from strawberry.extensions import AddValidationRules, MaxTokensLimiter
    from strawberry.schema.schema import validate_document

    max_tokens: int | None = None
    rules: list[type[ASTValidationRule]] = list(specified_rules)
    for extension in schema.get_extensions():
        if isinstance(extension, MaxTokensLimiter):
            max_tokens = extension.max_token_count
        elif isinstance(extension, AddValidationRules):
            rules.extend(extension.validation_rules)
    ruleset = tuple(rules)  # as the view's run has them: graphql's, then the extensions'
    graphql_schema = schema._schema
    documents = getattr(schema, "documents", None)

    def check(query: str) -> list[str]:
        try:
            if documents is not None:
                errors = documents.check(documents.parse(query), graphql_schema, ruleset)
            else:
                document = parse(query, max_tokens=max_tokens)
                errors = validate_document(graphql_schema, document, ruleset)
        except GraphQLError as error:
            return [error.message]
        return [error.message for error in errors]

    return check


def requested_hash(data: dict[str, Any]) -> str | None:
    """The hash a request names, or None when it names none. A malformed
    `persistedQuery` is refused rather than ignored."""
    extensions = data.get("extensions")
    if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version", NOT_SUPPORTED)
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise PersistedQueryError(
            "persistedQuery.sha256Hash must be a SHA-256 in hexadecimal", HASH_MISMATCH
        )
    return sha.lower()


class PersistedQueries:
    def __init__(
        self,
        store: QueryStore,
        *,
        persisted_only: bool = False,
        max_bytes: int = MAX_BYTES,
        check: DocumentCheck | None = None,
        documents: PersistedDocuments | None = None,
    ) -> None:
        self.store = store
        self.persisted_only = persisted_only
        self.max_bytes = max_bytes
        self.check = check or parses()
        self.documents = documents

    async def resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        """The operation `data` with its `query` filled in from the manifests or the
        store, or a PersistedQueryError (StoreUnavailable when the store is needed and
        fails). Requests that name no document pass through unchanged (unless only
        persisted operations may run)."""
        if data.get("documentId") is not None:
            return {**data, "query": await self._named(data)}
        query = data.get("query")
        name = self._other_id(data) if query is None else None
        if name is not None:
            return {**data, "query": self._listed(name)}
        sha = requested_hash(data)
        if sha is None:
            if (
                self.persisted_only
                and isinstance(query, str)
                and await self._find(sha256_hex(query)) is None
            ):
                raise _only_persisted()
            return data
        if query is None:
            found = await self._find(sha)
            if found is None:
                if self.persisted_only:
                    raise _only_persisted()
                raise PersistedQueryError("PersistedQueryNotFound", NOT_FOUND)
            return {**data, "query": found}
        if not isinstance(query, str):
            return data  # the view refuses a `query` that is not a string
        if sha256_hex(query) != sha:
            raise PersistedQueryError("provided sha does not match query", HASH_MISMATCH)
        if self.documents is not None and sha in self.documents.by_sha256:
            return data  # a manifest's: nothing to register
        if self.persisted_only:
            if await self.store.get(sha, touch=True) is None:
                raise _only_persisted()
        else:
            await self._register(sha, query)
        return data

    async def document(self, data: dict[str, Any]) -> str | None:
        """The document a request would run, found as `resolve` finds it, but never
        registered nor refused: None when it names none the gateway has."""
        query = data.get("query")
        if isinstance(query, str):
            return query
        try:
            if data.get("documentId") is not None:
                return await self._named(data)
            name = self._other_id(data)
            if name is not None:
                return self._listed(name)
            sha = requested_hash(data)
        except PersistedQueryError:
            return None
        return None if sha is None else await self._find(sha)

    async def _find(self, sha256: str) -> str | None:
        """The document with this SHA-256: a manifest's, else the store's (whose TTL a
        use starts again in persisted-only mode)."""
        if self.documents is not None:
            found = self.documents.by_sha256.get(sha256)
            if found is not None:
                return found
        return await self.store.get(sha256, touch=self.persisted_only)

    async def _named(self, data: dict[str, Any]) -> str:
        """The document of a request's `documentId`: a manifest's, or (a SHA-256) one
        registered in the store."""
        document_id = data["documentId"]
        if not isinstance(document_id, str) or not document_id:
            raise PersistedQueryError("`documentId` must be a non-empty string", BAD_REQUEST, 400)
        extensions = data.get("extensions")
        if data.get("query") is not None or (
            isinstance(extensions, dict) and extensions.get("persistedQuery") is not None
        ):
            raise PersistedQueryError(
                "Send an operation's `documentId`, or its `query` or "
                "`extensions.persistedQuery`, not both",
                BAD_REQUEST,
                400,
            )
        claim = claimed_hash(document_id)
        if claim is not None and claim[0] == "sha256":
            found = await self._find(claim[1])  # a manifest's, else the store's
        else:
            found = self.documents.find(document_id) if self.documents is not None else None
        if found is None:
            raise PersistedQueryError(
                "No persisted document has this `documentId`: it must be an id of the "
                "gateway's manifests (GATEWAY_PERSISTED_DOCUMENTS) or the SHA-256 of a "
                "registered document",
                DOCUMENT_NOT_FOUND,
                400,
            )
        return found

    def _other_id(self, data: dict[str, Any]) -> str | None:
        """The id in `extensions.persistedQuery.sha256Hash` when it is not a bare SHA-256
        and manifests are loaded: Apollo Client sends a persisted query list's ids there, and
        a list's `createOperationId` may make them anything."""
        extensions = data.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if self.documents is None or not isinstance(persisted, dict):
            return None
        name = persisted.get("sha256Hash")
        # Only a bare SHA-256 is APQ's own hash; any other id, a SHA-1 or `sha256:<hex>`
        # one included, is a list's (found as a `documentId` would be).
        if persisted.get("version") != 1 or not isinstance(name, str) or _SHA256.fullmatch(name):
            return None
        return name

    def _listed(self, name: str) -> str:
        """The manifests' document with this id (not a bare SHA-256), else the refusal an
        unknown hash gets."""
        found = self.documents.find(name) if self.documents is not None else None
        if found is None:
            if self.persisted_only:
                raise _only_persisted()
            raise PersistedQueryError("PersistedQueryNotFound", NOT_FOUND)
        return found

    async def _register(self, sha: str, query: str) -> None:
        if len(query) > self.max_bytes or len(query.encode()) > self.max_bytes:
            raise PersistedQueryError(
                f"A persisted document may be at most {self.max_bytes} bytes: send this "
                "one without extensions.persistedQuery",
                TOO_LARGE,
            )
        if not self.check(query):
            return  # it runs unstored, and the view answers what is wrong with it
        with contextlib.suppress(StoreUnavailable):  # it runs unstored; the health logs it
            await self.store.put(sha, query)


def _only_persisted() -> PersistedQueryError:
    return PersistedQueryError(
        "Only persisted operations may run here: this operation is not registered",
        ONLY_PERSISTED,
    )
