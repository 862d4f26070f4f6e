"""CPU per request of this working tree against another revision, for levers too small for
wrk to resolve (the host's speed drifts by more than a few percent between runs).

    python -m tests.benchmarks.ab HEAD~1
    python -m tests.benchmarks.ab main --scenarios page --vendors kitchen --requests 500

Starts one sandbox and two gateways on 127.0.0.1 (this tree, and REV checked out in a
temporary git worktree, each as in production), sends them the same request in turn, one at
a time, and reads each gateway's CPU time from /proc: both see the same drift, so their
ratio holds. Everything started is stopped on the way out, and the worktree removed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.benchmarks.bench import (
    ROOT,
    SANDBOX_READY,
    SCENARIOS,
    VENDORS,
    Process,
    Processes,
    Sandbox,
    _list,
    child_env,
    cpu_seconds,
    free_port,
    gateway_command,
    request_for,
    start_sandbox,
    wait_ready,
)

WARMUP = 200


def _gateways(processes: Processes, sandbox_port: int, old_tree: Path) -> tuple[Process, Process]:
    env = child_env(sandbox_port)
    command = gateway_command()
    started = []
    for name, cwd in (("new", ROOT), ("old", old_tree)):
        port = free_port()
        # `python -m gateway` from `cwd` imports that tree's package before the installed one.
        started.append(processes.start(name, [*command, str(port)], port, env, cwd=cwd))
    for process in started:
        wait_ready(process, "/", processes.log_dir)
    return started[0], started[1]


def compare(
    gateways: Sequence[Process], sandbox: Sandbox, scenario: str, vendor: str, requests: int
) -> list[float]:
    """CPU ms per request of each gateway, over `requests` requests each, sent in turn."""
    path, body = request_for("gateway", scenario, vendor)
    headers = {"content-type": "application/json"}
    with httpx.Client(headers=headers, timeout=30, trust_env=False) as client:

        def send(process: Process) -> None:
            client.post(process.origin + path, content=body).raise_for_status()

        for process in gateways:
            for _ in range(WARMUP):
                send(process)
        sandbox.forget_requests()
        before = [cpu_seconds(process.pid) for process in gateways]
        for index in range(requests):
            # Which one goes first alternates: the second request of a pair meets warmer caches.
            for process in gateways if index % 2 else reversed(gateways):
                send(process)
            if index % 1000 == 999:
                sandbox.forget_requests()  # the emulators log every request
        after = [cpu_seconds(process.pid) for process in gateways]
    sandbox.forget_requests()
    return [(b - a) * 1000 / requests for a, b in zip(before, after, strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.ab", description=__doc__.splitlines()[0]
    )
    parser.add_argument("rev", help="the revision to compare this working tree with")
    parser.add_argument("--scenarios", type=_list(str, SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--vendors", type=_list(str, VENDORS), default=list(VENDORS))
    parser.add_argument("--requests", type=int, default=2000, help="per gateway and case")
    args = parser.parse_args(argv)
    processes = Processes(ROOT / "test-artifacts")
    processes.log_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ab-") as scratch:
        old_tree = Path(scratch) / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old_tree), args.rev], cwd=ROOT, check=True
        )
        sandbox: Sandbox | None = None
        try:
            sandbox_process = start_sandbox(processes, "ab-sandbox")
            wait_ready(sandbox_process, SANDBOX_READY, processes.log_dir)
            sandbox = Sandbox(sandbox_process)
            new, old = _gateways(processes, sandbox_process.port, old_tree)
            print(f"CPU ms per request, this tree vs {args.rev} ({args.requests} requests each)")
            for scenario in args.scenarios:
                for vendor in args.vendors:
                    mine, theirs = compare((new, old), sandbox, scenario, vendor, args.requests)
                    print(
                        f"{scenario:14} {vendor:8} {mine:7.3f} vs {theirs:7.3f}  "
                        f"({(mine / theirs - 1) * 100:+.1f}%)",
                        flush=True,
                    )
        finally:
            if sandbox is not None:
                sandbox.close()
            processes.stop_all()
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=False
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
