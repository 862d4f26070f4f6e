"""What each hostile request costs the gateway, and what its caller saw: wall time, how
much the process's peak RSS grew, and the HTTP status with the first error code, for this
tree and (optionally) another revision, side by side.

    python -m tests.benchmarks.hostile                # this tree
    python -m tests.benchmarks.hostile 86bb6be        # this tree, then that revision

The attacks, each one request or a short burst against /graphql or /readyz:
- documents: fragments that each spread the next twice (20 and 40 levels); 20 aliased
  `invoice` fields of 20 aliased `lineItems` each; 30 aliased pages of 100 invoices;
- decimals past any sense (1e900000000 as a quantity, price, tax rate or discount
  percentage; 1e30 as a price) in `updateInvoice`;
- `nodes(ids:)` with 40,000 Kantata IDs, and with 400 Kitchen IDs;
- bodies: JSON nested 100,000 deep (as the variables' value, and as the body itself), an
  integer of 5,000 digits in the variables; a cursor that is not a number (`kantata:²`);
- bursts: /readyz 500 times (with the gateway's CPU ms per call, from /proc); a large query
  answer 60 times, each with its own `Idempotency-Key`; 2,000 automatic persisted queries,
  each registering its own 5 KB document (every tenth one does not parse).

Each build runs as its own process on the sandbox (the revision from a temporary git
worktree), one fresh process per attack so one attack's growth does not hide the next's.
A request (or a burst) that takes longer than the timeout is reported as "timeout" and its
process killed; an attack that fails any other way is reported with its exception, and the
others still run. Only loopback is used; everything started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks.bench import cpu_seconds
from tests.server import free_port

ROOT = Path(__file__).resolve().parents[2]
KITCHEN_DRAFT = "kitchen:invoice:in_14b07ae04d0ff853c351b3cc"
KANTATA_INVOICE = "kantata:invoice:101"
UPDATE = """mutation($input: UpdateInvoiceInput!, $dryRun: Boolean! = false) {
  updateInvoice(input: $input, dryRun: $dryRun) {
  invoice { id } userErrors { code message } } }"""
# A page of Kantata invoices with their lines: an answer of about 60 KB.
LARGE_ANSWER = """query { invoices(vendor: KANTATA, first: 100) { nodes {
  id number title status issueDate dueDate currency notes
  total { amount currency } balance { amount currency }
  lineItems { id kind title description quantity
    unitPrice { amount currency } amount { amount currency } } } } }"""
JSON_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class Target:
    """A gateway under attack: where it listens, its process, and how long to wait."""

    client: httpx.Client
    url: str
    pid: int
    timeout: float


# An attack returns what its caller saw, e.g. "200 LIMIT_EXCEEDED".
Attack = Callable[[Target], str]


class BurstTimeout(Exception):
    """A burst did not finish within the timeout."""


def _code(error: object) -> str:
    """An error's `extensions.code`, else (GraphQL's own errors have none) a short message."""
    if not isinstance(error, dict):
        return "error"
    extensions = error.get("extensions")
    if isinstance(extensions, dict) and extensions.get("code"):
        return str(extensions["code"])
    message = str(error.get("message", "error"))
    if message.startswith("Variable '$"):
        return "invalid variable (no code)"
    return message[:40]


def _user_error(data: object) -> str | None:
    """The first `userErrors` code anywhere in `data`."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "userErrors" and isinstance(value, list) and value:
                first = value[0]
                return str(first.get("code", "userErrors")) if isinstance(first, dict) else "?"
            found = _user_error(value)
            if found:
                return found
    if isinstance(data, list):
        for item in data:
            found = _user_error(item)
            if found:
                return found
    return None


