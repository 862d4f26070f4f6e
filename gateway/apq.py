"""Automatic persisted queries, as Apollo clients speak them.

A request carries `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}`:
- with no `query`: the stored document for the hash runs; unknown, the answer is the
  GraphQL error `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND, HTTP 200), and
  the client sends the request again with the query;
- with a `query`: its SHA-256 must be the hash (else PROVIDED_SHA_DOESNT_MATCH); it is
  stored and runs.

With `persisted_only` (GATEWAY_PERSISTED_QUERIES_ONLY) the store is read-only: an
operation runs only when its hash is already registered, whether the request sends the
hash, the query, or both; anything else is PERSISTED_QUERY_ONLY. Operations are
registered by a gateway running with the option off against the same store (Redis):
a staging replica, or a deploy step that sends each operation once (README, "Running
several replicas").
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from redis.asyncio import Redis

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH = "PROVIDED_SHA_DOESNT_MATCH"
ONLY_PERSISTED = "PERSISTED_QUERY_ONLY"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class QueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...


class MemoryQueryStore:
    """The most recently used `max_entries` documents of this process."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._queries: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        query = self._queries.get(sha256)
        if query is not None:
            self._queries.move_to_end(sha256)
        return query

    async def put(self, sha256: str, query: str) -> None:
        self._queries[sha256] = query
        self._queries.move_to_end(sha256)
        while len(self._queries) > self._max:
            self._queries.popitem(last=False)


class RedisQueryStore:
    """`<namespace>:apq:<sha256>` holds the document, with no expiry: it doubles as the
    registry that persisted-only mode reads."""

    def __init__(self, client: Callable[[], Redis], *, namespace: str = "invoice-gateway"):
        self._client = client
        self._prefix = f"{namespace}:apq:"

    async def get(self, sha256: str) -> str | None:
        raw = await self._client().get(self._prefix + sha256)
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

    async def put(self, sha256: str, query: str) -> None:
        await self._client().set(self._prefix + sha256, query.encode())


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


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
    if not isinstance(sha, str) or not sha:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a string", HASH_MISMATCH)
    return sha.lower()


class PersistedQueries:
    def __init__(self, store: QueryStore, *, persisted_only: bool = False) -> None:
        self.store = store
        self.persisted_only = persisted_only

    async def resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        """The operation `data` with its `query` filled in from the store, or a
        PersistedQueryError. Requests without the extension pass through unchanged
        (unless only persisted operations may run)."""
        sha = requested_hash(data)
        query = data.get("query")
        if sha is None:
            if (
                self.persisted_only
                and isinstance(query, str)
                and await self.store.get(sha256_hex(query)) is None
            ):
                raise _only_persisted()
            return data
        if query is None:
            stored = await self.store.get(sha)
            if stored is None:
                if self.persisted_only:
                    raise _only_persisted()
                raise PersistedQueryError("PersistedQueryNotFound", NOT_FOUND)
            return {**data, "query": stored}
        if not isinstance(query, str):
            return data  # the view refuses a `query` that is not a string
        if sha256_hex(query) != sha:
            raise PersistedQueryError("provided sha does not match query", HASH_MISMATCH)
        if self.persisted_only:
            if await self.store.get(sha) is None:
                raise _only_persisted()
        else:
            await self.store.put(sha, query)
        return data


def _only_persisted() -> PersistedQueryError:
    return PersistedQueryError(
        "Only persisted operations may run here: this operation is not registered",
        ONLY_PERSISTED,
    )
