"""`/readyz`: whether this replica can serve, for a load balancer's readiness probe.

200 when every dependency answers, else 503; the body names each one:
`{"status": "ready" | "unavailable", "checks": {"kantata": "ok", "kitchen": "ok",
"redis": "ok"}}`, a check per vendor of the registry. A vendor (or a sandbox served apart)
is reachable when a `HEAD` of its base URL gets any HTTP answer within `timeout` seconds:
401 and 404 count, since the point is the network path, and no credential is ever sent.
A base URL that needs a configured credential (Kitchen's workspace) has no URL to try
without it, and is reported "unchecked". The embedded sandbox is served by this process,
so it is "ok" without a probe (one would only come back to this server, and land in the
emulators' request logs, which tests count). Redis (only when configured) must answer
`PING`. `/healthz` stays the liveness check: it never looks past this process, so a
vendor outage does not get replicas restarted.

The checks run in the background, not per call: a task the app's lifespan starts
(`Readiness.running`) checks every `interval` seconds (every second while not ready, so a
replica that just started, or whose vendor came back, turns ready soon), through one
client it keeps. `/readyz` answers the latest result, which costs no vendor request and
next to no CPU, whoever calls it and however often. Until the first round completes every
check reads "pending" and the answer is 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import Response

from gateway.settings import Settings
from gateway.vendors.registry import Registry

log = logging.getLogger("gateway")

OK = "ok"
PENDING = "pending"
UNCHECKED = "unchecked"
# Seconds between rounds while not ready (after start, or while a dependency is down).
RETRY_INTERVAL = 1.0


async def _reachable(client: httpx.AsyncClient, url: str) -> str:
    try:
        await client.head(url)
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}"
    return OK


async def _responds(ping: Callable[[], Awaitable[object]], seconds: float) -> str:
    try:
        async with asyncio.timeout(seconds):
            await ping()
    except Exception as exc:  # any failure of the ping means "not ready"
        return f"unreachable: {type(exc).__name__}"
    return OK


class Readiness:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        redis_ping: Callable[[], Awaitable[object]] | None = None,
        timeout: float = 2.0,
        interval: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._transport = transport  # a test's fake network
        self._redis_ping = redis_ping
        self._timeout = timeout
        self._interval = interval
        self._names = [*self._vendor_urls(), *(["redis"] if redis_ping is not None else [])]
        self._latest = _Result({name: PENDING for name in self._names})

    def _vendor_urls(self) -> dict[str, str | None]:
        urls: dict[str, str | None] = {}
        for adapter in self._registry:
            config = self._settings.vendor(adapter.vendor.key)
            urls[adapter.vendor.key] = adapter.base_url(config, config.params)
        return urls

    def _unchecked(self, key: str) -> str:
        settings = ", ".join(param.setting for param in self._registry.adapter(key).params)
        return f"{UNCHECKED}: no {settings} configured"

    async def checks(self, client: httpx.AsyncClient) -> dict[str, str]:
        """One round of checks, through `client`."""
        names: list[str] = []
        pending: list[Awaitable[str]] = []
        results: dict[str, str] = {}
        for name, url in self._vendor_urls().items():
            if url is None:
                results[name] = self._unchecked(name)
                continue
            if self._settings.sandbox:
                results[name] = OK  # the embedded sandbox: served by this very process
                continue
            names.append(name)
            pending.append(_reachable(client, url))
        if self._redis_ping is not None:
            names.append("redis")
            pending.append(_responds(self._redis_ping, self._timeout))
        results.update(zip(names, await asyncio.gather(*pending), strict=True))
        return results

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Check in the background while the block runs (the app's lifespan)."""
        # No auth, no cookies, no redirects followed, no connection kept between rounds:
        # each round is a bare probe of the network path, as a new request would take it.
        client = httpx.AsyncClient(
            timeout=self._timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            transport=self._transport,
        )
        task = asyncio.create_task(self._refresh(client), name="readiness checks")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await client.aclose()

    async def _refresh(self, client: httpx.AsyncClient) -> None:
        while True:
            try:
                checks = await self.checks(client)
            except Exception:  # a bug here must not stop the checks for good
                log.exception("readiness checks failed")
                checks = {name: "unknown: the check failed" for name in self._names}
            self._latest = _Result(checks)
            wait = self._interval if self._latest.ready else min(RETRY_INTERVAL, self._interval)
            await asyncio.sleep(wait)

    async def endpoint(self, request: Request) -> Response:
        latest = self._latest
        return Response(
            latest.body,
            status_code=200 if latest.ready else 503,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )


class _Result:
    """One round's checks, rendered once for every call that reads them."""

    def __init__(self, checks: dict[str, str]) -> None:
        self.ready = all(value == OK or value.startswith(UNCHECKED) for value in checks.values())
        status = "ready" if self.ready else "unavailable"
        self.body = json.dumps({"status": status, "checks": checks}).encode()
