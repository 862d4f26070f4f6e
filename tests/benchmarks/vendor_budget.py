"""Issue 16, "every vendor call spent once": what in-flight de-duplication and upstream rate
shaping save, measured end to end.

    python -m tests.benchmarks.vendor_budget            # about a minute
    python -m tests.benchmarks.vendor_budget --reads 500 --seconds 3   # quicker

Starts, each as its own process group on 127.0.0.1 only (tests/benchmarks/bench.py's
helpers), the sandbox with 50 ms of vendor latency, and the gateway as in production
(`serve --no-sandbox` pointed at the sandbox) once per row:

(a) `--reads` reads of one popular invoice (Kantata 101, every nested field) by
    `--connections` concurrent callers, GATEWAY_UPSTREAM_DEDUP on vs off: vendor calls per
    1,000 reads (the sandbox's request log).
(b) The sandbox limits Kantata to `--rate` requests a second per token (its
    `rate_limit_per_second`, Kantata's 429 with no Retry-After), and callers send reads at
    `--offered` times that rate for `--seconds` (open loop: one every 1/offered s, at most
    `--connections` at once), KANTATA_MAX_RATE off vs at the same rate. Reads are not
    shared in (b) (GATEWAY_UPSTREAM_DEDUP=false): each is a vendor call, as distinct reads
    would be. Counted: the 429s the sandbox answered, the RATE_LIMITED errors callers saw,
    callers' successes, their p50/p99. A third row shapes with a 2 s deadline: the reads
    whose turn would come later are answered RATE_LIMITED at once, unsent.

Every row also has the gateway's CPU ms per request (`/proc`, utime + stime, after the
processes are idle). The asyncio driver runs in this process. Results: a Markdown table on
stdout. Every process started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks.bench import (
    GLOBAL_IDS,
    NESTED,
    SANDBOX_READY,
    SCALARS,
    Process,
    Processes,
    Sandbox,
    child_env,
    cpu_seconds,
    free_port,
    gateway_command,
    settle,
    start_sandbox,
    wait_ready,
)

READ = f"query Read($id: ID!) {{ invoice(id: $id) {{ {SCALARS} {NESTED} }} }}"
BODY = json.dumps({"query": READ, "variables": {"id": GLOBAL_IDS["kantata"]}}).encode()
VENDOR = "kantata"
JSON = {"Content-Type": "application/json"}
# Shaping with a short deadline: the turns that would come later are refused at once.
SHORT = "shaping on, GATEWAY_UPSTREAM_TIMEOUT=2"
LATENCY_MS = 50


@dataclass
class Row:
    part: str
    setting: str
    requests: int = 0
    ok: int = 0
    rate_limited: int = 0  # callers' RATE_LIMITED errors
    other_errors: Counter[str] = field(default_factory=Counter)  # by code
    vendor_calls: int = 0
    vendor_429s: int = 0
    cpu_ms_per_request: float = 0.0
    seconds: float = 0.0  # the load's wall time
    latencies: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _one(client: httpx.AsyncClient, row: Row) -> None:
    began = time.perf_counter()
    response = await client.post(
        "/graphql", content=BODY, headers={"Content-Type": "application/json"}
    )
    row.latencies.append(time.perf_counter() - began)
    row.requests += 1
    errors = response.json().get("errors") if response.status_code == 200 else [{}]
    if not errors:
        row.ok += 1
    elif any(e.get("extensions", {}).get("code") == "RATE_LIMITED" for e in errors):
        row.rate_limited += 1
    else:
        row.other_errors[
            str(errors[0].get("extensions", {}).get("code", response.status_code))
        ] += 1


async def closed_loop(origin: str, total: int, connections: int, row: Row) -> None:
    """`total` reads by `connections` callers, each sending its next when answered."""
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=origin, limits=limits, timeout=60, trust_env=False) as c:
        counter = iter(range(total))

        async def caller() -> None:
            for _ in counter:
                await _one(c, row)

        await asyncio.gather(*(caller() for _ in range(connections)))


async def open_loop(origin: str, per_second: float, seconds: float, cap: int, row: Row) -> None:
    """A read every 1/`per_second` s for `seconds`, at most `cap` in flight."""
    limits = httpx.Limits(max_connections=cap)
    gate = asyncio.Semaphore(cap)
    async with httpx.AsyncClient(base_url=origin, limits=limits, timeout=60, trust_env=False) as c:

        async def sent() -> None:
            async with gate:
                await _one(c, row)

        tasks = []
        start = time.perf_counter()
        for n in range(int(per_second * seconds)):
            delay = start + n / per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(sent()))
        await asyncio.gather(*tasks)


def start_gateway(processes: Processes, sandbox: Process, name: str, **env: str) -> Process:
    port = free_port()
    child = {**child_env(sandbox.port), **env}
    return processes.start(name, [*gateway_command(), str(port)], port, child)


def measure(gateway: Process, sandbox: Sandbox, row: Row, load: Coroutine[Any, Any, None]) -> Row:
    """Runs `load` (a coroutine driving `gateway`) and fills `row` from the sandbox's log
    and the gateway's CPU."""
    settle([gateway.pid, sandbox.process.pid])
    sandbox.forget_requests()
    cpu_before = cpu_seconds(gateway.pid)
    began = time.perf_counter()
    asyncio.run(load)
    row.seconds = time.perf_counter() - began
    settle([gateway.pid])
    row.cpu_ms_per_request = (cpu_seconds(gateway.pid) - cpu_before) * 1000 / max(1, row.requests)
    # Not the readiness checks' HEADs (each gateway's, without a credential).
    recorded = [
        r for r in sandbox.http.get(f"/{VENDOR}/_control/requests").json() if r["method"] != "HEAD"
    ]
    row.vendor_calls = len(recorded)
    row.vendor_429s = sum(1 for r in recorded if r["faulted"])
    return row


