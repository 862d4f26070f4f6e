"""The shared HTTP plumbing, against a fake transport (the one place a fake belongs)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from gateway.credentials import Credentials
from gateway.domain import UserKey, Vendor
from gateway.errors import ErrorCode, GatewayError
from gateway.settings import Settings
from gateway.vendors.factory import vendor_client
from gateway.vendors.http import decode_json, encode_json


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"amount": Decimal("19.99")}, b'{"amount":19.99}'),
        ({"amount": Decimal("1250.50")}, b'{"amount":1250.50}'),
        ({"q": Decimal("0.1") + Decimal("0.2")}, b'{"q":0.3}'),
        ({"list": [1, None, True, "\u00e9"]}, b'{"list":[1,null,true,"\\u00e9"]}'),
    ],
)
def test_decimals_are_sent_as_their_exact_text(value: object, text: bytes) -> None:
    assert encode_json(value) == text


def test_non_finite_decimals_are_never_sent() -> None:
    with pytest.raises(ValueError):
        encode_json({"amount": Decimal("NaN")})


def test_numbers_are_read_as_exact_decimals() -> None:
    assert decode_json(b'{"a": 675.65, "b": 3}') == {"a": Decimal("675.65"), "b": 3}


async def test_kitchen_requests_carry_the_documented_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "u_1", "name": "A", "email": "a@example.com"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = vendor_client(
            Vendor.KITCHEN,
            Settings(sandbox=False),
            {Vendor.KITCHEN: http},
            Credentials(None, "kitchen-key", "acme"),
        )
        users = await client.fetch_users([UserKey("u_1", "member")])
    assert [u.name for u in users.values()] == ["A"]
    request = seen[0]
    assert str(request.url) == "https://acme.kitchen.co/api/members/u_1"
    assert request.headers["authorization"] == "Bearer kitchen-key"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-requested-with"] == "XMLHttpRequest"


async def test_error_messages_never_carry_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = vendor_client(
            Vendor.KANTATA,
            Settings(sandbox=False),
            {Vendor.KANTATA: http},
            Credentials("tok-secret-9", None, None),
        )
        with pytest.raises(GatewayError) as caught:
            await client.fetch_workspaces(["55"])
    assert caught.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "tok-secret-9" not in str(caught.value) and "tok-secret-9" not in repr(caught.value)


@pytest.mark.parametrize(
    ("vendor", "credentials", "code"),
    [
        (Vendor.KANTATA, Credentials(None, "k", "demo"), ErrorCode.UNAUTHENTICATED),
        (Vendor.KITCHEN, Credentials("t", "k", None), ErrorCode.UNAUTHENTICATED),
        (Vendor.KITCHEN, Credentials("t", None, "demo"), ErrorCode.UNAUTHENTICATED),
        (Vendor.KITCHEN, Credentials(None, "k", "Not.A.Slug"), ErrorCode.INVALID_INPUT),
        (Vendor.KITCHEN, Credentials(None, "k", "demo\n"), ErrorCode.INVALID_INPUT),
        (Vendor.KANTATA, Credentials("t\u00f6ken", None, None), ErrorCode.UNAUTHENTICATED),
    ],
)
def test_missing_or_bad_credentials_fail_before_any_call(
    vendor: Vendor, credentials: Credentials, code: ErrorCode
) -> None:
    with pytest.raises(GatewayError) as caught:
        vendor_client(vendor, Settings(sandbox=False), {}, credentials)
    assert caught.value.code is code
