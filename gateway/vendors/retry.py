"""When a failed vendor call is worth sending again, how long to wait first, and a count of
the retries made. Pure functions; `Upstream` (http.py) runs the loop.

What is retried, and why only that:

- Only idempotent methods (GET, and the vendors' PUTs, which replace what they name):
  sending them twice leaves the vendor as sending them once. Never POST or DELETE.
- Refused, reset or cut connections and connect timeouts: the vendor never answered.
- 502, 503, 504: a proxy or load balancer in front of the vendor's application says the
  application did not take or did not finish the request; 503 also means "try later".
- 429: the vendor refused before doing anything; `Retry-After` says when to come back.
  A `Retry-After` (on 429, or on 502/503/504) is waited only when it is within
  `Resilience.retry_after_cap` and the call's deadline; a longer one is not waited at all:
  the caller is answered at once (RATE_LIMITED for a 429) with the seconds asked for, and
  decides.
- Never 500: it is the vendor's application failing *while handling* the request. It may
  have applied part of a write before failing (Kitchen replacing the items, then failing
  on the discounts), and the same input usually hits the same bug again, so a retry
  doubles the load and rarely the chances. The caller decides.
- Never another 4xx (our request is wrong, or not allowed; it will be again), nor a 200
  whose body we cannot read (the vendor did the work; asking again will not fix it).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Transport failures where the vendor did not answer; a read timeout is not among them (by
# then the call's deadline is spent, see Upstream.request).
RETRY_ERRORS: tuple[type[Exception], ...] = (
    httpx.NetworkError,  # ConnectError (refused), ReadError / WriteError (reset), CloseError
    httpx.RemoteProtocolError,  # the server closed the connection without an answer
    httpx.ConnectTimeout,
)


def status_reason(status: int) -> str | None:
    """The retry reason for an HTTP status, or None when that status is final."""
    return f"http_{status}" if status in RETRY_STATUSES else None


def error_reason(exc: BaseException) -> str | None:
    """The retry reason for a transport failure (`connect_error`, `read_error`, ...), or None
    when it is final."""
    if not isinstance(exc, RETRY_ERRORS):
        return None
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def backoff_delay(retry: int, base: float, cap: float, rand: float) -> float:
    """Seconds before retry number `retry` (1 for the first): `base` doubling per retry up
    to `cap`, with equal jitter (half fixed, half random, `rand` in [0, 1)): callers that
    failed together do not come back together, and no retry comes back at once."""
    exponent = min(retry - 1, 60)  # 2**60 seconds is already past any cap
    ceiling = min(cap, base * 2.0**exponent)
    return ceiling / 2 + ceiling / 2 * rand


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """A `Retry-After` header in seconds from `now` (an aware datetime): delta-seconds or an
    HTTP date (RFC 9110 section 10.2.3). None when absent or unreadable; a date in the past
    is 0."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC too
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class RetryWatch(Protocol):
    """Told each retry and short circuit as it happens (the app's metrics)."""

    def retried(self, vendor: str, reason: str) -> None: ...

    def short_circuited(self, vendor: str) -> None: ...


@dataclass
class RetryStats:
    """In-process counters, owned by the app (`app.state.retry_stats`) and shared by every
    request, each count also told to `watch`. Keys are vendor names (`kantata`, `kitchen`)
    and reasons (`http_503`, `connect_error`, ...)."""

    retries: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Calls answered UPSTREAM_UNAVAILABLE by an open circuit breaker, without a vendor call.
    short_circuits: Counter[str] = field(default_factory=Counter)
    watch: RetryWatch | None = None

    def retried(self, vendor: str, reason: str) -> None:
        self.retries[(vendor, reason)] += 1
        if self.watch is not None:
            self.watch.retried(vendor, reason)

    def short_circuited(self, vendor: str) -> None:
        self.short_circuits[vendor] += 1
        if self.watch is not None:
            self.watch.short_circuited(vendor)

    def retries_for(self, vendor: str) -> dict[str, int]:
        """Reason -> count for one vendor."""
        return {reason: n for (name, reason), n in self.retries.items() if name == vendor}