def _saw(response: httpx.Response) -> str:
    """The status and the first error code (GraphQL's, then a mutation's), or "ok"."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} (not JSON)"
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        return f"{response.status_code} {_code(errors[0])}"
    if isinstance(body, dict):
        return f"{response.status_code} {_user_error(body.get('data')) or 'ok'}"
    return f"{response.status_code} ok"


def _tally(seen: list[str]) -> str:
    """Bursts: each outcome with how many times it was seen, most frequent first."""
    return ", ".join(f"{what} x{count}" for what, count in Counter(seen).most_common())


def _graphql(target: Target, query: str, variables: dict[str, object] | None = None) -> str:
    response = target.client.post(
        f"{target.url}/graphql",
        json={"query": query, "variables": variables or {}},
        timeout=target.timeout,
    )
    return _saw(response)


def _raw(target: Target, body: str) -> str:
    """A body sent as it is: JSON no encoder would produce."""
    response = target.client.post(
        f"{target.url}/graphql", content=body, headers=JSON_HEADERS, timeout=target.timeout
    )
    return _saw(response)


def _burst(target: Target, count: int, send: Callable[[int], str]) -> str:
    """`send(0)` .. `send(count - 1)` in turn, all within the timeout; the outcomes tallied."""
    deadline = time.monotonic() + target.timeout
    seen = []
    for index in range(count):
        if time.monotonic() > deadline:
            raise BurstTimeout(f"after {index} of {count}")
        seen.append(send(index))
    return _tally(seen)


def _update(target: Target, fields: dict[str, object], dry_run: bool = False) -> str:
    return _graphql(target, UPDATE, {"input": {"id": KITCHEN_DRAFT, **fields}, "dryRun": dry_run})


def _line(quantity: str, price: str) -> dict[str, object]:
    return {"lineItems": [{"title": "t", "quantity": quantity, "unitPrice": price}]}


def _nodes(target: Target, ids: list[str]) -> str:
    return _graphql(target, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})


def _fragments(target: Target, levels: int) -> str:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...: 2**levels fields once expanded."""
    spreads = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    last = f"fragment F{levels} on Query {{ __typename }}"
    return _graphql(target, "\n".join(["query { ...F0 }", *spreads, last]))


def _aliased_lines(target: Target) -> str:
    """20 aliased invoices of 20 aliased line lists: pairs to merge by the hundred thousand."""
    lines = " ".join(f"l{j}: lineItems {{ id }}" for j in range(20))
    invoices = " ".join(f'i{i}: invoice(id: "{KANTATA_INVOICE}") {{ {lines} }}' for i in range(20))
    return _graphql(target, f"query {{ {invoices} }}")


def _aliased_pages(target: Target) -> str:
    pages = " ".join(
        f"p{i}: invoices(vendor: KANTATA, first: 100) {{ nodes {{ id }} }}" for i in range(30)
    )
    return _graphql(target, f"query {{ {pages} }}")


def _cursor(target: Target) -> str:
    """A cursor whose position is a digit to str.isdigit() and not to int()."""
    after = base64.urlsafe_b64encode("kantata:²".encode()).decode().rstrip("=")
    query = """query($after: String) {
      invoices(vendor: KANTATA, first: 5, after: $after) { nodes { id } } }"""
    return _graphql(target, query, {"after": after})


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_variables(target: Target) -> str:
    return _raw(target, '{"query": "{ __typename }", "variables": {"v": ' + _deep(100_000) + "}}")


def _huge_integer(target: Target) -> str:
    query = "query($first: Int!) { invoices(vendor: KANTATA, first: $first) { nodes { id } } }"
    body = json.dumps({"query": query, "variables": {"first": 0}})
    return _raw(target, body.replace('"first": 0', '"first": ' + "7" * 5_000))


def _readyz(target: Target) -> str:
    """/readyz 500 times in a row, with the gateway's CPU time per call."""
    before = cpu_seconds(target.pid)
    seen = _burst(
        target,
        500,
        lambda _: str(
            target.client.get(f"{target.url}/readyz", timeout=target.timeout).status_code
        ),
    )
    spent = cpu_seconds(target.pid) - before
    return f"{seen}; {spent * 1000 / 500:.2f} ms CPU/call"


def _idempotent_queries(target: Target) -> str:
    """A 60 KB query answer 60 times, each with its own key: kept 60 times, or never."""

    def send(index: int) -> str:
        response = target.client.post(
            f"{target.url}/graphql",
            json={"query": LARGE_ANSWER},
            headers={"idempotency-key": f"hostile-{index}"},
            timeout=target.timeout,
        )
        stored = response.headers.get("idempotent-stored")
        return _saw(response) + (f" (stored: {stored})" if stored else "")

    return _burst(target, 60, send)


def _persisted_queries(target: Target) -> str:
    """2,000 documents of 5 KB registered with their right hashes; every tenth one does
    not parse."""
    padding = "#" + "x" * 5_000

    def send(index: int) -> str:
        close = "" if index % 10 == 9 else "}"
        document = f"query Q{index} {{ __typename {close}\n{padding}"
        sha256 = hashlib.sha256(document.encode()).hexdigest()
        response = target.client.post(
            f"{target.url}/graphql",
            json={
                "query": document,
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}},
            },
            timeout=target.timeout,
        )
        return _saw(response)

    return _burst(target, 2_000, send)


