"""Where the gateway keeps state that several replicas must share: Idempotency-Key
answers, persisted queries, rate-limit counters and the per-invoice write locks.

Without `GATEWAY_REDIS_URL` each lives in this process (`MemoryStore`,
`MemoryQueryStore`, `MemoryRateLimiter`, `MemoryLocks`): right for one process, wrong for
several (each replica would replay, register and count on its own). With it, all four
live in Redis under the `invoice-gateway:` namespace, every key with a TTL, through one
client per app that the lifespan opens and closes (`RedisConnection`), and one
`StoreHealth` that knows for all of them whether Redis answers (gateway/store/health.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.responses import JSONResponse

from gateway.http.apq import MemoryQueryStore, QueryStore, RedisQueryStore
from gateway.http.errors import error_response
from gateway.http.idempotency import IdempotencyStore, MemoryStore, RedisStore
from gateway.http.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from gateway.settings import Settings
from gateway.store.health import CODE, StoreHealth, StoreUnavailable, redis_health
from gateway.store.locks import InvoiceLocks, MemoryLocks, RedisLocks

NAMESPACE = "invoice-gateway"


class RedisConnection:
    """One Redis client for the app: made in the lifespan (`open`), closed there
    (`close`); the stores reach it through `client`, so they can be built before."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Redis | None = None
        self.health: StoreHealth = redis_health()

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the Redis connection is used outside the app's lifespan")
        return self._client

    async def open(self) -> None:
        self._client = Redis.from_url(self._url, socket_timeout=5, socket_connect_timeout=2)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ping(self) -> None:
        await self.client.ping()


@dataclass(frozen=True)
class Stores:
    idempotency: IdempotencyStore
    queries: QueryStore
    rate_limiter: RateLimiter
    redis: RedisConnection | None
    locks: InvoiceLocks


def stores_for(settings: Settings) -> Stores:
    """In this process, or in Redis when `settings.redis_url` is set."""
    per_minute = settings.rate_limit_per_minute
    limits = settings.limits
    if settings.redis_url is None:
        return Stores(
            idempotency=MemoryStore(),
            queries=MemoryQueryStore(limits.apq_cache_bytes, limits.apq_ttl_seconds),
            rate_limiter=MemoryRateLimiter(per_minute),
            redis=None,
            locks=MemoryLocks(),
        )
    redis = RedisConnection(settings.redis_url)
    health = redis.health
    return Stores(
        idempotency=RedisStore(lambda: redis.client, namespace=NAMESPACE, health=health),
        queries=RedisQueryStore(
            lambda: redis.client,
            namespace=NAMESPACE,
            ttl=limits.apq_ttl_seconds,
            max_bytes=limits.apq_cache_bytes,
            health=health,
        ),
        rate_limiter=RedisRateLimiter(
            lambda: redis.client, per_minute, namespace=NAMESPACE, health=health
        ),
        redis=redis,
        locks=RedisLocks(lambda: redis.client, namespace=NAMESPACE, health=health),
    )


def unavailable_response(exc: StoreUnavailable) -> JSONResponse:
    """A request that needed the store while it was down is answered 503
    STORE_UNAVAILABLE with `Retry-After` (never a 500), when nothing was sent yet (the
    door, gateway/http/edge.py)."""
    return error_response(
        503,
        f"{exc.store}, where the gateway keeps shared state, is not answering: "
        "retry after the number of seconds in the Retry-After header",
        CODE,
        headers={"Retry-After": str(exc.retry_after)},
    )
