"""`/readyz`: whether this replica can serve, for a load balancer's readiness probe.

200 when every dependency answers, else 503; the body names each one:
`{"status": "ready" | "unavailable", "checks": {"kantata": "ok", "kitchen": "ok",
"redis": "ok"}}`. A vendor (or the sandbox) is reachable when a `HEAD` of its base URL
gets any HTTP answer within `timeout` seconds: 401 and 404 count, since the point is the
network path, and no credential is ever sent. Kitchen's base URL is per workspace; with
no `KITCHEN_WORKSPACE` configured there is no URL to try and it is reported "unchecked".
Redis (only when configured) must answer `PING`. `/healthz` stays the liveness check: it
never looks past this process, so a vendor outage does not get replicas restarted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.settings import Settings

OK = "ok"
UNCHECKED = "unchecked: no KITCHEN_WORKSPACE configured"


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
        redis_ping: Callable[[], Awaitable[object]] | None = None,
        timeout: float = 2.0,
    ) -> None:
        self._settings = settings
        self._redis_ping = redis_ping
        self._timeout = timeout

    def _vendor_urls(self) -> dict[str, str | None]:
        settings = self._settings
        kitchen: str | None = settings.kitchen_base_url
        if "{workspace}" in settings.kitchen_base_url:
            workspace = settings.kitchen_workspace
            kitchen = settings.kitchen_base_url.format(workspace=workspace) if workspace else None
        return {"kantata": settings.kantata_base_url, "kitchen": kitchen}

    async def checks(self) -> dict[str, str]:
        names: list[str] = []
        pending: list[Awaitable[str]] = []
        results: dict[str, str] = {}
        # No auth, no cookies, no redirects followed: a bare probe of the network path.
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            for name, url in self._vendor_urls().items():
                if url is None:
                    results[name] = UNCHECKED
                    continue
                names.append(name)
                pending.append(_reachable(client, url))
            if self._redis_ping is not None:
                names.append("redis")
                pending.append(_responds(self._redis_ping, self._timeout))
            results.update(zip(names, await asyncio.gather(*pending), strict=True))
        return results

    async def endpoint(self, request: Request) -> Response:
        checks = await self.checks()
        ready = all(value in (OK, UNCHECKED) for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )
