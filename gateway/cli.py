"""`invoice-gateway serve | sandbox | export-schema | graphiql-assets`."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gateway.settings import Settings, SettingsError

if TYPE_CHECKING:
    from starlette.types import ASGIApp

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
        type=_workers,
        default=AUTO,
        help="worker processes (uvicorn), or `auto` (the default): one per core with real "
        "vendors, one with the sandbox; more than 1 needs real vendors (not the sandbox), "
        "and GATEWAY_REDIS_URL to share idempotency, persisted queries and rate limits; "
        "each worker paces its vendor calls at 1/N of each <VENDOR>_MAX_RATE",
    )
    serve.add_argument(
        "--sandbox",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use the built-in vendor emulators (default: on when no vendor token is set)",
    )
    serve.add_argument(
        "--sandbox-public",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=SANDBOX_PUBLIC_HELP,
    )

    sandbox = commands.add_parser("sandbox", help="run the vendor emulators alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8100)
    sandbox.add_argument(
        "--sandbox-public",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=SANDBOX_PUBLIC_HELP,
    )

    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")

    commands.add_parser(
        "graphiql-assets",
        help="check GraphiQL's files shipped inside the package (each against its pinned "
        "sha384); nothing is downloaded",
    )

    args = parser.parse_args(argv)

    if args.command == "graphiql-assets":
        return _graphiql_assets()

    if args.command == "export-schema":
        from gateway.app import export_schema

        sys.stdout.write(export_schema())
        return 0

    from gateway.http.exposure import (
        SandboxForThisHost,
        anonymous_refusal,
        anonymous_warning,
        is_loopback,
    )
    from gateway.ops.logs import configure_logging

    # Beyond loopback, the sandbox (and its fault injection, reset) answers this host only.
    public = args.sandbox_public
    if public is None:
        public = is_loopback(args.host)

    if args.command == "sandbox":
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from gateway.sandbox import create_sandbox_app

        try:
            settings = Settings.from_env(os.environ)
            configure_logging(settings.log_format)  # as `serve` logs
            app: ASGIApp = Starlette(
                routes=[Mount("/sandbox", app=create_sandbox_app(settings.sandbox_quirks))]
            )
        except (SettingsError, ValueError) as exc:
            parser.error(str(exc))
        if not public:
            app = SandboxForThisHost(app)
        return _run(parser, app, args.host, args.port, settings)

    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        parser.error(str(exc))
    if args.sandbox is not None:
        settings = dataclasses.replace(settings, sandbox=args.sandbox)
    refusal = anonymous_refusal(settings, args.host, args.port)
    if refusal is not None:
        sys.stderr.write(f"invoice-gateway serve: {refusal}\n")
        return 2
    # The one place logging is configured (gateway/ops/logs.py); uvicorn's loggers go through
    # the same handler (log_config=None: uvicorn configures nothing of its own).
    configure_logging(settings.log_format)
    warning = anonymous_warning(settings, args.host, args.port)
    if warning is not None:
        logging.getLogger("gateway").warning(warning)

    workers = _worker_count(args.workers, settings)
    if workers > 1:
        return _serve_workers(parser, settings, args.host, args.port, workers)

    from gateway.app import create_app

    try:
        app = create_app(settings, sandbox_origin=_origin(args.host, args.port))
    except SettingsError as exc:  # the persisted documents' manifests
        parser.error(str(exc))
    if settings.sandbox_enabled and not public:
        app = SandboxForThisHost(app)
    return _run(parser, app, args.host, args.port, settings)


AUTO = "auto"


def _workers(text: str) -> str | int:
    if text == AUTO:
        return AUTO
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected `auto` or a whole number, not {text!r}"
        ) from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected `auto` or at least 1, not {count}")
    return count


def _worker_count(chosen: str | int, settings: Settings) -> int:
    """`--workers auto`: one per core with real vendors (as Hive Gateway forks in
    production), one on the embedded sandbox (whose state a second worker would not see).
    Said at start either way."""
    log = logging.getLogger("gateway")
    if isinstance(chosen, int):
        log.info("%s (--workers %d)", _processes(chosen), chosen)
        return chosen
    if settings.sandbox_enabled:
        log.info("%s (--workers auto: one on the embedded sandbox)", _processes(1))
        return 1
    from gateway.ops.cores import available_cores

    cores = available_cores()
    log.info(
        "%s (--workers auto: one per core; %s; --workers N to choose)",
        _processes(cores.count),
        cores.why,
    )
    return cores.count


def _processes(count: int) -> str:
    return f"{count} worker process" + ("es" if count != 1 else "")


SANDBOX_PUBLIC_HELP = (
    "let callers on other hosts reach the sandbox (/sandbox/: the emulators and their "
    "control surface: fault injection, reset, the request log); default: only when "
    "listening on a loopback address, where there are none"
)


def _run(
    parser: argparse.ArgumentParser,
    app: object,
    host: str,
    port: int,
    settings: Settings,
    **options: Any,
) -> int:
    """uvicorn with the gateway's connection limits (gateway/http/serving.py)."""
    from gateway.http import serving

    try:
        return serving.run(app, host=host, port=port, server=settings.server, **options)
    except SettingsError as exc:
        parser.error(str(exc))


