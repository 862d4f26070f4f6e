"""/metrics under `invoice-gateway serve --workers 2`: one view whichever worker answers
the scrape, the counters of both workers added up, a worker that dies leaving its counts
but not its breakers, and the metrics directory gone when the server stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.sandbox import create_sandbox_app
from tests.gateway.queries import KANTATA_DRAFT
from tests.hostile.harness import wait_until_ready
from tests.server import free_port, on_the_sandbox, serve

# Serves the gateway and the sandbox on loopback ports.
pytestmark = pytest.mark.e2e

READ = {"query": f'{{ invoice(id: "{KANTATA_DRAFT}") {{ number }} }}'}
OK = {"root_field": "invoice", "type": "query", "outcome": "ok"}
GET = {"vendor": "kantata", "method": "GET", "endpoint": "/invoices/{id}"}
Key = tuple[str, tuple[tuple[str, str], ...]]


def key(name: str, **labels: str) -> Key:
    return name, tuple(sorted(labels.items()))


@dataclass
class Workers:
    url: str
    process: subprocess.Popen[bytes]
    tmp: Path  # the server's TMPDIR: its metrics directory is made there

    def metrics_directory(self) -> Path:
        (directory,) = self.tmp.glob("invoice-gateway-metrics-*")
        return directory

    def pids(self) -> set[int]:
        """The workers that have kept counters (one file each, named by pid)."""
        return {int(f.stem.split("_")[1]) for f in self.metrics_directory().glob("counter_*.db")}

    def operations_of(self, pid: int) -> float:
        """Operations counted by one worker alone, read from its own file."""
        path = str(self.metrics_directory() / f"counter_{pid}.db")
        metrics = [m for m in MultiProcessCollector.merge([path]) if m.name == "gateway_operations"]
        samples = [s for m in metrics for s in m.samples]
        return sum(s.value for s in samples if s.labels == OK)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    sandbox_app = Starlette(routes=[Mount("/sandbox", app=create_sandbox_app())])
    with serve(sandbox_app) as sandbox:
        port = free_port()
        env = on_the_sandbox(sandbox, TMPDIR=str(tmp_path / "tmp"))
        (tmp_path / "tmp").mkdir()
        with open(tmp_path / "serve.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ready(process, url)
            yield Workers(url, process, tmp_path / "tmp")
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def scrape(url: str) -> dict[Key, float]:
    # A connection of its own each time: any worker may answer.
    response = httpx.get(f"{url}/metrics", headers={"Connection": "close"})
    assert response.status_code == 200
    return {
        key(s.name, **s.labels): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def read(url: str) -> None:
    response = httpx.post(f"{url}/graphql", json=READ, headers={"Connection": "close"})
    assert response.status_code == 200 and "errors" not in response.json(), response.text


def breakers(m: dict[Key, float]) -> float:
    """Kantata breakers at the configured host, closed: one per worker that called it."""
    closed = key("gateway_circuit_breakers", vendor="kantata", host="configured", state="closed")
    return m.get(closed, 0.0)


def test_one_view_of_the_metrics_across_two_workers(workers: Workers) -> None:
    url, sent = workers.url, 0
    # Concurrent requests, each on a new connection, until both workers have served some.
    with ThreadPoolExecutor(8) as pool:
        while len([p for p in workers.pids() if workers.operations_of(p)]) < 2:
            assert sent < 800, "one worker served every request"
            list(pool.map(lambda _: read(url), range(16)))
            sent += 16
    pids = workers.pids()
    shares = {pid: workers.operations_of(pid) for pid in pids}
    assert len(pids) == 2 and all(shares.values()) and sum(shares.values()) == sent

    for _ in range(10):  # whichever worker answers, the same totals: both workers' sum
        m = scrape(url)
        assert m[key("gateway_operations_total", **OK)] == sent
        # Each read sent its vendor request or joined one in flight in its worker.
        shared = m.get(key("gateway_upstream_shared_total", vendor="kantata"), 0)
        called = m[key("gateway_upstream_requests_total", **GET, status="200")]
        assert called + shared == sent
        assert m[key("gateway_upstream_request_duration_seconds_count", **GET)] == called
        assert m[key("gateway_refusals_total", reason="csrf")] == 0
        assert breakers(m) == 2
        assert not [name for name, _ in m if name.endswith("_created")]

    # A worker killed: uvicorn starts another; its counts stay, its breaker no longer counts.
    dead = min(pids)
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while breakers(scrape(url)) != 1 or len(workers.pids()) != 3:
        assert time.monotonic() < deadline, "no new worker, or the dead one's breaker counts"
        time.sleep(0.2)
    assert scrape(url)[key("gateway_operations_total", **OK)] == sent
    every = workers.pids()  # the first two, and the dead one's replacement

    directory = workers.metrics_directory()
    workers.process.terminate()
    assert workers.process.wait(timeout=30) == 0
    assert not directory.exists()
    assert list(workers.tmp.iterdir()) == []
    for pid in every:  # no worker left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
