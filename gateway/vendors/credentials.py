"""Whose credentials a request uses: the configured ones, or the caller's own headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.settings import Settings

KANTATA_TOKEN_HEADER = "x-kantata-token"
KITCHEN_TOKEN_HEADER = "x-kitchen-token"
KITCHEN_WORKSPACE_HEADER = "x-kitchen-workspace"


@dataclass(frozen=True)
class Credentials:
    kantata_token: str | None
    kitchen_token: str | None
    kitchen_workspace: str | None

    def __repr__(self) -> str:
        def shown(token: str | None) -> str:
            return "'***'" if token else "None"

        return (
            f"Credentials(kantata_token={shown(self.kantata_token)}, "
            f"kitchen_token={shown(self.kitchen_token)}, "
            f"kitchen_workspace={self.kitchen_workspace!r})"
        )


def credentials_for(settings: Settings, headers: Mapping[str, str]) -> Credentials:
    """Per-request headers override the configured credentials for that request only.
    `X-Kitchen-Workspace` takes effect only together with `X-Kitchen-Token`.

    The workspace slug is validated where it is used (it is part of a URL), not here, so a
    bad header fails only the Kitchen operations of the request.
    """
    kitchen_token = headers.get(KITCHEN_TOKEN_HEADER)
    kitchen_workspace = headers.get(KITCHEN_WORKSPACE_HEADER)
    if not kitchen_workspace:
        kitchen_token = kitchen_token or settings.kitchen_token
        kitchen_workspace = settings.kitchen_workspace
    # else: a workspace the caller names is used with the caller's own key only, never the
    # operator's (that would hand the configured key to any workspace a caller picks).
    return Credentials(
        kantata_token=headers.get(KANTATA_TOKEN_HEADER) or settings.kantata_token,
        kitchen_token=kitchen_token,
        kitchen_workspace=kitchen_workspace,
    )
