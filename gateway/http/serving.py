"""How the gateway is served: uvicorn, with the connection limits of `settings.server`.

Used by every way the gateway runs (`invoice-gateway serve`, `serve --workers N`, the
container's command), so each gets the same protection:

- `limit_concurrency`: a connection past the limit is answered `503` at once and closed,
  before it sends anything, so a flood holds no more descriptors than the limit; a
  request that arrives while as many requests are running is answered `503` too.
- `header_timeout`: a connection must send its request head (request line and headers)
  within this many seconds of connecting, and each later head within as many seconds of
  its first byte; else `408` and closed (closed silently when nothing came at all).
  uvicorn has no such timer: its keep-alive timer only starts after a response, so a
  connection that never finishes its first head was held for ever (a slowloris).
- `MAX_HEAD_BYTES`: a request head past 64 KiB is answered `431` and closed (uvicorn's
  httptools protocol keeps every byte of an unfinished URL or header in memory).
- `timeout_keep_alive`: idle seconds between requests. A request that has already
  arrived is never cut off by it (see `GatewayHttpProtocol.timeout_keep_alive_handler`).
- `trusted_proxies`: the only peers whose `X-Forwarded-For`/`X-Forwarded-Proto` uvicorn
  believes; none by default (uvicorn's own default trusts 127.0.0.1, so any process on
  the host or a sidecar could pick the client address the rate limit counts).
- The soft limit of open files is raised to the hard limit when it is below what
  `limit_concurrency` needs; if even that is too low, the limit is lowered to fit
  (`fit_open_files`), both said in the log.
- With several workers, their metrics are kept in a private directory for the run, so
  that /metrics adds up all of them (gateway/ops/multiprocess.py); a worker that exits is
  marked dead there, and the directory is removed at exit.

Refusals carry the gateway's error shape: `{"errors": [{"message", "extensions":
{"code"}}]}` with codes `SERVICE_UNAVAILABLE`, `REQUEST_TIMEOUT` and
`REQUEST_HEADER_FIELDS_TOO_LARGE`, and are counted (`overloaded`, `header_timeout`,
`header_too_large`) by the counter the app's lifespan hands the server
(gateway/ops/refusals.py). A connection closed because it sent nothing is not a refusal.
"""

from __future__ import annotations

import asyncio
import http
import ipaddress
import json
import logging
import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from uvicorn.supervisors import Multiprocess

from gateway.ops.collector import tune_collector
from gateway.ops.multiprocess import shared_metrics
from gateway.ops.refusals import Refusal, counter_in
from gateway.settings import Server, SettingsError

log = logging.getLogger("gateway")

MAX_HEAD_BYTES = 64 * 1024
# Descriptors the process needs besides client connections: the vendor pools (2 x 100),
# Redis, the readiness probes, logs and the interpreter's own.
RESERVED_DESCRIPTORS = 512
# When a timer finds a request waiting unread in the socket, it looks again this much
# later: the event loop reads the socket first (uvloop runs due timers before it polls).
_GRACE = 1.0
_STARTUP_FAILURE = 3  # uvicorn's exit status when the app does not start


