"""The pooled HTTP clients under every vendor client, and a vendor client for one request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import httpx

from gateway.core.domain import Vendor, VendorClient
from gateway.vendors.base import ClientOptions, VendorAdapter, VendorConfig
from gateway.vendors.transport import AiohttpPool, CookielessClient, DirectClient, vendor_transport


def http_clients(
    vendors: Iterable[Vendor], timeout: float, transport: str, *, direct: bool = True
) -> dict[Vendor, httpx.AsyncClient]:
    """One pooled client per vendor; the app's lifespan opens and closes them. Over
    aiohttp and `direct`, `Upstream` calls aiohttp past httpx (`DirectClient`); a traced
    app says not `direct`, so that httpx's instrumentation sees every call."""
    timeouts = httpx.Timeout(timeout, connect=min(timeout, 10))
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    clients: dict[Vendor, httpx.AsyncClient] = {}
    for vendor in vendors:
        pool = vendor_transport(transport, limits)
        options = {"timeout": timeouts, "limits": limits, "follow_redirects": False}
        if direct and isinstance(pool, AiohttpPool):
            clients[vendor] = DirectClient(transport=pool, **options)
        else:
            clients[vendor] = CookielessClient(transport=pool, **options)
    return clients


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
