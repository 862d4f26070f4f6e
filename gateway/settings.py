"""Settings, read from the environment once and passed in; nothing reads os.environ later."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

DEFAULT_KANTATA_BASE_URL = "https://api.mavenlink.com/api/v1"
DEFAULT_KITCHEN_BASE_URL = "https://{workspace}.kitchen.co/api"
WORKSPACE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    kantata_base_url: str = DEFAULT_KANTATA_BASE_URL
    kantata_token: str | None = None
    kitchen_base_url: str = DEFAULT_KITCHEN_BASE_URL
    kitchen_workspace: str | None = None
    kitchen_token: str | None = None
    # None: decided from the tokens (on exactly when none is configured).
    sandbox: bool | None = None
    upstream_timeout: float = 30.0

    @property
    def sandbox_enabled(self) -> bool:
        if self.sandbox is not None:
            return self.sandbox
        return not (self.kantata_token or self.kitchen_token)

    def with_sandbox(
        self, origin: str, kantata_token: str, kitchen_token: str, kitchen_workspace: str
    ) -> Settings:
        """These settings pointed at the embedded sandbox served at `origin`, with the
        sandbox's demo credentials in place of any configured ones (a real vendor token is
        never sent to the emulators)."""
        return replace(
            self,
            sandbox=True,
            kantata_base_url=f"{origin}/sandbox/kantata/api/v1",
            kitchen_base_url=f"{origin}/sandbox/kitchen/{{workspace}}/api",
            kantata_token=kantata_token,
            kitchen_token=kitchen_token,
            kitchen_workspace=kitchen_workspace,
        )

    def __repr__(self) -> str:
        # Tokens never reach a log line, even through a debug print of the settings.
        hidden = "'***'"
        return (
            f"Settings(kantata_base_url={self.kantata_base_url!r}, "
            f"kantata_token={hidden if self.kantata_token else None}, "
            f"kitchen_base_url={self.kitchen_base_url!r}, "
            f"kitchen_workspace={self.kitchen_workspace!r}, "
            f"kitchen_token={hidden if self.kitchen_token else None}, "
            f"sandbox={self.sandbox!r}, upstream_timeout={self.upstream_timeout!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def text(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        sandbox_text = text("GATEWAY_SANDBOX")
        sandbox: bool | None = None
        if sandbox_text is not None:
            lowered = sandbox_text.lower()
            if lowered not in _TRUE | _FALSE:
                raise SettingsError("GATEWAY_SANDBOX must be true or false")
            sandbox = lowered in _TRUE

        timeout_text = text("GATEWAY_UPSTREAM_TIMEOUT")
        timeout = 30.0
        if timeout_text is not None:
            try:
                timeout = float(timeout_text)
            except ValueError:
                raise SettingsError(
                    "GATEWAY_UPSTREAM_TIMEOUT must be a number of seconds"
                ) from None
            if not 0 < timeout <= 600:
                raise SettingsError("GATEWAY_UPSTREAM_TIMEOUT must be between 0 and 600 seconds")

        workspace = text("KITCHEN_WORKSPACE")
        if workspace is not None and not WORKSPACE_SLUG.fullmatch(workspace):
            raise SettingsError("KITCHEN_WORKSPACE must match ^[a-z0-9][a-z0-9-]{0,62}$")

        return cls(
            kantata_base_url=text("KANTATA_BASE_URL") or DEFAULT_KANTATA_BASE_URL,
            kantata_token=text("KANTATA_TOKEN"),
            kitchen_base_url=text("KITCHEN_BASE_URL") or DEFAULT_KITCHEN_BASE_URL,
            kitchen_workspace=workspace,
            kitchen_token=text("KITCHEN_TOKEN"),
            sandbox=sandbox,
            upstream_timeout=timeout,
        )
