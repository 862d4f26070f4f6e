"""What every hostile-input test measures: the gateway runs in a process of its own (its
memory is read from /proc, not mixed with the test's), the attack must be refused, typed,
within a time budget and a memory budget, and `/healthz` must keep answering another caller
while the attack runs.

Budgets are guards, about 100x what the refusal should cost, so a busy machine cannot trip
them: they catch a blow-up, they do not measure speed (tests/benchmarks/ does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.server import free_port


@dataclass
class Gateway:
    """A gateway process on loopback: its URL and its pid (for /proc)."""

    url: str
    pid: int

    def rss(self) -> int:
        """Resident bytes of the process now."""
        return _status_kib(self.pid, "VmRSS") * 1024

    def peak(self) -> int:
        """The process's peak resident bytes so far (VmHWM)."""
        return _status_kib(self.pid, "VmHWM") * 1024


def _status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {key} for {pid}")


def wait_until_ready(process: subprocess.Popen[Any], url: str, path: str = "/healthz") -> None:
    """Until `url` + `path` answers 200; AssertionError when the process exits first or
    30 s pass."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}{path}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the gateway exited before it answered"
        assert time.monotonic() < deadline, "the gateway did not start within 30 s"
        time.sleep(0.05)


@contextmanager
def served(
    env: Mapping[str, str] | None = None, *args: str, capture: bool = False
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`invoice-gateway serve ARGS` with `env` (and no credentials of this machine's), on a
    free loopback port, not waited for; its output captured when `capture`. Stopped on exit."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "KANTATA_"))}
    clean = {k: v for k, v in clean.items() if not k.startswith("KITCHEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--workers", "1", "--port", str(port), *args],
        env={**clean, "GATEWAY_LOG_FORMAT": "text", **(env or {})},
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def gateway_process(env: Mapping[str, str] | None = None) -> Iterator[Gateway]:
    """`invoice-gateway serve` on the sandbox (unless `env` says otherwise), ready, stopped
    on exit."""
    with served(env) as (process, url):
        wait_until_ready(process, url)
        yield Gateway(url, process.pid)


@dataclass
class Measured:
    """One attack: what it answered, how long it took, how much the process grew."""

    result: Any
    seconds: float
    peak_growth: int  # bytes the process's peak RSS rose by during the attack
    health_checks: int  # /healthz answers seen while the attack ran
    health_worst: float  # the slowest of them, seconds
    notes: list[str] = field(default_factory=list)


def attack(
    gateway: Gateway,
    run: Callable[[], Any],
    *,
    seconds: float,
    memory: int,
    health_within: float = 2.0,
) -> Measured:
    """Run `run` (the attack) while another caller polls `/healthz`; assert the attack took
    at most `seconds`, the process's peak RSS rose by at most `memory` bytes, and every
    health check answered 200 within `health_within` seconds."""
    stop = threading.Event()
    checks: list[float] = []
    failures: list[str] = []

    def poll() -> None:
        with httpx.Client(base_url=gateway.url, timeout=health_within * 5) as client:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    status = client.get("/healthz").status_code
                except httpx.HTTPError as exc:
                    failures.append(type(exc).__name__)
                    status = 0
                took = time.monotonic() - started
                if status != 200:
                    failures.append(f"status {status}")
                checks.append(took)
                stop.wait(0.05)

    before = gateway.peak()
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.monotonic()
    try:
        result = run()
    finally:
        took = time.monotonic() - started
        stop.set()
        poller.join(timeout=30)
    growth = gateway.peak() - before
    worst = max(checks, default=0.0)
    assert took <= seconds, f"the attack took {took:.2f} s (budget {seconds} s)"
    assert growth <= memory, f"the process grew by {growth / 2**20:.1f} MiB"
    assert not failures, f"/healthz failed during the attack: {failures[:3]}"
    assert worst <= health_within, f"/healthz took {worst:.2f} s during the attack"
    return Measured(result, took, growth, len(checks), worst)
