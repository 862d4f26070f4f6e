"""Where the gateway keeps state that several replicas must share: Idempotency-Key
answers, persisted queries, rate-limit counters and the per-invoice write locks.

Without `GATEWAY_REDIS_URL` each lives in this process (`MemoryStore`,
`MemoryQueryStore`, `MemoryRateLimiter`): right for one process, wrong for several (each
replica would replay, register and count on its own). With it, all three live in Redis
under the `invoice-gateway:` namespace, through one client per app that the lifespan
opens and closes (`RedisConnection`).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.apq import MemoryQueryStore, QueryStore, RedisQueryStore
from gateway.idempotency import IdempotencyStore, MemoryStore, RedisStore
from gateway.locks import InvoiceLocks, MemoryLocks, RedisLocks
from gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from gateway.settings import Settings

NAMESPACE = "invoice-gateway"


class RedisConnection:
    """One Redis client for the app: made in the lifespan (`open`), closed there
    (`close`); the stores reach it through `client`, so they can be built before."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Redis | None = None

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
    if settings.redis_url is None:
        return Stores(
            MemoryStore(), MemoryQueryStore(), MemoryRateLimiter(per_minute), None, MemoryLocks()
        )
    redis = RedisConnection(settings.redis_url)
    return Stores(
        idempotency=RedisStore(lambda: redis.client, namespace=NAMESPACE),
        queries=RedisQueryStore(lambda: redis.client, namespace=NAMESPACE),
        rate_limiter=RedisRateLimiter(lambda: redis.client, per_minute, namespace=NAMESPACE),
        redis=redis,
        locks=RedisLocks(lambda: redis.client, namespace=NAMESPACE),
    )
