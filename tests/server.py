"""Run an ASGI app on a real loopback port for the duration of a test."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.http import serving
from gateway.settings import Server, Settings
from gateway.vendors.base import VendorConfig


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: ASGIApp, port: int | None = None, server: Server | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a background thread; yields its base URL, stops on exit.
    With `server`, as `invoice-gateway serve` does (gateway/http/serving.py: its limits,
    its HTTP protocol)."""
    port = port or free_port()
    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    config = (
        uvicorn.Config(app, lifespan="on", **options)
        if server is None
        else serving.config(app, server=server, lifespan="on", **options)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def gateway_app(settings: Settings, **options: Any) -> tuple[Starlette, int]:
    """A gateway app and the port to serve it on: with the sandbox on, the gateway calls
    its emulators at its own origin, so the two must agree."""
    port = free_port()
    return create_app(settings, sandbox_origin=f"http://127.0.0.1:{port}", **options), port


@contextmanager
def serve_gateway(settings: Settings, *, as_served: bool = False, **options: Any) -> Iterator[str]:
    """A gateway with these settings on a loopback port; yields its base URL. `as_served`:
    behind the server `invoice-gateway serve` runs (`settings.server`)."""
    app, port = gateway_app(settings, **options)
    with serve(app, port=port, server=settings.server if as_served else None) as url:
        yield url


def dead_vendors(**changes: Any) -> Settings:
    """Settings whose vendors are at a loopback port nobody listens on."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    return Settings(
        **{
            "sandbox": False,
            "vendors": {
                "kantata": VendorConfig(f"{nowhere}/api/v1", "t"),
                "kitchen": VendorConfig(f"{nowhere}/{{workspace}}/api", "t", {"workspace": "demo"}),
            },
            **changes,
        }
    )


def on_the_sandbox(sandbox: str, **extra: str) -> dict[str, str]:
    """The environment of a gateway process (`python -m gateway serve`) whose vendors are
    the emulators served at `sandbox`, with their demo credentials: this process's own
    environment without any gateway, vendor or Prometheus setting, then `extra`."""
    from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO

    ours = ("GATEWAY_", "KANTATA_", "KITCHEN_", "PROMETHEUS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return env | {
        "GATEWAY_SANDBOX": "false",
        "KANTATA_BASE_URL": f"{sandbox}/sandbox/kantata/api/v1",
        "KANTATA_TOKEN": DEMO.kantata_token,
        "KITCHEN_BASE_URL": sandbox + "/sandbox/kitchen/{workspace}/api",
        "KITCHEN_TOKEN": DEMO.kitchen_token,
        "KITCHEN_WORKSPACE": DEMO.kitchen_workspace,
        **extra,
    }
