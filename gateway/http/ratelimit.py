"""Requests per minute per caller on /graphql (`GATEWAY_RATE_LIMIT`; 0 turns it off).

The caller is its API key (hashed) when keys are configured, else the client's IP address
(as uvicorn reports it: behind a proxy, list the proxy's address in
`GATEWAY_TRUSTED_PROXIES` so it is the real client's, from `X-Forwarded-For`; nobody
else's `X-Forwarded-For` is believed). Only requests that run GraphQL count (a POST, or a GET with a
`query`, `extensions` or `documentId`); the GraphiQL page and CORS preflights do not.

The window slides: GCRA (the generic cell rate algorithm, a token bucket holding N). A
caller may spend a whole minute's allowance at once; after that one request comes back
every 60/N seconds, so the steady rate is N a minute and there is no window edge where
the count starts again from zero (over any T seconds at most N + N*T/60 pass). State is
one number per caller (the "theoretical arrival time"), kept in this process or in Redis
(one atomic script, so the limit holds across replicas). Over the limit: 429 with
`Retry-After` (whole seconds until one request is allowed again) and
`{"errors": [{"message", "extensions": {"code": "RATE_LIMITED"}}]}`. If Redis fails,
requests pass: the outage is logged once, when it starts (gateway/store/health.py).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http.errors import error_response
from gateway.ops.refusals import UNCOUNTED, Refusal, RefusalCounter
from gateway.store.health import StoreHealth, StoreUnavailable, redis_health

PERIOD = 60.0


class RateLimiter(Protocol):
    async def hit(self, caller: str) -> float:
        """Count one request of `caller`: 0 when allowed, else seconds until one is."""
        ...


class MemoryRateLimiter:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self._interval = PERIOD / per_minute if per_minute else 0.0
        self._clock = clock
        self._max = max_callers
        self._tat: dict[str, float] = {}

    async def hit(self, caller: str) -> float:
        now = self._clock()
        if len(self._tat) >= self._max:  # forget callers whose allowance is full again
            self._tat = {k: t for k, t in self._tat.items() if t > now}
        tat = max(self._tat.get(caller, now), now) + self._interval
        wait = tat - PERIOD - now
        if wait > 0:
            return wait
        self._tat[caller] = tat
        return 0.0


# KEYS[1]: the caller's key; ARGV: now, interval, period (seconds, as text).
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
tat = tat + interval
local wait = tat - period - now
if wait > 0 then return tostring(wait) end
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
return '0'
"""


class RedisRateLimiter:
    """The same algorithm in one Lua script under `<namespace>:rate:<caller>`. The clock is
    the replica's wall clock (replicas are expected to keep NTP time)."""

    def __init__(
        self,
        client: Callable[[], Redis],
        per_minute: int,
        *,
        namespace: str = "invoice-gateway",
        clock: Callable[[], float] = time.time,
        health: StoreHealth | None = None,
    ) -> None:
        self._client = client
        self._interval = PERIOD / per_minute if per_minute else 0.0
        self._prefix = f"{namespace}:rate:"
        self._clock = clock
        self._health = health or redis_health()

    async def hit(self, caller: str) -> float:
        redis, name, now = self._client(), self._prefix + caller, repr(self._clock())
        wait = await self._health.run(
            lambda: redis.eval(_GCRA, 1, name, now, repr(self._interval), PERIOD),
            "counting a request for the rate limit",
        )
        return float(wait)


def caller_of(scope: Scope, by_api_key: bool) -> str:
    """Who is counted: a hash of the presented API key (never the key itself), or the IP."""
    if by_api_key:
        presented = Headers(scope=scope).get("authorization", "").partition(" ")[2].strip()
        return "key:" + hashlib.sha256(presented.encode("latin-1")).hexdigest()
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    """In the guard chain right after the API key check, so only known callers (or, with
    no keys, every client) are counted. If the shared store fails, requests pass (its
    health logs the outage once): the limit protects the vendors, it must not take the
    gateway down with Redis."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        *,
        by_api_key: bool,
        runs_graphql: Callable[[Scope], bool],
        refusals: RefusalCounter = UNCOUNTED,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.by_api_key = by_api_key
        self.runs_graphql = runs_graphql
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.runs_graphql(scope):
            await self.app(scope, receive, send)
            return
        try:
            wait = await self.limiter.hit(caller_of(scope, self.by_api_key))
        except StoreUnavailable:
            wait = 0.0
        if wait > 0:
            self.refusals.refused(Refusal.RATE_LIMITED)
            response = error_response(
                429,
                "Too many requests: slow down and retry after the number of seconds in "
                "the Retry-After header",
                "RATE_LIMITED",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
