"""What the application wires in: the IDE's configuration (from the settings), the page
response, and the asset route's endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from gateway.http.errors import error_response
from gateway.http.graphiql.assets import BY_KEY, assets_dir, complete
from gateway.http.graphiql.page import LOCAL_PREFIX, render_page
from gateway.settings import Settings
from gateway.vendors.registry import Registry

ASSET_ROUTE = LOCAL_PREFIX + "/{path:path}"
# Asset URLs carry the package version, so a URL's bytes never change.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class GraphiQLIde:
    assets: Path
    # Headers the page prefills (name → placeholder): the ones a caller must add.
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, registry: Registry) -> GraphiQLIde:
        headers = {}
        if settings.api_keys:
            headers["Authorization"] = "Bearer <your gateway API key>"
        if not settings.sandbox_enabled:
            for adapter in registry:
                config = settings.vendor(adapter.vendor.key)
                if config.token and all(p.name in config.params for p in adapter.params):
                    continue
                label = adapter.vendor.label
                headers[adapter.token_header] = f"<your {label} token>"
                for param in adapter.params:
                    headers[param.header] = f"<your {label} {param.name}>"
        return cls(assets=assets_dir(settings.graphiql_assets), headers=headers)

    def page(self, request: Request) -> Response:
        local = complete(self.assets)
        base = request.scope.get("root_path", "") + LOCAL_PREFIX if local else None
        return HTMLResponse(
            render_page(base, self.headers),
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    async def serve_asset(self, request: Request) -> Response:
        """One file of the pinned asset set, looked up by exact name: any other path,
        `..` included, is a 404 and nothing outside the set is ever opened."""
        key = request.path_params.get("path", "")
        asset = BY_KEY.get(key)
        path = self.assets / key if asset is not None else None
        if asset is None or path is None or not path.is_file():
            return error_response(404, f"No GraphiQL asset {key!r}", "NOT_FOUND")
        return FileResponse(
            path,
            media_type=f"{asset.media_type}; charset=utf-8",
            headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
        )


def ide_response(request: Request) -> Response:
    """The IDE page for a request to the GraphQL endpoint: configured by the application
    (`app.state.graphiql`), else the defaults (no headers, the default assets directory)."""
    app = request.scope.get("app")
    ide = getattr(getattr(app, "state", None), "graphiql", None)
    if not isinstance(ide, GraphiQLIde):
        ide = GraphiQLIde(assets=assets_dir(None))
    return ide.page(request)
