"""HTTP plumbing shared by every vendor: one place that calls vendors (with the call's
deadline, retries and circuit breaker), turns transport failures and status codes into
neutral errors, and bodies into JSON with exact decimals.

What a vendor answers is checked before anything acts on it:

- Size: at most `max_bytes` (Settings.upstream_max_bytes), as received and as decoded
  (transport.read_capped). More is UPSTREAM_UNAVAILABLE, read no further, not retried.
- Numbers: NaN and the infinities, and magnitudes no invoice holds (a decimal with more than
  40 significant digits or a power of ten past 1e30 either way, an integer of more than 30
  digits) are UPSTREAM_UNAVAILABLE, never passed on (`decode_json`).
- Messages: a vendor's own words reach a caller only scrubbed of the credential the call
  carried, encoded or not, and of anything shaped like a bearer token (`_scrub`).
- Retry-After: a wait longer than the gateway would wait (`retry_after_cap`) or than the
  call has left is not waited: the caller is answered at once, with the seconds asked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import math
import random
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, TypeVar

import httpx

from gateway.core.budget import CallBudget
from gateway.core.domain import RequestPreview, VendorRequest
from gateway.core.errors import ErrorCode, GatewayError, Problem
from gateway.core.request_id import current_request_id
from gateway.vendors.breaker import CircuitBreaker, Outcome, Ticket
from gateway.vendors.inflight import SharedCalls, read_key
from gateway.vendors.pacing import Pacer, credential_key
from gateway.vendors.resilience import Resilience
from gateway.vendors.retry import (
    IDEMPOTENT_METHODS,
    RETRY_STATUSES,
    RetryStats,
    backoff_delay,
    error_reason,
    parse_retry_after,
    status_reason,
)
from gateway.vendors.transport import (
    ACCEPT_ENCODING,
    AnswerTooLarge,
    DirectClient,
    UndecodableAnswer,
    read_capped,
)

T = TypeVar("T")

log = logging.getLogger("gateway.upstream")

# A vendor's reading of an error body: (message, vendor field name or None) pairs.
ErrorReader = Callable[[Any], Sequence[tuple[str, str | None]]]


class OutOfRange(ValueError):
    """A number in a vendor answer that no invoice holds: NaN, an infinity, or an absurd
    magnitude."""


_MAX_SIGNIFICANT_DIGITS = 40
_MAX_EXPONENT = 30  # |adjusted exponent|: 1e30 and 1e-30 pass, 1e31 and 1e-31 do not
_MAX_INTEGER_DIGITS = 30


def _constant(name: str) -> Any:
    raise OutOfRange(name)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:  # an exponent past what Decimal holds at all
        raise OutOfRange(text[:20]) from None
    if len(text) > _MAX_SIGNIFICANT_DIGITS and (
        len(value.as_tuple().digits) > _MAX_SIGNIFICANT_DIGITS
    ):
        raise OutOfRange(text[:20])
    if value and abs(value.adjusted()) > _MAX_EXPONENT:
        raise OutOfRange(text[:20])
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS:
        raise OutOfRange(text[:20])
    return int(text)


# Integers are checked only when the body holds a run of more digits than one may have
# (found by mapping every digit to "0", everything else to "."): a Python call for every
# integer would cost about twice as much as this scan on the common answer.
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E for b in range(256))
_LONG_RUN = b"0" * (_MAX_INTEGER_DIGITS + 1)


def decode_json(content: bytes) -> Any:
    """JSON with every non-integer number as an exact Decimal (never a float). Raises
    OutOfRange (a ValueError) for NaN, Infinity, -Infinity, a decimal of more than 40
    significant digits or with an exponent past +-30, an integer of more than 30 digits."""
    if _LONG_RUN in content.translate(_DIGITS):
        return json.loads(
            content, parse_float=_decimal, parse_int=_integer, parse_constant=_constant
        )
    return json.loads(content, parse_float=_decimal, parse_constant=_constant)


_STATUS_CODES = {
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    429: ErrorCode.RATE_LIMITED,
}


class CallObserver(Protocol):
    """Watches each request sent (`gateway.ops.metrics.Observer`); the status (`"200"`,
    `"timeout"`, `"unreachable"`) goes in the yielded list. (Trace context is sent by the
    HTTP client's instrumentation, gateway/ops/tracing.py.)"""

    def upstream(
        self, vendor: str, method: str, path: str
    ) -> AbstractContextManager[list[str]]: ...


@contextmanager
def _unobserved(vendor: str, method: str, path: str) -> Iterator[list[str]]:
    yield [""]


class _Request(NamedTuple):
    """One call as it goes on the wire, whatever its attempts."""

    method: str
    path: str
    params: Sequence[tuple[str, str]]
    content: bytes | None
    headers: dict[str, str]


class _Attempt(NamedTuple):
    """One request's result: an answer (and its body) or the error the caller would see,
    what it says about the host, why it may be retried (None: it is final), and the
    seconds the vendor asked to wait first (its Retry-After, when it said)."""

    response: httpx.Response | None
    error: GatewayError | None
    outcome: Outcome
    retry_reason: str | None
    body: bytes = b""
    retry_after: float | None = None


class Upstream:
    """Sends requests to one vendor and answers parsed JSON or raises GatewayError.

    Each call has one deadline (`deadline` seconds) covering every attempt and every wait
    between them; idempotent calls are retried as `retry.py` describes, with the backoff
    and limits of `resilience`; `breaker` (the app's, for this vendor host) fails calls
    fast while the host is down. Retries are logged on "gateway.upstream" and counted in
    `stats`. An answer over `max_bytes` (as received or decoded) is refused unread.

    The credential in `headers` (`Authorization`) is the secret scrubbed from whatever the
    vendor writes back.

    With `shared` (the app's `SharedCalls`), a GET without a body joins an identical one
    in flight instead of sending its own (gateway/vendors/inflight.py); a caller that joins
    spends nothing of its `budget` (it sends no request). With `pacer`, every request sent,
    retries included, waits for its slot under the vendor's rate per credential
    (gateway/vendors/pacing.py)."""

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
        max_bytes: int = 4_000_000,
        budget: CallBudget | None = None,
        shared: SharedCalls | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._client = client
        self._budget = budget
        self._shared = shared
        self._pacer = pacer
        self._pace_key: str | None = None
        self._max_bytes = max_bytes
        self._scrubber: re.Pattern[str] | None = None
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
        headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)  # exactly what we decode
        if content is not None:
            headers["Content-Type"] = "application/json"
        request_id = current_request_id()
        if request_id != "-":  # the caller's ID (or ours), so the vendor's logs match
            headers["X-Request-Id"] = request_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline
        call = _Request(method, path, params, content, headers)
        if self._shared is None:
            return self._answer(await self._exchange(call, deadline))
        if method.upper() != "GET" or content is not None:
            try:
                return self._answer(await self._exchange(call, deadline))
            finally:
                # Ended, whatever it did: reads from now on are not the ones before it.
                self._shared.wrote(self._vendor)

        def begin() -> Awaitable[_Attempt | GatewayError]:
            # Only the caller that starts the call pays for it, here, in its own request:
            # its LIMIT_EXCEEDED is its own, never handed to those who join.
            self._pay(1, prepaid=False)
            return _settled(self._exchange(call, deadline, prepaid=True))

        key = read_key(self._vendor, self.url(path), params, headers)
        try:
            outcome = await self._shared.run(self._vendor, key, begin, deadline)
        except TimeoutError:
            raise GatewayError.one(
                ErrorCode.UPSTREAM_TIMEOUT, f"{self._label} did not answer in time"
            ) from None
        if isinstance(outcome, GatewayError):
            raise GatewayError(tuple(outcome.problems))  # each waiter its own
        return self._answer(outcome)

    async def _exchange(
        self, request: _Request, deadline: float, *, prepaid: bool = False
    ) -> _Attempt:
        """The call's attempts until one is final: its last result. `prepaid`: the first
        request was spent on the budget already (a shared call's starter did)."""
        method, path = request.method, request.path
        loop = asyncio.get_running_loop()
        ticket = self._admit()
        outcome = Outcome.NEUTRAL
        try:
            await self._first_slot(loop.time(), deadline)
            attempt = 0
            while True:
                attempt += 1
                if not self._pay(attempt, prepaid=prepaid):
                    break
                started = loop.time()
                with self._observe(self._vendor, method, path) as status:
                    result = await self._attempt(request, deadline)
                    status[0] = _status(result)
                outcome = result.outcome
                now = loop.time()
                took = now - started
                if self._pacer is not None and result.response is not None:
                    self._pacer.answered(self._vendor, took)
                if result.retry_reason is None:
                    break
                delay = self._retry_delay(
                    method, attempt, result, ticket, took=took, left=deadline - now
                )
                if delay is None:
                    break
                # A retry takes a slot of the rate too; none in time: no retry.
                start = self._slot(now + delay, deadline)
                if start is None:
                    break
                self._retrying(method, path, attempt, result.retry_reason, start - now)
                await asyncio.sleep(start - now)
        finally:
            if self._breaker is not None and ticket is not None:
                self._breaker.record(ticket, outcome)
        return result

    def _answer(self, result: _Attempt) -> Any:
        """The caller's own answer from a call's last result: parsed afresh, or a fresh
        error (a shared result is read by every waiter)."""
        if result.error is not None:
            raise GatewayError(tuple(result.error.problems))
        return self._parse(result)

    def _pay(self, attempt: int, *, prepaid: bool) -> bool:
        """Spends the request about to be sent on the request's budget (every request sent
        counts, retries included); False: not to be sent. In a shared call (`prepaid`) a
        retry past the starter's budget is not sent, and every waiter gets the last
        attempt's answer, rather than the starter's LIMIT_EXCEEDED."""
        budget = self._budget
        if budget is None or (prepaid and attempt == 1):
            return True
        if prepaid and budget.spent >= budget.limit:
            return False
        budget.spend()
        return True

    def _slot(self, earliest: float, deadline: float) -> float | None:
        """When the next request may start under the vendor's rate (`earliest` when not
        paced), or None when it could not be answered before `deadline`."""
        if self._pacer is None:
            return earliest
        if self._pace_key is None:
            self._pace_key = credential_key(self._base_url, self._headers.get("Authorization", ""))
        return self._pacer.reserve(self._vendor, self._pace_key, earliest, deadline)

    async def _first_slot(self, now: float, deadline: float) -> None:
        """Waits for the first request's slot; RATE_LIMITED at once, without a vendor call,
        when it would not come before the deadline."""
        start = self._slot(now, deadline)
        if start is None:
            assert self._pacer is not None and self._pace_key is not None
            free = self._pacer.next_free(self._vendor, self._pace_key)
            wait = max(1, math.ceil((free or now) - now))
            rate = self._pacer.rate(self._vendor)
            raise GatewayError(
                (
                    Problem(
                        ErrorCode.RATE_LIMITED,
                        f"the gateway sends {self._label} at most {rate:g} requests a second "
                        "per credential, and this request's turn would come too late for an "
                        "answer in time",
                        None,
                        wait,
                    ),
                )
            )
        if start > now:
            await asyncio.sleep(start - now)

    async def _attempt(self, call: _Request, deadline: float) -> _Attempt:
        method, path, params, content, headers = call
        response = None
        try:
            if isinstance(self._client, DirectClient):
                # aiohttp past httpx's models (gateway/vendors/transport.py), same rules.
                async with asyncio.timeout_at(deadline):
                    response, body = await self._client.exchange(
                        method, self.url(path), params, content, headers, self._max_bytes
                    )
            else:
                request = self._client.build_request(
                    method, self.url(path), params=list(params), content=content, headers=headers
                )
                # httpx's timeouts bound each phase (connect, each read); the deadline bounds
                # the whole call with its retries, so a vendor trickling bytes, or failing
                # slowly again and again, cannot hold a caller for longer.
                async with asyncio.timeout_at(deadline):
                    response = await self._client.send(request, stream=True)
                    try:
                        body = await read_capped(response, self._max_bytes)
                    finally:
                        await response.aclose()
        except (AnswerTooLarge, UndecodableAnswer) as exc:
            if response is None:  # over aiohttp, the answer comes with the exception
                response = exc.response
            assert response is not None
            return self._unreadable(method, path, response, exc)
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
        after = None
        if status in RETRY_STATUSES:
            header = response.headers.get("Retry-After")
            after = parse_retry_after(header, dt.datetime.now(dt.UTC)) if header else None
        return _Attempt(response, None, outcome, status_reason(status), body, after)

    def _unreadable(
        self, method: str, path: str, response: httpx.Response, exc: Exception
    ) -> _Attempt:
        """An answer the gateway would not (too large) or could not (bad encoding) read:
        final, whatever its status; its connection is closed, not pooled."""
        status = response.status_code
        bare = path.split("?", 1)[0]
        if isinstance(exc, AnswerTooLarge):
            message = (
                f"{self._label} answered more than {self._max_bytes} bytes; "
                "the gateway read no further"
            )
            log.warning(
                "%s %s %s: answer over %d bytes (HTTP %d); read no further, connection closed",
                self._vendor,
                method,
                bare,
                self._max_bytes,
                status,
                extra={"request_id": current_request_id(), "vendor": self._vendor},
            )
        else:
            message = f"{self._label} answered with a body the gateway could not decode"
        error = GatewayError.one(ErrorCode.UPSTREAM_UNAVAILABLE, message)
        outcome = Outcome.FAILURE if status >= 500 else Outcome.SUCCESS
        return _Attempt(response, error, outcome, None)

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
        after = result.retry_after
        if after is not None:
            # Longer than the gateway waits for anyone: the caller hears it now, with the
            # vendor's seconds, and decides (see _parse).
            if after > policy.retry_after_cap:
                return None
            delay = after
        else:
            delay = backoff_delay(
                attempt, policy.retry_backoff, policy.retry_backoff_max, self._rand()
            )
        # A retry starts only when, after the wait, as much time is left as this attempt
        # took: one that could not finish before the deadline is not worth starting. The
        # caller then sees this attempt's failure at once (with any Retry-After), not a
        # timeout later.
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

    def _parse(self, result: _Attempt) -> Any:
        assert result.response is not None
        status = result.response.status_code
        body = result.body
        try:
            data = decode_json(body) if body else None
        except OutOfRange:
            data = None
            if 200 <= status < 300:
                raise GatewayError.one(
                    ErrorCode.UPSTREAM_UNAVAILABLE, f"{self._label} answered a number out of range"
                ) from None
        except ValueError:
            data = None
            if 200 <= status < 300:
                raise GatewayError.one(
                    ErrorCode.UPSTREAM_UNAVAILABLE,
                    f"{self._label} answered with a body that is not JSON",
                ) from None
        if 200 <= status < 300:
            return data
        wait = math.ceil(result.retry_after) if result.retry_after is not None else None
        asked = f"; it asked to wait {wait} s before trying again" if wait is not None else ""
        if status >= 500:
            message = f"{self._label} failed (HTTP {status}){asked}"
            raise GatewayError((Problem(ErrorCode.UPSTREAM_UNAVAILABLE, message, None, wait),))
        code = _STATUS_CODES.get(status, ErrorCode.UPSTREAM_REJECTED)
        messages = self._read_errors(data) if data is not None else ()
        problems = tuple(
            Problem(
                code,
                f"{self._label}: {self._scrub(message)}",
                self._map_field(self._scrub(field)) if field else None,  # keys pass through
                wait,
            )
            for message, field in messages
        ) or (
            Problem(code, f"{self._label} refused the request (HTTP {status}){asked}", None, wait),
        )
        raise GatewayError(problems)

    def _scrub(self, message: str) -> str:
        """A vendor's words without the credential this call carried (as sent, URL-encoded,
        form-encoded) or anything else shaped like a bearer token. The only way a vendor's
        text reaches a caller or a log; built on first use (error answers only)."""
        if self._scrubber is None:
            self._scrubber = _scrubber(self._headers)
        return self._scrubber.sub(_redact, message)


