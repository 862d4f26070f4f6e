"""Builds a vendor client for one request: the app's pooled HTTP client plus the caller's
credentials. This is the only module that knows every vendor."""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from gateway.core.domain import Capabilities, Vendor, VendorClient
from gateway.core.errors import ErrorCode, GatewayError
from gateway.settings import WORKSPACE_SLUG, Settings
from gateway.vendors.breaker import Breakers, CircuitBreaker
from gateway.vendors.budget import CallBudget
from gateway.vendors.credentials import Credentials
from gateway.vendors.fields import capabilities
from gateway.vendors.filters import filter_capabilities
from gateway.vendors.http import CallObserver, Upstream
from gateway.vendors.kantata import errors as kantata_errors
from gateway.vendors.kantata import translate as kantata
from gateway.vendors.kantata.client import KantataClient
from gateway.vendors.kitchen import errors as kitchen_errors
from gateway.vendors.kitchen import translate as kitchen
from gateway.vendors.kitchen.client import KitchenClient
from gateway.vendors.retry import RetryStats
from gateway.vendors.transport import CookielessClient, vendor_transport


def vendor_capabilities() -> dict[Vendor, Capabilities]:
    """What each vendor accepts, read off the same tables its translation uses."""
    return {
        Vendor.KANTATA: Capabilities(
            Vendor.KANTATA, capabilities(kantata.RULES), filter_capabilities(kantata.FILTERS)
        ),
        Vendor.KITCHEN: Capabilities(
            Vendor.KITCHEN, capabilities(kitchen.RULES), filter_capabilities(kitchen.FILTERS)
        ),
    }


def http_clients(settings: Settings) -> dict[Vendor, httpx.AsyncClient]:
    """One pooled client per vendor; the app's lifespan opens and closes them."""
    timeout = httpx.Timeout(settings.upstream_timeout, connect=min(settings.upstream_timeout, 10))
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    return {
        vendor: CookielessClient(
            timeout=timeout,
            limits=limits,
            follow_redirects=False,
            transport=vendor_transport(settings.upstream_transport, limits),
        )
        for vendor in Vendor
    }


# A bearer token is visible ASCII; anything else could not be sent in a header anyway.
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")


def _checked(token: str | None, what: str, header: str) -> str:
    if not token:
        raise _missing(what, header)
    if not _TOKEN.fullmatch(token):
        raise GatewayError.one(
            ErrorCode.UNAUTHENTICATED, f"the {what} is not a token (check {header})"
        )
    return token


def _missing(what: str, header: str) -> GatewayError:
    return GatewayError.one(
        ErrorCode.UNAUTHENTICATED,
        f"no {what} is configured for this gateway; send the {header} header",
    )


def vendor_client(
    vendor: Vendor,
    settings: Settings,
    http: Mapping[Vendor, httpx.AsyncClient],
    credentials: Credentials,
    *,
    breakers: Breakers | None = None,
    stats: RetryStats | None = None,
    observer: CallObserver | None = None,
    budget: CallBudget | None = None,
) -> VendorClient:
    """`breakers`, `stats` and `observer` are the app's (app.py): without breakers, calls
    are still retried and bounded by the deadline, but never failed fast."""
    if vendor is Vendor.KANTATA:
        token = _checked(credentials.kantata_token, "Kantata token", "X-Kantata-Token")
        return KantataClient(
            Upstream(
                http[vendor],
                vendor_label=kantata.LABEL,
                base_url=settings.kantata_base_url,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                },
                read_errors=kantata_errors.error_messages,
                map_field=kantata.vendor_field_path,
                deadline=settings.upstream_timeout,
                resilience=settings.resilience,
                breaker=_breaker(breakers, vendor, settings.kantata_base_url),
                stats=stats,
                vendor_key=_key(vendor),
                observer=observer,
                budget=budget,
                max_bytes=settings.upstream_max_bytes,
            )
        )
    key = _checked(credentials.kitchen_token, "Kitchen API key", "X-Kitchen-Token")
    workspace = credentials.kitchen_workspace
    if not workspace:
        raise _missing("Kitchen workspace", "X-Kitchen-Workspace")
    if not WORKSPACE_SLUG.fullmatch(workspace):
        raise GatewayError.one(
            ErrorCode.INVALID_INPUT,
            "the Kitchen workspace must match ^[a-z0-9][a-z0-9-]{0,62}$",
        )
    base_url = settings.kitchen_base_url.replace("{workspace}", workspace)
    return KitchenClient(
        Upstream(
            http[vendor],
            vendor_label=kitchen.LABEL,
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {key}",
                "Accept": "application/json",
                "X-Requested-With": "XMLHttpRequest",
            },
            read_errors=kitchen_errors.error_messages,
            map_field=kitchen.vendor_field_path,
            deadline=settings.upstream_timeout,
            resilience=settings.resilience,
            breaker=_breaker(breakers, vendor, base_url),
            stats=stats,
            vendor_key=_key(vendor),
            observer=observer,
            budget=budget,
            max_bytes=settings.upstream_max_bytes,
        )
    )


def _key(vendor: Vendor) -> str:
    """The vendor's name in logs and metrics: `kantata`, `kitchen`."""
    return vendor.value.lower()


def _breaker(breakers: Breakers | None, vendor: Vendor, base_url: str) -> CircuitBreaker | None:
    # One per host: each Kitchen workspace has its own, and so may fail on its own.
    return breakers.for_host(_key(vendor), base_url) if breakers is not None else None
