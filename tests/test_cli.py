"""The README's serve command, as a real process on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from gateway.app import pacing_summary
from gateway.cli import WORKERS_ENV, worker_app
from gateway.http import serving
from gateway.settings import Server, SettingsError
from gateway.vendors.registry import default_registry
from tests.benchmarks.bench import process_tree
from tests.server import free_port

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

CREDENTIAL_VARIABLES = {"KANTATA_TOKEN", "KITCHEN_TOKEN", "KITCHEN_WORKSPACE", "GATEWAY_SANDBOX"}


class Running:
    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid
        self.output = ""


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES} | (env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    run = Running(url, process.pid)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz" if args[0] == "serve" else url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the process did not start") from None
                time.sleep(0.1)
        yield run
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    run.output = output


def test_serve_on_a_fresh_machine_answers_on_the_sandbox() -> None:
    with running("serve") as run:
        url = run.url
        query = (
            '{ invoice(id: "kitchen:invoice:in_14b07ae04d0ff853c351b3cc") '
            "{ number createdBy { name } } }"
        )
        response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=10)
        assert response.json() == {
            "data": {"invoice": {"number": "FP-00018", "createdBy": {"name": "Maya Lindqvist"}}}
        }
        assert (
            "graphiql" in httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}).text.lower()
        )
    assert "SANDBOX MODE" in run.output


def test_the_sandbox_command_serves_the_emulators_alone() -> None:
    with running("sandbox") as run:
        url = run.url
        response = httpx.get(
            f"{url}/sandbox/kantata/api/v1/invoices/101",
            headers={"Authorization": "Bearer sandbox-kantata-token"},
            timeout=10,
        )
        assert response.json()["results"] == [{"key": "invoices", "id": "101"}]
        assert httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}).status_code == 404


# --- how the gateway is served (gateway/http/serving.py) -------------------------------------


def test_uvicorn_gets_every_server_setting() -> None:
    server = Server(limit_concurrency=7, timeout_keep_alive=2.5, header_timeout=1.5)
    config = serving.config(object(), host="127.0.0.1", port=1, server=server)
    assert config.http is serving.GatewayHttpProtocol
    assert config.limit_concurrency == 7
    assert config.timeout_keep_alive == 2.5
    assert config.header_timeout == 1.5
    assert config.log_config is None


def test_no_proxy_is_trusted_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn's own default trusts 127.0.0.1 (or FORWARDED_ALLOW_IPS): not the gateway's.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    config = serving.config(object(), host="127.0.0.1", port=1, server=Server())
    assert config.proxy_headers is False
    trusted = Server(trusted_proxies=("10.0.0.2", "10.1.0.0/16", "::1"))
    config = serving.config(object(), host="127.0.0.1", port=1, server=trusted)
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["10.0.0.2", "10.1.0.0/16", "::1"]


@pytest.mark.parametrize("entry", ["10.0.0.300", "proxy.internal", "10.0.0.0/33", ""])
def test_a_trusted_proxy_must_be_an_address_or_a_network(entry: str) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_TRUSTED_PROXIES"):
        serving.forwarded_allow_ips(Server(trusted_proxies=(entry,)))


def test_a_low_open_files_limit_is_raised_to_the_hard_limit() -> None:
    script = (
        "import logging, resource\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "from gateway.http.serving import fit_open_files\n"
        "assert fit_open_files(1000) == 1000\n"
        "print(*resource.getrlimit(resource.RLIMIT_NOFILE))\n"
    )

    def low_soft_limit() -> None:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    done = subprocess.run(
        [sys.executable, "-c", script],
        preexec_fn=low_soft_limit,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    soft, hard = done.stdout.split()
    assert soft == hard
    assert "open files limit raised from 256" in done.stderr


def test_serve_refuses_an_untrusted_proxy_setting() -> None:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", str(free_port())],
        env={**env, "GATEWAY_TRUSTED_PROXIES": "10.0.0.1, my-proxy"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "'my-proxy' is not an IP address" in done.stderr


def _half_a_head_is_answered_408(url: str) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        return sock.recv(200)


def test_serve_applies_the_header_timeout() -> None:
    with running("serve", env={"GATEWAY_HEADER_TIMEOUT": "0.5"}) as run:
        answer = _half_a_head_is_answered_408(run.url)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout")


def test_serve_with_workers_applies_the_server_settings() -> None:
    from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO

    env = {
        "GATEWAY_SANDBOX": "false",
        "KANTATA_TOKEN": DEMO.kantata_token,
        "GATEWAY_HEADER_TIMEOUT": "0.5",
        "GATEWAY_RATE_LIMIT": "2",
    }
    with running("serve", "--workers", "2", env=env) as run:
        started = time.monotonic()
        answer = _half_a_head_is_answered_408(run.url)
        assert time.monotonic() - started < 5
        # No trusted proxy: X-Forwarded-For changes nothing (one worker's own counter).
        statuses = {
            httpx.post(
                f"{run.url}/graphql",
                json={"query": "{ __typename }"},
                headers={"X-Forwarded-For": f"203.0.113.{i}", "Connection": "close"},
            ).status_code
            for i in range(8)
        }
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout")
    assert 429 in statuses


def test_a_hard_limit_too_low_lowers_the_connection_limit_to_fit() -> None:
    script = (
        "import logging, resource\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))\n"
        "from gateway.http.serving import fit_open_files\n"
        "print(fit_open_files(1000))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "512"
    assert "serving at most 512 connections at once" in done.stderr


def test_a_get_s_query_and_variables_never_reach_the_access_log() -> None:
    secret = "variable-secret-4f1c"
    with running("serve") as run:
        response = httpx.get(
            f"{run.url}/graphql",
            params={
                "query": "query($id: ID!) { invoice(id: $id) { id } }",
                "variables": json.dumps({"id": f"kantata:invoice:1{secret}"}),
            },
            headers={"Accept": "application/json", "GraphQL-Require-Preflight": "1"},
        )
        assert response.status_code == 200, response.text
    assert secret not in run.output
    lines = [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert ("GET", "/graphql", 200) in [(a["method"], a["path"], a["status"]) for a in access]


def test_the_sandbox_command_logs_as_serve_does() -> None:
    with running("sandbox") as run:
        httpx.get(f"{run.url}/sandbox/kantata/api/v1/invoices?only=101")
    lines = [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert ("GET", "/sandbox/kantata/api/v1/invoices") in [(a["method"], a["path"]) for a in access]


def _unlimited_cores() -> int:
    """This machine's CPUs when no cgroup quota lowers them (else the test is skipped)."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as file:
            if not file.read().startswith("max "):
                pytest.skip("a cgroup CPU limit applies here")
    except OSError:
        pass
    return len(os.sched_getaffinity(0))