@dataclass(frozen=True)
class _Refusal:
    """An answer the server gives on its own, in the gateway's error shape, then closes."""

    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()

    def _parts(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        code = http.HTTPStatus(self.status).phrase.upper().replace(" ", "_")
        error = {"message": self.message, "extensions": {"code": code}}
        body = json.dumps({"errors": [error]}).encode()
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("connection", "close"),
            *self.headers,
        ]
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers], body

    def raw(self) -> bytes:
        """The whole answer, for a connection that has no request cycle to send it."""
        headers, body = self._parts()
        phrase = http.HTTPStatus(self.status).phrase
        lines = [f"HTTP/1.1 {self.status} {phrase}".encode()] + [k + b": " + v for k, v in headers]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The answer as an ASGI app, run in place of the gateway for one request."""
        headers, body = self._parts()
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _overloaded(limit: int) -> _Refusal:
    message = f"The gateway is serving as many connections as it takes ({limit}); retry shortly"
    return _Refusal(503, message, (("retry-after", "1"),))


def _has_input(transport: asyncio.BaseTransport) -> bool:
    """Whether bytes (or the peer's close) wait unread in the connection's socket."""
    sock = transport.get_extra_info("socket")
    fileno = sock.fileno() if sock is not None else -1
    if fileno < 0 or not hasattr(select, "poll"):  # no poll() on Windows: close as uvicorn
        return False
    poller = select.poll()  # not select.select: descriptors may be past 1024
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))


class _Throttled:
    """One log line per `every` seconds at most, with how many events it stands for."""

    def __init__(self, every: float = 10.0) -> None:
        self._every = every
        self._last: float | None = None
        self._count = 0

    def warning(self, message: str) -> None:
        self._count += 1
        now = time.monotonic()
        if self._last is None or now - self._last >= self._every:
            log.warning("%s (%d refusals since the last such line)", message, self._count)
            self._last, self._count = now, 0


_refusals = _Throttled()


class GatewayConfig(uvicorn.Config):
    """uvicorn's Config, carrying the settings its HTTP protocol reads (pickled as it is to
    each worker process)."""

    def __init__(self, app: Any, *, server: Server, **options: Any) -> None:
        super().__init__(app, **options)
        self.header_timeout = server.header_timeout


class GatewayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request-head deadline and size cap, the
    concurrency limit applied from the moment a connection is made, and a keep-alive timer
    that never drops a request that has already arrived."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout: float = getattr(config, "header_timeout", Server.header_timeout)
        # The limit is applied here (`_over_limit`), not by uvicorn, so its answer is ours.
        self.max_concurrency, self.limit_concurrency = self.limit_concurrency, None
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = True  # a request head is awaited or under way
        self._head_bytes = 0
        self._head_graced = False
        self._idle_graced = False

    # --- the connection ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_concurrency is not None and len(self.connections) > self.max_concurrency:
            _refusals.warning(f"connection refused: over {self.max_concurrency} connections")
            self._refuse(_overloaded(self.max_concurrency), Refusal.OVERLOADED)
            return
        self._start_head_timer()  # sending nothing at all counts against the deadline too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._idle_graced = False
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                _refusals.warning("request refused: its head is over 64 KiB")
                message = f"The request line and headers are larger than {MAX_HEAD_BYTES} bytes"
                self._refuse(_Refusal(431, message), Refusal.HEADER_TOO_LARGE)

    def _responding(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _refuse(self, refusal: _Refusal, reason: Refusal) -> None:
        """Answer and close; with a response under way (a pipelined request's head is the
        one refused), just close: the answer cannot be put in the middle of another."""
        counter_in(self.app_state).refused(reason)
        self._stop_head_timer()
        if not self._responding():
            self.transport.write(refusal.raw())
        self.transport.close()

    # --- the request head -------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0
        if self._head_timer is None:  # a later request on a kept-alive connection
            self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        self._in_head, self._head_graced = False, False
        if not self._over_limit():
            super().on_headers_complete()
            return
        limit = self.max_concurrency or 0
        _refusals.warning(f"request refused: over {limit} connections or running requests")
        counter_in(self.app_state).refused(Refusal.OVERLOADED)
        # The request cycle answers (reading the body, closing after), as uvicorn's own 503.
        app, self.app = self.app, _overloaded(limit)
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def _over_limit(self) -> bool:
        """Past the connection limit (this one counted), or as many requests running. A
        pipelined request waits for the one before it, so it adds no running request."""
        limit = self.max_concurrency
        if limit is None or self._responding():
            return False
        return len(self.connections) > limit or len(self.tasks) >= limit

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timeout)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if not self._head_graced and _has_input(self.transport):
            self._head_graced = True  # read what came in time, once, then decide
            self._head_timer = self.loop.call_later(_GRACE, self._head_timeout)
            return
        if self._head_bytes == 0:
            self.transport.close()  # nothing was sent: nothing to answer
            return
        _refusals.warning(f"request refused: its head took over {self.header_timeout:g} s")
        message = f"The request line and headers took longer than {self.header_timeout:g} s"
        self._refuse(_Refusal(408, message), Refusal.HEADER_TIMEOUT)

    # --- between requests -------------------------------------------------------------

    def timeout_keep_alive_handler(self) -> None:
        """uvicorn closes a connection idle for `timeout_keep_alive`. But a busy event loop
        may run that timer before it reads a request that arrived in time (uvloop runs due
        timers before it polls), and closing a socket with unread bytes resets it: the
        client gets ECONNRESET for a request it sent on an open connection. So such a
        connection is read first; the timer looks again a moment later."""
        pending = not self._idle_graced and not self.transport.is_closing()
        if pending and _has_input(self.transport):
            self._idle_graced = True
            self.timeout_keep_alive_task = self.loop.call_later(
                _GRACE, self.timeout_keep_alive_handler
            )
            return
        super().timeout_keep_alive_handler()


# --- the server -------------------------------------------------------------------------


def forwarded_allow_ips(server: Server) -> list[str]:
    """`trusted_proxies`, checked: each an IP address, a network (`10.0.0.0/8`) or `*`."""
    for entry in server.trusted_proxies:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"GATEWAY_TRUSTED_PROXIES: {entry!r} is not an IP address, a network or *"
            ) from None
    return list(server.trusted_proxies)


def config(app: Any, *, host: str, port: int, server: Server, **options: Any) -> GatewayConfig:
    """The uvicorn configuration every way of serving the gateway uses."""
    trusted = forwarded_allow_ips(server)
    return GatewayConfig(
        app,
        server=server,
        host=host,
        port=port,
        http=GatewayHttpProtocol,
        limit_concurrency=server.limit_concurrency,
        # uvicorn annotates int; it only hands the value to call_later, which takes float.
        timeout_keep_alive=server.timeout_keep_alive,
        # No trusted proxy: no proxy headers at all (and FORWARDED_ALLOW_IPS is ignored).
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_config=None,  # the gateway configures logging (gateway/ops/logs.py)
        **options,
    )


def run(app: Any, *, host: str, port: int, server: Server, workers: int = 1, **options: Any) -> int:
    """Serve `app` (an ASGI app, or with `workers` > 1 an import string) until stopped;
    the exit status."""
    limit = fit_open_files(server.limit_concurrency)
    server = replace(server, limit_concurrency=limit)
    settings = config(app, host=host, port=port, server=server, workers=workers, **options)
    if workers > 1:
        # Named in the environment before the first worker starts: each inherits it.
        with shared_metrics(os.environ) as shared:
            log.info(
                "the metrics of the %d workers are kept in %s, removed at exit",
                workers,
                shared.directory,
            )
            _Workers(settings, [settings.bind_socket()], gone=shared.process_gone).run()
        return 0
    tune_collector()  # (each worker tunes its own: gateway.cli.worker_app)
    served = uvicorn.Server(settings)
    served.run()
    return 0 if served.started else _STARTUP_FAILURE


class _Workers(Multiprocess):
    """uvicorn's supervisor of the worker processes, telling `gone` the pid of each one
    it retires or replaces (dead, hung, SIGHUP, SIGTTOU)."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], gone: Callable[[int], None]
    ) -> None:
        super().__init__(config, sockets)
        self._gone = gone

    def keep_subprocess_alive(self) -> None:
        before = self._pids()
        super().keep_subprocess_alive()
        self._reap(before)

    def handle_signals(self) -> None:
        before = self._pids()
        super().handle_signals()
        self._reap(before)

    def _pids(self) -> set[int]:
        return {process.pid for process in self.processes if process.pid is not None}

    def _reap(self, before: set[int]) -> None:
        for pid in before - self._pids():
            self._gone(pid)