ATTACKS: dict[str, Attack] = {
    "fragments spread twice, 20 levels": lambda t: _fragments(t, 20),
    "fragments spread twice, 40 levels": lambda t: _fragments(t, 40),
    "20 invoices x 20 aliased lineItems": _aliased_lines,
    "30 aliased pages of 100 invoices": _aliased_pages,
    "price 1e900000000": lambda t: _update(t, _line("1", "1e900000000")),
    "quantity 1e900000000": lambda t: _update(t, _line("1e900000000", "1")),
    "quantity 1e90000000, dry run": lambda t: _update(t, _line("1e90000000", "1"), dry_run=True),
    "tax rate 1e900000000": lambda t: _update(
        t, {"taxes": [{"title": "x", "rate": "1e900000000"}]}
    ),
    "discount 1e900000000 percent": lambda t: _update(
        t, {"discounts": [{"title": "d", "amount": "1e900000000", "type": "PERCENTAGE"}]}
    ),
    "price 1e30": lambda t: _update(t, _line("1", "1e30")),
    "nodes: 40,000 Kantata IDs": lambda t: _nodes(
        t, [f"kantata:invoice:{n}" for n in range(1, 40_001)]
    ),
    "nodes: 400 Kitchen IDs": lambda t: _nodes(
        t, [f"kitchen:invoice:in_{n:024x}" for n in range(400)]
    ),
    "JSON 100,000 deep in variables": _deep_variables,
    "JSON 100,000 deep as the body": lambda t: _raw(t, _deep(100_000)),
    "5,000-digit integer in variables": _huge_integer,
    "cursor kantata:²": _cursor,
    "/readyz x500": _readyz,
    "Idempotency-Key on a 60 KB query x60": _idempotent_queries,
    "APQ: 2,000 distinct 5 KB documents": _persisted_queries,
}


@dataclass(frozen=True)
class Figures:
    took: str
    grew: str
    saw: str


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
                if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, process
    finally:
        process.kill()
        process.wait(timeout=10)


def _attack(attack: Attack, target: Target) -> str:
    """What the caller saw; a timeout or any other failure is reported, not raised."""
    try:
        return attack(target)
    except (httpx.TimeoutException, BurstTimeout) as exc:
        return f"timeout {exc}" if isinstance(exc, BurstTimeout) else "timeout"
    except Exception as exc:  # an old build may answer anything: report it, go on
        return f"{type(exc).__name__}: {exc}"[:60]


def measure(cwd: Path, timeout: float, label: str = "this tree") -> dict[str, Figures]:
    figures = {}
    for name, attack in ATTACKS.items():
        with (
            _gateway(cwd) as (url, process),
            httpx.Client(trust_env=False) as client,
        ):
            before = _peak(process.pid)
            started = time.monotonic()
            saw = _attack(attack, Target(client, url, process.pid, timeout))
            took = time.monotonic() - started
            grew = (_peak(process.pid) - before) / 2**20
            if process.poll() is not None:
                saw += f" (gateway exited {process.returncode})"
        figures[name] = Figures(
            f"> {timeout:.0f} s" if saw.startswith("timeout") else f"{took:.3f} s",
            f"+{grew:.1f} MiB",
            saw,
        )
        done = figures[name]
        print(f"{label}: {name}: {done.took}, {done.grew}, {done.saw}", file=sys.stderr)
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


def _table(results: dict[str, dict[str, Figures]]) -> list[str]:
    """One row per attack; for each build its time, RSS growth and what the caller saw."""
    header = ["attack"]
    for label in results:
        header += [f"{label}: time", "RSS", "saw"]
    rows = [header]
    for name in ATTACKS:
        row = [name]
        for figures in results.values():
            row += [figures[name].took, figures[name].grew, figures[name].saw]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {i for i in range(1, len(header)) if i % 3 != 0}  # time and RSS: numbers
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("revision", nargs="?", help="also measure this git revision")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds per attack (a burst: in all)"
    )
    args = parser.parse_args(argv)
    results = {"this tree": measure(ROOT, args.timeout)}
    if args.revision:
        with _worktree(args.revision) as tree:
            results[args.revision] = measure(tree, args.timeout, args.revision)
    print("\n".join(_table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
