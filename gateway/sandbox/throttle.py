"""The emulators' rate limit: the control switch `rate_limit_per_second` (a number >= 0,
default 0: off) lets each token send that many requests a second, in bursts of up to one
second's worth (a token bucket: capacity max(1, rate), refilled at the rate). A request
over it is answered 429 the way the vendor does (each emulator builds its own answer), is
recorded with `faulted: true`, and has no effect.

Tokens are known by a digest of the request's `Authorization` header (none: one shared
bucket); the buckets kept are bounded, the least recently used forgotten first.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.responses import Response

SWITCH = "rate_limit_per_second"
MAX_RATE = 1_000_000.0

# An emulator's 429, given the seconds until the token may send again.
Refusal = Callable[[float], Response]


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic, capacity: int = 4096) -> None:
        self._clock = clock
        self._capacity = capacity
        # digest -> (tokens left, when last refilled)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def clear(self) -> None:
        self._buckets.clear()

    def wait(self, authorization: str, rate: float) -> float | None:
        """None when a request with this `Authorization` may go through now (it takes a
        token), else the seconds until it may."""
        if rate <= 0:
            return None
        key = hashlib.sha256(authorization.encode("utf-8", "replace")).hexdigest()
        burst = max(1.0, rate)
        now = self._clock()
        tokens, then = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - then) * rate)
        self._buckets[key] = (tokens - 1 if tokens >= 1 else tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self._capacity:
            self._buckets.popitem(last=False)
        return None if tokens >= 1 else (1 - tokens) / rate
