"""One writer per invoice through the gateway: updates of the same invoice run one after
another, in this process and, with Redis, across every replica.

Neither vendor has a conditional write, and Kantata's billable lists are replaced whole:
two `addBillables` that read the invoice at the same moment would each write back the
list they read plus their own record, and one addition would be lost. Holding the
invoice's lock from the read to the end of the write makes the second writer read what
the first wrote. Writers outside the gateway still race (docs/vendors.md, "Nothing lost").

- `MemoryLocks`: an `asyncio.Lock` per invoice key, dropped when nobody holds or waits
  for it (memory stays bounded by the updates in flight).
- `RedisLocks`: `SET NX PX` of a random token (the TTL frees the lock of a replica that
  died holding it), polled while another holds it, released only by its own token (one
  Lua script). The process's own lock is taken first, so a replica's writers queue in
  memory and only one of them polls Redis. If Redis fails, the process lock alone
  serialises this replica's writers; the outage is logged once, when it starts, and once
  when it ends (gateway/store/health.py), not per lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Protocol

from gateway.core.errors import ErrorCode, GatewayError
from gateway.store.health import StoreHealth, StoreUnavailable, redis_health

if TYPE_CHECKING:  # redis is loaded by the stores that use it (it probes for OpenTelemetry)
    from redis.asyncio import Redis


def busy(wait: float) -> GatewayError:
    return GatewayError.one(
        ErrorCode.CONFLICT,
        f"another update of this invoice has been running through the gateway for over "
        f"{wait:g} s; try again",
    )


class InvoiceLocks(Protocol):
    def hold(
        self, key: str, *, wait: float, ttl: float
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Held for the block; waits at most `wait` seconds (then CONFLICT). `ttl` bounds
        how long a lock shared across replicas outlives a holder that died."""
        ...


class MemoryLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str, *, wait: float, ttl: float) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            try:
                async with asyncio.timeout(wait):
                    await lock.acquire()
            except TimeoutError:
                raise busy(wait) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLocks:
    def __init__(
        self,
        client: Callable[[], Redis],
        *,
        namespace: str = "invoice-gateway",
        poll_interval: float = 0.02,
        poll_max: float = 0.2,
        health: StoreHealth | None = None,
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:lock:"
        self._poll = poll_interval
        self._poll_max = poll_max
        self._health = health or redis_health()
        self._local = MemoryLocks()

    @contextlib.asynccontextmanager
    async def hold(self, key: str, *, wait: float, ttl: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        async with self._local.hold(key, wait=wait, ttl=ttl):
            token = await self._acquire(key, deadline, wait, ttl)
            try:
                yield
            finally:
                if token is not None:
                    await self._release(key, token)

    async def _acquire(self, key: str, deadline: float, wait: float, ttl: float) -> str | None:
        """This replica's token once the shared lock is ours; None when Redis failed."""
        loop = asyncio.get_running_loop()
        redis, name = self._client(), self._prefix + key
        token = uuid.uuid4().hex
        delay = self._poll
        try:
            while not await self._health.run(
                lambda: redis.set(name, token, nx=True, px=max(1, int(ttl * 1000))),
                "locking an invoice",
            ):
                if loop.time() + delay > deadline:
                    raise busy(wait)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._poll_max)
        except StoreUnavailable:
            return None  # this replica's own lock alone serialises its writers
        return token

    async def _release(self, key: str, token: str) -> None:
        redis, name = self._client(), self._prefix + key
        with contextlib.suppress(StoreUnavailable):  # the TTL frees it
            await self._health.run(
                lambda: redis.eval(_RELEASE, 1, name, token),
                "unlocking an invoice",
            )