def _scrubber(headers: Mapping[str, str]) -> re.Pattern[str]:
    secrets: set[str] = set()
    for name, value in headers.items():
        if name.lower() in _CREDENTIAL_HEADERS and value:
            scheme, _, token = value.partition(" ")
            secrets |= {value, token.strip() if scheme.lower() == "bearer" else value}
    # Longest first, so a token is never half replaced through a shorter form of it.
    exact = [_encoded(s) for s in sorted(secrets - {""}, key=len, reverse=True)]
    return re.compile("|".join([*exact, _BEARER]))


def _encoded(secret: str) -> str:
    """A pattern for `secret` as sent or URL-encoded, in any mix: each character as itself
    or percent-escaped (hex in either case), a space also as `+`."""
    parts = []
    for char in secret:
        escaped = "".join(f"%(?i:{byte:02X})" for byte in char.encode())
        plus = r"|\+" if char == " " else ""
        parts.append(f"(?:{re.escape(char)}|{escaped}{plus})")
    return "".join(parts)


def _redact(match: re.Match[str]) -> str:
    return "Bearer [redacted]" if match.group("bearer") else "[redacted]"


_CREDENTIAL_HEADERS = {"authorization", "proxy-authorization"}
# "Bearer" and a token-ish word (RFC 6750's b64token, 8 characters or more): a message that
# merely says "the bearer of this invoice" keeps its words.
_BEARER = r"(?i:(?P<bearer>\bbearer)(?:\s|%20|\+)+[A-Za-z0-9\-._~+/%]{8,}=*)"


async def _settled(call: Awaitable[_Attempt]) -> _Attempt | GatewayError:
    """A call's result, or its GatewayError as a value: one shared outcome that each waiter
    raises afresh."""
    try:
        return await call
    except GatewayError as exc:
        return exc


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
