"""Whether the shared store (Redis) answers, known in one place for every store of the
process: idempotency, persisted queries, rate limits and invoice locks.

- Every Redis call goes through `StoreHealth.run`. A failure (the connection refused or
  reset, a timeout, an error answer) becomes `StoreUnavailable`; what each store does with
  it is its own rule: a request that needs the store is answered 503 STORE_UNAVAILABLE
  with `Retry-After` (gateway/http/stores.py), the rate limit lets the request pass,
  an invoice lock falls back to this process's own.
- One log line when the store stops answering and one when it answers again, never a line
  (or a traceback) per request.
- While it is down, one call per `probe_interval` tries it again and every other call
  fails at once: a store that hangs holds one request for its timeout, not all of them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("gateway")

T = TypeVar("T")

CODE = "STORE_UNAVAILABLE"
# What a Redis outage means for callers, said once when it starts (docs/operations.md,
# "When Redis fails").
REDIS_DOWN = (
    "requests with an Idempotency-Key or a persisted-query hash answer 503 "
    "STORE_UNAVAILABLE, rate limits are not applied, and invoice locks hold per replica, "
    "until it answers again"
)


class StoreUnavailable(Exception):
    """The shared store did not answer; try again after `retry_after` seconds."""

    def __init__(self, store: str, retry_after: int) -> None:
        super().__init__(f"{store} is unavailable")
        self.store = store
        self.retry_after = retry_after


class StoreHealth:
    def __init__(
        self,
        name: str = "Redis",
        *,
        errors: tuple[type[BaseException], ...] = (OSError,),
        consequences: str = REDIS_DOWN,
        probe_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._errors = errors
        self._consequences = consequences
        self._probe_interval = probe_interval
        self._clock = clock
        self._down_since: float | None = None
        self._next_probe = 0.0

    @property
    def available(self) -> bool:
        return self._down_since is None

    def retry_after(self) -> int:
        """Whole seconds until the store is tried again (at least 1)."""
        return max(1, math.ceil(self._next_probe - self._clock()))

    async def run(self, call: Callable[[], Awaitable[T]], doing: str) -> T:
        """`call()`'s result, or StoreUnavailable. `doing` names the call in the log line
        ("reading a persisted query")."""
        if self._down_since is not None:
            now = self._clock()
            if now < self._next_probe:
                raise StoreUnavailable(self.name, self.retry_after())
            self._next_probe = now + self._probe_interval  # this call is the probe
        try:
            result = await call()
        except self._errors as exc:
            self._failed(exc, doing)
            raise StoreUnavailable(self.name, self.retry_after()) from None
        self._answered()
        return result

    def _failed(self, exc: BaseException, doing: str) -> None:
        now = self._clock()
        self._next_probe = now + self._probe_interval
        if self._down_since is None:
            self._down_since = now
            # The type only: a message may name the host, and the URL may hold a password.
            log.error(
                "%s unavailable (%s while %s): %s",
                self.name,
                type(exc).__name__,
                doing,
                self._consequences,
            )

    def _answered(self) -> None:
        if self._down_since is not None:
            down = self._clock() - self._down_since
            self._down_since = None
            log.warning("%s available again after %.1f s", self.name, down)


def redis_health(
    probe_interval: float = 1.0, clock: Callable[[], float] = time.monotonic
) -> StoreHealth:
    """Health for a Redis client: redis-py's errors and socket errors count as failures."""
    from redis.exceptions import RedisError

    return StoreHealth(
        "Redis", errors=(RedisError, OSError), probe_interval=probe_interval, clock=clock
    )
