"""Circuit breakers: one per vendor host, shared by every request for the app's lifetime.

After `breaker_failures` failed calls in a row the breaker opens: calls to that host are
answered UPSTREAM_UNAVAILABLE at once, without a request, for `breaker_cooldown` seconds.
Then it is half-open: the next call goes through as the probe (alone: other calls still
fail fast while it is in flight). A probe that succeeds closes the breaker; one that fails
opens it for another cool-down.

What counts (the outcome of one call, after its retries):

- failure: a 5xx, a refused, reset or cut connection, a timeout. The host is not working.
- success: any HTTP answer below 500, 4xx included (the host works; the request was wrong
  or not allowed), and a 200 whose body we cannot read.
- 429 is a success for the breaker. A rate limit is per credential (Kantata limits each
  user's token) while the breaker is shared by every caller of the host: one caller
  exhausting its quota must not cut everyone else off, and the host is plainly up. The
  retries honour `Retry-After` instead, and the caller sees RATE_LIMITED, not UNAVAILABLE.
- neither: the caller went away (cancelled) before an answer, or the call never left
  (a URL we could not build). A probe that ends so frees the slot for the next caller.

A call counts once, however many attempts its retries made: the breaker measures what
callers experience, and one caller's three attempts must not trip it for everyone.

Each change of state is told to a `BreakerWatch` (the app's metrics), with whether the
host is the configured one or one a caller named: never the host itself, which a caller
chooses (a Kitchen workspace). The state told is the one recorded: an open breaker whose
cool-down is over stays `open` there until the next call is let through as the probe.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Protocol
from urllib.parse import urlsplit

from gateway.vendors.resilience import Resilience

log = logging.getLogger("gateway.upstream")

Clock = Callable[[], float]

# Whose host a breaker guards: the one the configuration names, or one a caller named.
CONFIGURED, CALLER = "configured", "caller"


class BreakerWatch(Protocol):
    def breaker_moved(self, vendor: str, host: str, before: str | None, after: str | None) -> None:
        """A breaker of `vendor` at a `host` (CONFIGURED or CALLER) went from state
        `before` to `after`; None is not kept (made, or forgotten)."""
        ...


def _unwatched(before: State, after: State) -> None:
    pass


class State(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Outcome(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"


class Ticket(enum.Enum):
    """What `CircuitBreaker.admit` let through: an ordinary call, or the one probe."""

    CALL = "call"
    PROBE = "probe"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        failures: int,
        cooldown: float,
        clock: Clock,
        on_change: Callable[[State, State], None] = _unwatched,
    ) -> None:
        self.name = name
        self._on_change = on_change
        self._threshold = max(1, failures)
        self._cooldown = cooldown
        self._clock = clock
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> State:
        """The state as a caller arriving now would find it."""
        if self._state is State.OPEN and self.retry_in() == 0:
            return State.HALF_OPEN
        return self._state

    @property
    def idle(self) -> bool:
        """Closed with nothing counted: forgetting it loses nothing."""
        return self._state is State.CLOSED and self._failures == 0

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self._state is not State.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown - self._clock())

    def admit(self) -> Ticket | None:
        """Permission for one call, or None: fail fast without calling."""
        if self._state is State.OPEN:
            if self.retry_in() > 0:
                return None
            self._change(State.HALF_OPEN, "cool-down over; letting one probe through")
        if self._state is State.HALF_OPEN:
            if self._probing:
                return None
            self._probing = True
            return Ticket.PROBE
        return Ticket.CALL

    def allows_retry(self, ticket: Ticket) -> bool:
        """Whether a call may make another attempt: a probe is one request, and no call
        retries once other calls have opened the breaker."""
        return ticket is Ticket.CALL and self._state is State.CLOSED

    def record(self, ticket: Ticket, outcome: Outcome) -> None:
        """The outcome of a call that `admit` let through (every one must be recorded)."""
        if ticket is Ticket.PROBE:
            self._probing = False
            if self._state is not State.HALF_OPEN or outcome is Outcome.NEUTRAL:
                return
            if outcome is Outcome.SUCCESS:
                self._failures = 0
                self._change(State.CLOSED, "the probe succeeded")
            else:
                self._open("the probe failed")
            return
        if self._state is not State.CLOSED:
            return  # a call admitted before the breaker opened: the probe decides now
        if outcome is Outcome.SUCCESS:
            self._failures = 0
        elif outcome is Outcome.FAILURE:
            self._failures += 1
            if self._failures >= self._threshold:
                self._open(f"{self._failures} failed calls in a row")

    def _open(self, why: str) -> None:
        self._opened_at = self._clock()
        self._change(State.OPEN, f"{why}; failing fast for {self._cooldown:g} s")

    @property
    def recorded(self) -> State:
        """The state as last changed (`state` also tells a cool-down that is over)."""
        return self._state

    def _change(self, state: State, why: str) -> None:
        before, self._state = self._state, state
        self._on_change(before, state)
        level = logging.WARNING if state is State.OPEN else logging.INFO
        log.log(
            level,
            "circuit breaker for %s is %s: %s",
            self.name,
            state.value,
            why,
            extra={"breaker": self.name, "state": state.value},
        )


def origin(url: str) -> str:
    """scheme://host:port of a base URL (never its user info, path or query)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class Breakers:
    """The app's breakers, one per (vendor, host), made on first use.

    Kitchen has a host per workspace, and a caller may name any workspace, so the number
    kept is bounded: past `capacity`, breakers with nothing to remember go first, then the
    least recently used. Each breaker made, changed or forgotten is told to `watch`.
    """

    def __init__(
        self,
        resilience: Resilience,
        clock: Clock = time.monotonic,
        capacity: int = 1024,
        watch: BreakerWatch | None = None,
    ) -> None:
        self._resilience = resilience
        self._clock = clock
        self._capacity = capacity
        self._watch = watch
        self._breakers: OrderedDict[tuple[str, str], tuple[CircuitBreaker, str]] = OrderedDict()

    def for_host(
        self, vendor: str, base_url: str, configured_url: str | None = None
    ) -> CircuitBreaker:
        """The breaker of `vendor` at `base_url`'s host; `configured_url` is the base URL
        the configuration alone gives (None: it names none), to tell a caller's host."""
        key = (vendor, origin(base_url))
        kept = self._breakers.get(key)
        if kept is None:
            configured = configured_url is not None and origin(configured_url) == key[1]
            host = CONFIGURED if configured else CALLER
            breaker = CircuitBreaker(
                f"{vendor} at {key[1]}",
                self._resilience.breaker_failures,
                self._resilience.breaker_cooldown,
                self._clock,
                self._on_change(vendor, host),
            )
            self._tell(vendor, host, None, breaker.recorded)
            self._breakers[key] = kept = (breaker, host)
            self._evict()
        self._breakers.move_to_end(key)
        return kept[0]

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter([breaker for breaker, _ in self._breakers.values()])

    def _on_change(self, vendor: str, host: str) -> Callable[[State, State], None]:
        def changed(before: State, after: State) -> None:
            self._tell(vendor, host, before, after)

        return changed

    def _tell(self, vendor: str, host: str, before: State | None, after: State | None) -> None:
        if self._watch is not None:
            self._watch.breaker_moved(vendor, host, before and before.value, after and after.value)

    def _evict(self) -> None:
        excess = len(self._breakers) - self._capacity
        if excess <= 0:
            return
        idle = [key for key, (breaker, _) in self._breakers.items() if breaker.idle][:excess]
        for key in idle:
            self._forget(key)
        while len(self._breakers) > self._capacity:
            self._forget(next(iter(self._breakers)))

    def _forget(self, key: tuple[str, str]) -> None:
        breaker, host = self._breakers.pop(key)
        self._tell(key[0], host, breaker.recorded, None)
