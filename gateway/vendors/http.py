"""HTTP plumbing shared by every vendor: one place that calls vendors (with the call's
deadline, retries and circuit breaker), turns transport failures and status codes into
neutral errors, and bodies into JSON with exact decimals."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, TypeVar

import httpx

from gateway.domain import RequestPreview, VendorRequest
from gateway.errors import ErrorCode, GatewayError, Problem
from gateway.request_id import current_request_id
from gateway.settings import Resilience
from gateway.vendors.breaker import CircuitBreaker, Outcome, Ticket
from gateway.vendors.retry import (
    IDEMPOTENT_METHODS,
    RetryStats,
    backoff_delay,
    error_reason,
    parse_retry_after,
    status_reason,
)

T = TypeVar("T")

log = logging.getLogger("gateway.upstream")

# A vendor's reading of an error body: (message, vendor field name or None) pairs.
ErrorReader = Callable[[Any], Sequence[tuple[str, str | None]]]


@dataclass(frozen=True)
class VendorFailure:
    """What a vendor said when it refused, before neutral field mapping."""

    status: int
    messages: Sequence[tuple[str, str | None]]


def decode_json(content: bytes) -> Any:
    """JSON with every non-integer number as an exact Decimal (never a float)."""
    return json.loads(content, parse_float=Decimal)


_STATUS_CODES = {
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    429: ErrorCode.RATE_LIMITED,
}


class CallObserver(Protocol):
    """Watches each request sent (`gateway.metrics.Observer`): may add headers (trace
    context); the status (`"200"`, `"timeout"`, `"unreachable"`) goes in the yielded list."""

    def upstream(
        self, vendor: str, method: str, path: str, headers: MutableMapping[str, str]
    ) -> AbstractContextManager[list[str]]: ...


@contextmanager
def _unobserved(
    vendor: str, method: str, path: str, headers: MutableMapping[str, str]
) -> Iterator[list[str]]:
    yield [""]


class _Attempt(NamedTuple):
    """One request's result: an answer or the error the caller would see, what it says
    about the host, and why it may be retried (None: it is final)."""

    response: httpx.Response | None
    error: GatewayError | None
    outcome: Outcome
    retry_reason: str | None


class Upstream:
    """Sends requests to one vendor and answers parsed JSON or raises GatewayError.

    Each call has one deadline (`deadline` seconds) covering every attempt and every wait
    between them; idempotent calls are retried as `retry.py` describes, with the backoff
    and limits of `resilience`; `breaker` (the app's, for this vendor host) fails calls
    fast while the host is down. Retries are logged on "gateway.upstream" and counted in
    `stats`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        vendor_label: str,
        base_url: str,
        headers: dict[str, str],
        read_errors: ErrorReader,
        map_field: Callable[[str], tuple[str, ...] | None] = lambda _: None,
        deadline: float = 30.0,
        resilience: Resilience | None = None,
        breaker: CircuitBreaker | None = None,
        stats: RetryStats | None = None,
        vendor_key: str | None = None,
        rand: Callable[[], float] = random.random,
        observer: CallObserver | None = None,
    ) -> None:
        self._client = client
        self._deadline = deadline
        self._label = vendor_label
        self._vendor = vendor_key or vendor_label.lower()
        self._base_url = base_url.rstrip("/")
        self._headers = headers
        self._read_errors = read_errors
        self._map_field = map_field
        self._resilience = resilience or Resilience()
        self._breaker = breaker
        self._stats = stats
        self._rand = rand
        self._observe = observer.upstream if observer is not None else _unobserved

    def url(self, path: str) -> str:
        return f"{self._base_url}{path}"

    def preview(self, request: VendorRequest) -> RequestPreview:
        """The request as `send` would put it on the wire, with the credential redacted."""
        headers = dict(self._headers)
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        shown = tuple(
            (name, "Bearer [redacted]" if name.lower() == "authorization" else value)
            for name, value in headers.items()
        )
        body = None if request.body is None else encode_json(request.body).decode()
        return RequestPreview(request.method, self.url(request.path), request.params, shown, body)

    async def send(self, request: VendorRequest) -> Any:
        return await self.request(
            request.method, request.path, params=request.params, body=request.body
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        body: Any = None,
    ) -> Any:
        content = None if body is None else encode_json(body)
        headers = dict(self._headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        request_id = current_request_id()
        if request_id != "-":  # the caller's ID (or ours), so the vendor's logs match
            headers["X-Request-Id"] = request_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline
        ticket = self._admit()
        outcome = Outcome.NEUTRAL
        try:
            attempt = 0
            while True:
                attempt += 1
                started = loop.time()
                sent = dict(headers)
                with self._observe(self._vendor, method, path, sent) as status:
                    result = await self._attempt(method, path, params, content, sent, deadline)
                    status[0] = _status(result)
                outcome = result.outcome
                if result.retry_reason is None:
                    break
                now = loop.time()
                delay = self._retry_delay(
                    method, attempt, result, ticket, took=now - started, left=deadline - now
                )
                if delay is None:
                    break
                self._retrying(method, path, attempt, result.retry_reason, delay)
                await asyncio.sleep(delay)
        finally:
            if self._breaker is not None and ticket is not None:
                self._breaker.record(ticket, outcome)
        if result.error is not None:
            raise result.error
        assert result.response is not None
        return self._parse(result.response)

    async def _attempt(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        content: bytes | None,
        headers: dict[str, str],
        deadline: float,
    ) -> _Attempt:
        try:
            # httpx's timeouts bound each phase (connect, each read); the deadline bounds the
            # whole call with its retries, so a vendor trickling bytes, or failing slowly
            # again and again, cannot hold a caller for longer.
            async with asyncio.timeout_at(deadline):
                response = await self._client.request(
                    method, self.url(path), params=list(params), content=content, headers=headers
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            error = GatewayError.one(
                ErrorCode.UPSTREAM_TIMEOUT, f"{self._label} did not answer in time"
            )
            return _Attempt(None, error, Outcome.FAILURE, error_reason(exc))
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            error = GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE,
                f"{self._label} could not be reached ({type(exc).__name__})",
            )
            # The host failed when the connection did; not when the call never left here.
            reached = isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError)
            outcome = Outcome.FAILURE if reached else Outcome.NEUTRAL
            return _Attempt(None, error, outcome, error_reason(exc))
        status = response.status_code
        outcome = Outcome.FAILURE if status >= 500 else Outcome.SUCCESS
        return _Attempt(response, None, outcome, status_reason(status))

    def _admit(self) -> Ticket | None:
        if self._breaker is None:
            return None
        ticket = self._breaker.admit()
        if ticket is None:
            if self._stats is not None:
                self._stats.short_circuited(self._vendor)
            wait = self._breaker.retry_in()
            later = f"tried again in {wait:.0f} s" if wait >= 1 else "being probed"
            raise GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE,
                f"{self._label} is failing; the gateway is not calling it for now ({later})",
            )
        return ticket

    def _retry_delay(
        self,
        method: str,
        attempt: int,
        result: _Attempt,
        ticket: Ticket | None,
        *,
        took: float,
        left: float,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when there is none."""
        policy = self._resilience
        if method.upper() not in IDEMPOTENT_METHODS or attempt >= policy.retry_attempts:
            return None
        breaker = self._breaker
        if breaker is not None and ticket is not None and not breaker.allows_retry(ticket):
            return None
        header = result.response.headers.get("Retry-After") if result.response else None
        after = parse_retry_after(header, dt.datetime.now(dt.UTC))
        if after is not None:
            delay = min(after, policy.retry_after_cap)
        else:
            delay = backoff_delay(
                attempt, policy.retry_backoff, policy.retry_backoff_max, self._rand()
            )
        # A retry starts only when, after the wait, as much time is left as this attempt
        # took: one that could not finish before the deadline is not worth starting. The
        # caller then sees this attempt's failure at once, not a timeout later.
        if delay + took >= left:
            return None
        return delay

    def _retrying(self, method: str, path: str, attempt: int, reason: str, delay: float) -> None:
        if self._stats is not None:
            self._stats.retried(self._vendor, reason)
        # The path without any query: values there could be secrets. Headers never.
        bare = path.split("?", 1)[0]
        log.warning(
            "%s %s %s: attempt %d of %d failed (%s); retrying in %.2f s",
            self._vendor,
            method,
            bare,
            attempt,
            self._resilience.retry_attempts,
            reason,
            delay,
            extra={
                "request_id": current_request_id(),
                "vendor": self._vendor,
                "method": method,
                "path": bare,
                "attempt": attempt,
                "reason": reason,
                "delay": round(delay, 3),
            },
        )

    def _parse(self, response: httpx.Response) -> Any:
        status = response.status_code
        try:
            data = decode_json(response.content) if response.content else None
        except ValueError:
            data = None
            if 200 <= status < 300:
                raise GatewayError.one(
                    ErrorCode.UPSTREAM_UNAVAILABLE,
                    f"{self._label} answered with a body that is not JSON",
                ) from None
        if 200 <= status < 300:
            return data
        if status >= 500:
            raise GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE, f"{self._label} failed (HTTP {status})"
            )
        messages = list(self._read_errors(data)) if data is not None else []
        code = _STATUS_CODES.get(status, ErrorCode.UPSTREAM_REJECTED)
        if not messages:
            messages = [(f"{self._label} refused the request (HTTP {status})", None)]
        problems = tuple(
            Problem(
                code,
                f"{self._label}: {message}",
                self._map_field(field) if field else None,
            )
            for message, field in messages
        )
        raise GatewayError(problems)


def _status(attempt: _Attempt) -> str:
    """An attempt's status for metrics and logs: the HTTP status, else how it failed."""
    if attempt.response is not None:
        return str(attempt.response.status_code)
    if attempt.error is not None and attempt.error.code is ErrorCode.UPSTREAM_TIMEOUT:
        return "timeout"
    return "unreachable"


def guarded(vendor_label: str, convert: Callable[[], T]) -> T:
    """A vendor answer we cannot read is the vendor's failure, not ours."""
    try:
        return convert()
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        raise GatewayError.one(
            ErrorCode.UPSTREAM_UNAVAILABLE, f"{vendor_label} answered in an unexpected shape"
        ) from None


def encode_json(value: Any) -> bytes:
    """JSON with Decimals written as exact numbers (`12.50`, never `12.5000000001`)."""
    return _encode(value).encode()


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("cannot send a non-finite number")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, str | int | bool | float) or value is None:
        return json.dumps(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
