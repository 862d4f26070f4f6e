"""What each hostile request costs the gateway: wall time, and how much the process's peak
RSS grew, for this tree and (optionally) another revision, side by side.

    python -m tests.benchmarks.hostile                # this tree
    python -m tests.benchmarks.hostile 86bb6be        # this tree, then that revision

Each build runs as its own process on the sandbox (the revision from a temporary git
worktree), one fresh process per attack so one attack's growth does not hide the next's.
An attack that takes longer than its timeout is reported as such and its process killed.
Only loopback is used; everything started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.server import free_port

ROOT = Path(__file__).resolve().parents[2]
KITCHEN_DRAFT = "kitchen:invoice:in_14b07ae04d0ff853c351b3cc"
UPDATE = """mutation($input: UpdateInvoiceInput!, $dryRun: Boolean! = false) {
  updateInvoice(input: $input, dryRun: $dryRun) {
  invoice { id } userErrors { code message } } }"""


def _update(url: str, fields: dict[str, object], timeout: float, dry_run: bool = False) -> None:
    httpx.post(
        f"{url}/graphql",
        json={
            "query": UPDATE,
            "variables": {"input": {"id": KITCHEN_DRAFT, **fields}, "dryRun": dry_run},
        },
        timeout=timeout,
    )


def _nodes(url: str, ids: list[str], timeout: float) -> None:
    httpx.post(
        f"{url}/graphql",
        json={
            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": ids},
        },
        timeout=timeout,
    )


ATTACKS: dict[str, Callable[[str, float], None]] = {
    "price 1e900000000": lambda url, t: _update(
        url, {"lineItems": [{"title": "t", "quantity": "1", "unitPrice": "1e900000000"}]}, t
    ),
    "quantity 1e900000000": lambda url, t: _update(
        url, {"lineItems": [{"title": "t", "quantity": "1e900000000", "unitPrice": "1"}]}, t
    ),
    "quantity 1e90000000, dry run": lambda url, t: _update(
        url,
        {"lineItems": [{"title": "t", "quantity": "1e90000000", "unitPrice": "1"}]},
        t,
        dry_run=True,
    ),
    "tax rate 1e900000000": lambda url, t: _update(
        url, {"taxes": [{"title": "x", "rate": "1e900000000"}]}, t
    ),
    "price 1e30": lambda url, t: _update(
        url, {"lineItems": [{"title": "t", "quantity": "1", "unitPrice": "1e30"}]}, t
    ),
    "nodes: 40,000 Kantata IDs": lambda url, t: _nodes(
        url, [f"kantata:invoice:{n}" for n in range(1, 40_001)], t
    ),
    "nodes: 400 Kitchen IDs": lambda url, t: _nodes(
        url, [f"kitchen:invoice:in_{n:024x}" for n in range(400)], t
    ),
}


def _peak(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def _gateway(cwd: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "KANTATA_"))}
    env = {k: v for k, v in env.items() if not k.startswith("KITCHEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(cwd)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, process
    finally:
        process.kill()
        process.wait(timeout=10)


def measure(cwd: Path, timeout: float) -> dict[str, str]:
    figures = {}
    for name, attack in ATTACKS.items():
        with _gateway(cwd) as (url, process):
            before = _peak(process.pid)
            started = time.monotonic()
            try:
                attack(url, timeout)
                took = f"{time.monotonic() - started:8.3f} s"
            except httpx.TimeoutException:
                took = f"> {timeout:.0f} s (timed out)"
            grew = (_peak(process.pid) - before) / 2**20
            figures[name] = f"{took}  +{grew:7.1f} MiB"
    return figures


@contextmanager
def _worktree(revision: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(path), revision], cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                           check=False, capture_output=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", nargs="?", help="also measure this git revision")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per attack")
    args = parser.parse_args(argv)
    results = {"this tree": measure(ROOT, args.timeout)}
    if args.revision:
        with _worktree(args.revision) as tree:
            results[args.revision] = measure(tree, args.timeout)
    width = max(len(name) for name in ATTACKS)
    print(f"{'attack':<{width}}  " + "  ".join(f"{label:>28}" for label in results))
    for name in ATTACKS:
        print(f"{name:<{width}}  " + "  ".join(f"{r[name]:>28}" for r in results.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