def fit_open_files(limit_concurrency: int) -> int:
    """The soft limit of open files raised to the hard limit when it is below what
    `limit_concurrency` connections need (said in the log); when even the hard limit is
    too low, the connection limit lowered to fit (warned), so that a connection past it
    is still accepted and answered 503 rather than failing for want of a descriptor."""
    try:
        import resource
    except ImportError:  # not on this platform
        return limit_concurrency
    needed = limit_concurrency + RESERVED_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return limit_concurrency
    target = hard if hard != resource.RLIM_INFINITY else max(needed, 1_048_576)
    try:
        if target <= soft:
            raise ValueError("the hard limit is no higher")
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    else:
        log.info(
            "open files limit raised from %d to %d (GATEWAY_LIMIT_CONCURRENCY=%d needs about %d)",
            soft,
            target,
            limit_concurrency,
            needed,
        )
    if target >= needed:
        return limit_concurrency
    fitted = max(1, min(limit_concurrency, target - RESERVED_DESCRIPTORS, target // 2))
    log.warning(
        "only %d open files are allowed (hard limit %d) but GATEWAY_LIMIT_CONCURRENCY=%d needs "
        "about %d: serving at most %d connections at once. Raise the hard limit (ulimit -Hn, "
        "docker run --ulimit nofile=...) or lower GATEWAY_LIMIT_CONCURRENCY",
        target,
        hard,
        limit_concurrency,
        needed,
        fitted,
    )
    return fitted