WORKERS_WITH_SANDBOX = (
    "--workers > 1 cannot be used with the embedded sandbox: each worker would hold its own "
    "emulator state, so a write seen by one worker would be missing in the next. Run "
    "`invoice-gateway sandbox` on its own, point each vendor's <VENDOR>_BASE_URL at it "
    "and set GATEWAY_SANDBOX=false (or use --workers 1)"
)


# How many workers the parent started, for each of them (not a setting: set by `serve`).
WORKERS_ENV = "INVOICE_GATEWAY_WORKERS"


def _serve_workers(
    parser: argparse.ArgumentParser, settings: Settings, host: str, port: int, workers: int
) -> int:
    """uvicorn's worker processes; each builds its app from the environment (`worker_app`)."""
    if settings.sandbox_enabled:
        parser.error(WORKERS_WITH_SANDBOX)
    if settings.redis_url is None:
        logging.getLogger("gateway").warning(
            "%d workers without GATEWAY_REDIS_URL: each keeps its own idempotency answers, "
            "persisted queries and rate-limit counters",
            workers,
        )
    from gateway.app import load_persisted_documents

    try:  # each worker loads them again; a problem is told here once, not by each worker
        load_persisted_documents(settings)
    except SettingsError as exc:
        parser.error(str(exc))
    os.environ["GATEWAY_SANDBOX"] = "false"  # what --no-sandbox said, for the workers
    os.environ[WORKERS_ENV] = str(workers)  # each paces its vendor calls at rate/N
    return _run(
        parser, "gateway.cli:worker_app", host, port, settings, factory=True, workers=workers
    )


def worker_app() -> object:
    """The app of one worker process (`serve --workers N`), from the environment: the
    settings, and where the workers keep their metrics (set by the parent,
    gateway/ops/multiprocess.py)."""
    from gateway.app import create_app
    from gateway.ops.collector import tune_collector
    from gateway.ops.logs import configure_logging
    from gateway.ops.multiprocess import SharedMetrics

    tune_collector()
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_format)
    return create_app(
        settings,
        shared_metrics=SharedMetrics.of_worker(os.environ),
        workers=int(os.environ.get(WORKERS_ENV, "1")),
    )


def _graphiql_assets() -> int:
    from gateway.http.graphiql.assets import SHIPPED
    from gateway.http.graphiql.check import FIX, check

    problems = check(SHIPPED)
    for problem in problems:
        sys.stderr.write(f"invoice-gateway graphiql-assets: {problem}\n")
    if problems:
        sys.stderr.write(f"{FIX}\n")
        return 1
    sys.stdout.write(f"GraphiQL's files are whole in {SHIPPED}\n")
    return 0