def _counted(codes: Counter[str]) -> str:
    return ", ".join(f"{count} {code}" for code, count in codes.most_common()) or "0"


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| part | gateway | caller requests | ok | RATE_LIMITED seen | other errors | "
        "vendor calls | vendor calls per 1,000 reads | vendor 429s | reads/s | p50 ms | p99 ms | "
        "gateway CPU ms/request |",
        "| --- | --- |" + " ---: |" * 11,
    ]
    for row in rows:
        per_thousand = row.vendor_calls * 1000 / max(1, row.requests)
        lines.append(
            f"| {row.part} | {row.setting} | {row.requests} | {row.ok} | {row.rate_limited} | "
            f"{_counted(row.other_errors)} | {row.vendor_calls} | {per_thousand:.1f} | "
            f"{row.vendor_429s} | {row.requests / max(row.seconds, 1e-9):.0f} | "
            f"{row.percentile(0.5):.0f} | {row.percentile(0.99):.0f} | "
            f"{row.cpu_ms_per_request:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--reads", type=int, default=1000, help="reads per row of (a)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=20, help="the vendor's limit, per second")
    parser.add_argument("--offered", type=float, default=2.0, help="load, times the rate")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each row of (b)")
    parser.add_argument(
        "--order",
        nargs="+",
        default=["dedup off", "dedup on"],
        choices=["dedup off", "dedup on"],
        help="the rows of (a), in this order (repeat one to run it again)",
    )
    return parser.parse_args(argv)


def start_all(processes: Processes, rate: float, logs: Path) -> tuple[Process, dict[str, Process]]:
    """The sandbox, and a gateway per row, all answering."""
    sandbox = start_sandbox(processes)
    unshared = {"GATEWAY_UPSTREAM_DEDUP": "false"}
    paced = {**unshared, "KANTATA_MAX_RATE": f"{rate:g}"}
    envs = {
        "dedup on": {},
        "dedup off": unshared,
        "shaping off": unshared,
        "shaping on": paced,
        SHORT: {**paced, "GATEWAY_UPSTREAM_TIMEOUT": "2"},
    }
    gateways = {
        setting: start_gateway(processes, sandbox, f"gateway-{n}", **env)
        for n, (setting, env) in enumerate(envs.items())
    }
    wait_ready(sandbox, SANDBOX_READY, logs)
    for gateway in gateways.values():
        wait_ready(gateway, "/healthz", logs)
    return sandbox, gateways


def run_rows(args: argparse.Namespace, sandbox: Sandbox, gateways: dict[str, Process]) -> list[Row]:
    rows = []
    sandbox.set_latency(LATENCY_MS)
    for setting in args.order:
        gateway = gateways[setting]
        asyncio.run(closed_loop(gateway.origin, 100, 8, Row("warm-up", setting)))
        row = Row("(a) one popular invoice", setting)
        load = closed_loop(gateway.origin, args.reads, args.connections, row)
        rows.append(measure(gateway, sandbox, row, load))
        print(f"{setting}: done", file=sys.stderr, flush=True)
    limit = {"rate_limit_per_second": args.rate}
    sandbox.http.patch(f"/{VENDOR}/_control/settings", json=limit).raise_for_status()
    for setting in ("shaping off", "shaping on", SHORT):
        gateway = gateways[setting]
        time.sleep(1.5)  # the sandbox's bucket full again
        row = Row(f"(b) {args.offered:g}x a {args.rate:g}/s vendor limit", setting)
        offered = args.offered * args.rate
        load = open_loop(gateway.origin, offered, args.seconds, args.connections, row)
        rows.append(measure(gateway, sandbox, row, load))
        print(f"{setting}: done", file=sys.stderr, flush=True)
    return rows


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # through the `finally`: every process started stops


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="vendor-budget-") as logs:
        processes = Processes(Path(logs))
        try:
            sandbox_process, gateways = start_all(processes, args.rate, Path(logs))
            sandbox = Sandbox(sandbox_process)
            try:
                rows = run_rows(args, sandbox, gateways)
            finally:
                sandbox.close()
        except KeyboardInterrupt:
            print("\ninterrupted: stopping every process started", file=sys.stderr)
            return 130
        finally:
            processes.stop_all()
    print(table(rows))
    print(
        f"\nvendor latency {LATENCY_MS} ms; (a) {args.reads} reads at {args.connections} "
        f"connections; (b) {args.offered * args.rate:g} reads/s offered for {args.seconds:g} s "
        f"against {args.rate:g} requests/s per token at the sandbox"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
