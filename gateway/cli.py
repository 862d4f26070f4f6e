"""`invoice-gateway serve | sandbox | export-schema | graphiql-assets`."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence

from gateway.settings import Settings, SettingsError

_WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def _origin(host: str, port: int) -> str:
    """Where this process can reach itself: loopback when bound to every address."""
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invoice-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--sandbox",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use the built-in vendor emulators (default: on when no vendor token is set)",
    )

    sandbox = commands.add_parser("sandbox", help="run the vendor emulators alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8100)

    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")

    assets = commands.add_parser(
        "graphiql-assets",
        help="fetch GraphiQL's files with npm, so the IDE page works with no internet",
    )
    assets.add_argument(
        "--dest",
        help="directory to put them in (default: GATEWAY_GRAPHIQL_ASSETS, else "
        "~/.cache/invoice-gateway/graphiql); the gateway reads GATEWAY_GRAPHIQL_ASSETS",
    )

    args = parser.parse_args(argv)

    if args.command == "graphiql-assets":
        return _graphiql_assets(args.dest)

    if args.command == "export-schema":
        from gateway.schema import export_schema

        sys.stdout.write(export_schema())
        return 0

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # httpx logs every upstream URL at INFO; the access log already tells what was asked.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    if args.command == "sandbox":
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from gateway.sandbox import create_sandbox_app

        app = Starlette(routes=[Mount("/sandbox", app=create_sandbox_app())])
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
        return 0

    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        parser.error(str(exc))
    if args.sandbox is not None:
        settings = dataclasses.replace(settings, sandbox=args.sandbox)

    from gateway.app import create_app

    app = create_app(settings, sandbox_origin=_origin(args.host, args.port))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _graphiql_assets(dest: str | None) -> int:
    from pathlib import Path

    from gateway.graphiql.assets import assets_dir
    from gateway.graphiql.fetch import FetchError, fetch_assets

    directory = (
        Path(dest).expanduser()
        if dest
        else assets_dir(os.environ.get("GATEWAY_GRAPHIQL_ASSETS", "").strip() or None)
    )
    try:
        written = fetch_assets(directory)
    except FetchError as exc:
        sys.stderr.write(f"invoice-gateway graphiql-assets: {exc}\n")
        return 1
    for path in written:
        sys.stdout.write(f"{path}\n")
    sys.stdout.write(f"GraphiQL assets ready in {directory}\n")
    return 0
