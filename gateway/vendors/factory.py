"""The pooled HTTP clients under every vendor client, and a vendor client for one request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import httpx

from gateway.core.domain import Vendor, VendorClient
from gateway.vendors.base import ClientOptions, VendorAdapter, VendorConfig
from gateway.vendors.transport import CookielessClient, vendor_transport


def http_clients(
    vendors: Iterable[Vendor], timeout: float, transport: str
) -> dict[Vendor, httpx.AsyncClient]:
    """One pooled client per vendor; the app's lifespan opens and closes them."""
    timeouts = httpx.Timeout(timeout, connect=min(timeout, 10))
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    return {
        vendor: CookielessClient(
            timeout=timeouts,
            limits=limits,
            follow_redirects=False,
            transport=vendor_transport(transport, limits),
        )
        for vendor in vendors
    }


def vendor_client(
    adapter: VendorAdapter,
    config: VendorConfig,
    http: Mapping[Vendor, httpx.AsyncClient],
    headers: Mapping[str, str],
    options: ClientOptions,
) -> VendorClient:
    """The adapter's client for a request with these headers (its credentials)."""
    credentials = adapter.credentials(config, headers)
    return adapter.client(http[adapter.vendor], config, credentials, options)
