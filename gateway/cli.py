"""`invoice-gateway serve | sandbox | export-schema | graphiql-assets`."""

from __future__ import annotations

import argparse
import dataclasses
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
        "--workers",
        type=int,
        default=1,
        help="worker processes (uvicorn); more than 1 needs real vendors (not the sandbox), "
        "and GATEWAY_REDIS_URL to share idempotency, persisted queries and rate limits",
    )
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

    from gateway.logs import configure_logging

    if args.command == "sandbox":
        configure_logging("text")
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from gateway.sandbox import create_sandbox_app

        try:
            quirks = Settings.from_env(os.environ).sandbox_quirks
            app = Starlette(routes=[Mount("/sandbox", app=create_sandbox_app(quirks))])
        except (SettingsError, ValueError) as exc:
            parser.error(str(exc))
        uvicorn.run(app, host=args.host, port=args.port, log_config=None)
        return 0

    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        parser.error(str(exc))
    if args.sandbox is not None:
        settings = dataclasses.replace(settings, sandbox=args.sandbox)
    # The one place logging is configured (gateway/logs.py); uvicorn's loggers go through
    # the same handler (log_config=None: uvicorn configures nothing of its own).
    configure_logging(settings.log_format)

    if args.workers > 1:
        return _serve_workers(parser, settings, args.host, args.port, args.workers)

    from gateway.app import create_app

    app = create_app(settings, sandbox_origin=_origin(args.host, args.port))
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


WORKERS_WITH_SANDBOX = (
    "--workers > 1 cannot be used with the embedded sandbox: each worker would hold its own "
    "emulator state, so a write seen by one worker would be missing in the next. Run "
    "`invoice-gateway sandbox` on its own, point KANTATA_BASE_URL and KITCHEN_BASE_URL at "
    "it and set GATEWAY_SANDBOX=false (or use --workers 1)"
)


def _serve_workers(
    parser: argparse.ArgumentParser, settings: Settings, host: str, port: int, workers: int
) -> int:
    """uvicorn's worker processes; each builds its app from the environment (`worker_app`)."""
    import logging

    import uvicorn

    if settings.sandbox_enabled:
        parser.error(WORKERS_WITH_SANDBOX)
    if settings.redis_url is None:
        logging.getLogger("gateway").warning(
            "%d workers without GATEWAY_REDIS_URL: each keeps its own idempotency answers, "
            "persisted queries and rate-limit counters",
            workers,
        )
    os.environ["GATEWAY_SANDBOX"] = "false"  # what --no-sandbox said, for the workers
    uvicorn.run(
        "gateway.cli:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
    )
    return 0


def worker_app() -> object:
    """The app of one worker process (`serve --workers N`), from the environment."""
    from gateway.app import create_app
    from gateway.logs import configure_logging

    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_format)
    return create_app(settings)


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
