"""The sandbox: emulators of both vendor APIs, seeded with demo data.

Mounted under `/sandbox` of the gateway when no vendor credentials are configured (or
`GATEWAY_SANDBOX=true`), or served alone by `invoice-gateway sandbox`:

- Kantata OX at `/sandbox/kantata/api/v1` (token `sandbox-kantata-token`)
- Kitchen.co at `/sandbox/kitchen/{workspace}/api` (workspace `demo`, key `sandbox-kitchen-key`)

Each emulator has a sandbox-only control surface at `/sandbox/<vendor>/_control/` for
tests: the request log, fault injection, reset and settings (see `control.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.sandbox import kantata, kitchen
from gateway.settings import Settings
from gateway.vendors.base import VendorConfig


@dataclass(frozen=True)
class SandboxCredentials:
    kantata_token: str
    kitchen_token: str
    kitchen_workspace: str


SANDBOX_CREDENTIALS = SandboxCredentials(
    kantata_token=kantata.SANDBOX_TOKEN,
    kitchen_token=kitchen.SANDBOX_API_KEY,
    kitchen_workspace=kitchen.SANDBOX_WORKSPACE,
)


def sandboxed(settings: Settings, origin: str) -> Settings:
    """`settings` pointed at the embedded sandbox served at `origin`, with the sandbox's
    demo credentials in place of any configured ones (a real vendor token is never sent
    to the emulators). Each vendor's rate (`<PREFIX>_MAX_RATE`) stays as configured."""
    demo = SANDBOX_CREDENTIALS
    return replace(
        settings,
        sandbox=True,
        vendors={
            "kantata": VendorConfig(
                base_url=f"{origin}/sandbox/kantata/api/v1",
                token=demo.kantata_token,
                max_rate=settings.vendor("kantata").max_rate,
            ),
            "kitchen": VendorConfig(
                base_url=f"{origin}/sandbox/kitchen/{{workspace}}/api",
                token=demo.kitchen_token,
                params={"workspace": demo.kitchen_workspace},
                max_rate=settings.vendor("kitchen").max_rate,
            ),
        },
    )


def create_sandbox_app(quirks: Mapping[str, Mapping[str, Any]] | None = None) -> Starlette:
    """Both emulators, each with fresh state, under /kantata and /kitchen; `quirks` maps
    `"kantata"`/`"kitchen"` to the switches each starts with (`GATEWAY_SANDBOX_QUIRKS`)."""
    quirks = quirks or {}
    unknown = set(quirks) - {"kantata", "kitchen"}
    if unknown:
        raise ValueError(f"sandbox quirks: unknown vendors {sorted(unknown)}")
    return Starlette(
        routes=[
            Mount("/kantata", app=kantata.create_kantata_emulator(quirks=quirks.get("kantata"))),
            Mount("/kitchen", app=kitchen.create_kitchen_emulator(quirks=quirks.get("kitchen"))),
        ]
    )
