"""What the gateway lets the network do, decided by the address it listens on.

On loopback only processes on the same host reach it. Beyond loopback (`0.0.0.0`, a
container's default) anyone who reaches the port does, so two things change:

- With real vendor credentials (not the sandbox) and no `GATEWAY_API_KEYS`, every caller
  would act with the operator's vendor tokens: `serve` refuses to start
  (`anonymous_refusal`) unless `GATEWAY_ALLOW_ANONYMOUS=true`, and then it says so, loudly,
  at start (`anonymous_warning`).
- The sandbox (`/sandbox/`: the emulated vendor APIs, and their control surface at
  `/sandbox/<vendor>/_control/`: fault injection, reset, the request log) answers callers
  on this host only (`SandboxForThisHost`), unless `--sandbox-public` says otherwise. The
  gateway still calls it (over loopback) and serves its demo data through GraphQL; other
  hosts cannot reset it, inject faults, read its request log, or send its emulators a body
  of any size (they read whole bodies, unbounded, and keep a log of every request).
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http.errors import error_response
from gateway.settings import Settings


def is_loopback(host: str) -> bool:
    """Whether listening on `host` reaches this machine only. A name other than
    `localhost` counts as beyond loopback (what it resolves to may change)."""
    return host.lower() == "localhost" or _loopback_address(host)


def _loopback_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # an IPv4 caller of a dual-stack socket
    return address.is_loopback


def _anonymous_with_tokens(settings: Settings, host: str) -> bool:
    return (
        not settings.sandbox_enabled
        and settings.has_vendor_token
        and not settings.api_keys
        and not is_loopback(host)
    )


def anonymous_refusal(settings: Settings, host: str, port: int) -> str | None:
    """Why `serve` must not start with these settings on `host`, or None."""
    if not _anonymous_with_tokens(settings, host) or settings.allow_anonymous:
        return None
    return (
        f"refusing to listen on {host}:{port}: that is beyond loopback, real vendor "
        "credentials are configured (a vendor token) and GATEWAY_API_KEYS "
        "is not set, so anyone who reaches the port would read and change invoices with "
        "those tokens. Set GATEWAY_API_KEYS (callers send Authorization: Bearer <key>), or "
        "listen on loopback (--host 127.0.0.1) behind your own proxy, or, when something in "
        "front of the gateway authenticates every caller, set GATEWAY_ALLOW_ANONYMOUS=true"
    )


def anonymous_warning(settings: Settings, host: str, port: int) -> str | None:
    """The warning for a start that GATEWAY_ALLOW_ANONYMOUS let through, or None."""
    if not _anonymous_with_tokens(settings, host):
        return None
    return (
        f"ANONYMOUS ACCESS: listening on {host}:{port} with real vendor credentials and no "
        "GATEWAY_API_KEYS (GATEWAY_ALLOW_ANONYMOUS=true): every caller who reaches this port "
        "acts with the configured vendor tokens. Authenticate callers in front of the "
        "gateway, or set GATEWAY_API_KEYS"
    )


SANDBOX_HIDDEN = (
    "Not found: while the gateway listens beyond loopback its sandbox answers callers on "
    "this host only (`invoice-gateway serve --sandbox-public` opens it to every caller)"
)


def _same_host(scope: Scope) -> bool:
    """Whether the caller is on this host: a loopback address, or the very address the
    connection came in on (the gateway calling its own sandbox on a bound address)."""
    client, server = scope.get("client"), scope.get("server")
    if not client:
        return False
    if server and client[0] == server[0]:
        return True
    return _loopback_address(client[0])


class SandboxForThisHost:
    """`app` with `/sandbox` (the emulators and their control surface: fault injection,
    reset, the request log) answered 404 to callers on other hosts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _same_host(scope):
            path = scope["path"]
            if path == "/sandbox" or path.startswith("/sandbox/"):
                await error_response(404, SANDBOX_HIDDEN, "NOT_FOUND")(scope, receive, send)
                return
        await self.app(scope, receive, send)
