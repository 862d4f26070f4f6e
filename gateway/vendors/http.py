"""HTTP plumbing shared by every vendor: one place that turns transport failures and
status codes into neutral errors, and bodies into JSON with exact decimals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from gateway.domain import VendorRequest
from gateway.errors import ErrorCode, GatewayError, Problem

T = TypeVar("T")

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


class Upstream:
    """Sends requests to one vendor and answers parsed JSON or raises GatewayError."""

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
    ) -> None:
        self._client = client
        self._deadline = deadline
        self._label = vendor_label
        self._base_url = base_url.rstrip("/")
        self._headers = headers
        self._read_errors = read_errors
        self._map_field = map_field

    def url(self, path: str) -> str:
        return f"{self._base_url}{path}"

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
        try:
            # httpx's timeouts bound each phase (connect, each read); the deadline bounds the
            # whole call, so a vendor trickling bytes cannot hold a caller for longer.
            async with asyncio.timeout(self._deadline):
                response = await self._client.request(
                    method, self.url(path), params=list(params), content=content, headers=headers
                )
        except (httpx.TimeoutException, TimeoutError):
            raise GatewayError.one(
                ErrorCode.UPSTREAM_TIMEOUT, f"{self._label} did not answer in time"
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            raise GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE,
                f"{self._label} could not be reached ({type(exc).__name__})",
            ) from None
        return self._parse(response)

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
