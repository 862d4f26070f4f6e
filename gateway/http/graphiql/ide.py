"""What the application wires in: the IDE's configuration (from the settings), the page
response, and the routes of its files and favicon."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.http.errors import error_response
from gateway.http.graphiql.assets import BY_KEY, SHIPPED
from gateway.http.graphiql.check import Problem, check
from gateway.http.graphiql.page import ASSETS_PREFIX, FAVICON_PATH, render_broken, render_page
from gateway.settings import Settings
from gateway.vendors.registry import Registry

log = logging.getLogger("gateway")

# Asset URLs carry the package version, so a URL's bytes never change.
IMMUTABLE = "public, max-age=31536000, immutable"
# Ours, unversioned: a day, so a new one shows up.
FAVICON = Path(__file__).resolve().parent / "favicon.svg"
FAVICON_CACHE = "public, max-age=86400"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class GraphiQLIde:
    # Where the asset set is read from: the copy inside this package, unless told otherwise.
    assets: Path = SHIPPED
    # Headers the page prefills (name → placeholder): the ones a caller must add.
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: Settings, registry: Registry, assets: Path = SHIPPED
    ) -> GraphiQLIde:
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
        return cls(assets=assets, headers=headers)

    @cached_property
    def problems(self) -> tuple[Problem, ...]:
        """What is wrong with the copy, checked once (about 4 MB read and hashed): package
        data does not change under a running process, and a file that does is still caught
        by the page itself (it reports a file that fails to load)."""
        problems = check(self.assets)
        for problem in problems:
            log.error("GraphiQL asset %s; the IDE page says how to fix it", problem)
        return problems

    def routes(self) -> list[BaseRoute]:
        return [
            Route(ASSETS_PREFIX + "/{path:path}", self.serve_asset, methods=["GET"]),
            Route(FAVICON_PATH, self.favicon, methods=["GET"]),
        ]

    def page(self, request: Request) -> Response:
        root_path = request.scope.get("root_path", "")
        headers = {"Cache-Control": "no-cache", **NOSNIFF}
        if self.problems:
            return HTMLResponse(render_broken(root_path, self.problems), 500, headers)
        return HTMLResponse(render_page(root_path, self.headers), headers=headers)

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
            headers={"Cache-Control": IMMUTABLE, **NOSNIFF},
        )

    async def favicon(self, request: Request) -> Response:
        return FileResponse(
            FAVICON, media_type="image/svg+xml", headers={"Cache-Control": FAVICON_CACHE, **NOSNIFF}
        )


def ide_response(request: Request) -> Response:
    """The IDE page for a request to the GraphQL endpoint: configured by the application
    (`app.state.graphiql`), else the defaults (no headers, the shipped files)."""
    app = request.scope.get("app")
    ide = getattr(getattr(app, "state", None), "graphiql", None)
    if not isinstance(ide, GraphiQLIde):
        ide = _DEFAULT
    return ide.page(request)


_DEFAULT = GraphiQLIde()  # one, so its files are checked once