def test_serve_with_real_vendors_runs_one_worker_per_core_and_says_so() -> None:
    from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO

    cores = _unlimited_cores()
    env = {"GATEWAY_SANDBOX": "false", "KANTATA_TOKEN": DEMO.kantata_token}
    with running("serve", env=env) as run:
        # uvicorn's worker processes, not multiprocessing's resource tracker beside them
        workers = [pid for pid in process_tree(run.pid) if "spawn_main" in " ".join(_cmdline(pid))]
    plural = "es" if cores != 1 else ""
    assert (
        f"{cores} worker process{plural} (--workers auto: one per core; {cores} CPU" in run.output
    )
    if cores > 1:  # uvicorn's supervisor and one child per worker
        assert len(workers) == cores
    else:
        assert workers == []


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().decode().split("\0")[:-1]
    except OSError:
        return []


def test_serve_on_the_sandbox_runs_one_worker_and_says_so() -> None:
    with running("serve") as run:
        pass
    assert "1 worker process (--workers auto: one on the embedded sandbox)" in run.output


@pytest.mark.parametrize("workers", ["0", "-2", "two", "1.5", ""])
def test_serve_refuses_a_worker_count_that_is_not_auto_or_a_whole_number(workers: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--workers", workers],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--workers: expected `auto`" in done.stderr


def test_each_worker_paces_at_its_share_of_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith(("GATEWAY_", "KANTATA_", "KITCHEN_"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("KANTATA_MAX_RATE", "10")
    monkeypatch.setenv(WORKERS_ENV, "4")
    # Not this test process's logging: the worker's own would replace its handlers.
    monkeypatch.setattr("gateway.ops.logs.configure_logging", lambda *_: None)
    app = worker_app()
    pacer = app.state.pacer  # type: ignore[attr-defined]
    assert pacer.rate("kantata") == 2.5
    assert pacer.rate("kitchen") is None
    registry = default_registry()
    assert pacing_summary(pacer, registry, 4) == (
        "kantata at most 10 requests a second per credential (each of 4 workers: 2.5); "
        "kitchen unpaced"
    )
