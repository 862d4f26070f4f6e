"""Issue 5, "Faster than the Node peer": the gateway against two hand-written baselines.

    python -m tests.benchmarks.bench --quick      # a smoke run, about a minute
    python -m tests.benchmarks.bench              # the full matrix (about half an hour)

One run starts, each as its own process group on 127.0.0.1 only:

- the sandbox (`python -m gateway sandbox`), with an added vendor latency per pass
  (Kantata's `latency_ms` setting; Kitchen has no such setting, so a delay-only fault
  that never runs out: `{"delay_ms": N, "times": null, "every": 1}`);
- the gateway as in production: `python -m gateway serve --no-sandbox`, vendor URLs and
  tokens from the environment pointing at that sandbox, `GATEWAY_SANDBOX=false`,
  introspection off;
- the baselines of `baselines.py`: **naive** and **tuned**;
- the Node peer (issue 16): Hive Gateway over an OpenAPI description of the Kantata PUT,
  started by `../shared/tools/peer/peer.sh` (beside the project; `--peer PATH` for another
  copy, `--no-peer` to leave it out; its first start installs it with npm). It serves one
  mutation only, so it is measured in the `update`/`kantata` cases and shows `n/a` elsewhere.

It checks first that all three make the same vendor calls per scenario (the sandbox's
request log), then drives each with wrk (one thread, a Lua script for the POST body; a
warm-up per target and case, then `--rounds` rounds, the order of the targets alternating
between rounds) and reports medians over rounds of: requests per second, p50/p95/p99
latency, CPU ms per request of the target and of the sandbox (`/proc/<pid>/stat`, summed
over a process and its descendants, so `--gateway-workers N` counts every worker), and the
target's peak RSS during the run (`VmHWM`, summed the same way, reset before each run when
the kernel lets us).
Every measured run follows its own warm-up at once (steady state); keep `--duration` well
above the p99 (64 connections on a slow target need 5 s or more), or the CPU per request
counts work for requests that did not finish inside the run.
Last, the gateway's RSS before and after `--memory-requests` more requests.

Results go to stdout as a Markdown table and to `test-artifacts/bench.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tests.benchmarks.baselines import (
    KANTATA_INVOICE,
    KITCHEN_INVOICE,
    PAGE_SIZE,
    SCENARIOS,
    VENDORS,
)

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
TARGETS = ("gateway", "naive", "tuned")
PEER = "peer"
# The one operation the peer serves: the same Kantata PUT as the gateway's `update` case.
PEER_CASES = frozenset({("update", "kantata")})
PEER_QUERY = (
    'mutation { updateInvoice(id: "%s", input: {invoice: {message: "%s"}}) '
    "{ count results { key id } invoices } }"
)
DEFAULT_PEER_SCRIPT = Path(__file__).resolve().parents[3] / "shared" / "tools" / "peer" / "peer.sh"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NOTES = "bench"

KANTATA_TOKEN = "sandbox-kantata-token"
KITCHEN_TOKEN = "sandbox-kitchen-key"
KITCHEN_WORKSPACE = "demo"

SCALARS = """id number status vendorStatus issueDate dueDate currency notes
  total { amount currency } balance { amount currency } updatedAt"""
NESTED = """createdBy { id name email } recipient { id name email } workspaces { id title }
  lineItems { id kind title quantity unitPrice { amount currency } amount { amount currency } }"""
UPDATE = """mutation Update($input: UpdateInvoiceInput!) {
  updateInvoice(input: $input) { invoice { %s } userErrors { code message field } } }"""
PAGE = """query Page($vendor: Vendor!) { invoices(vendor: $vendor, first: %d) {
  totalCount pageInfo { hasNextPage endCursor } nodes { %s %s } } }"""
GLOBAL_IDS = {
    "kantata": f"kantata:invoice:{KANTATA_INVOICE}",
    "kitchen": f"kitchen:invoice:{KITCHEN_INVOICE}",
}
# Variables that would point a child process elsewhere than the sandbox on loopback.
_SCRUBBED_PREFIXES = ("KANTATA_", "KITCHEN_", "GATEWAY_")
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def graphql_body(scenario: str, vendor: str) -> dict[str, Any]:
    if scenario == "page":
        return {
            "query": PAGE % (PAGE_SIZE, SCALARS, NESTED),
            "variables": {"vendor": vendor.upper()},
        }
    selection = SCALARS if scenario == "update" else f"{SCALARS} {NESTED}"
    return {
        "query": UPDATE % selection,
        "variables": {"input": {"id": GLOBAL_IDS[vendor], "notes": NOTES}},
    }


def serves(target: str, scenario: str, vendor: str) -> bool:
    return target != PEER or (scenario, vendor) in PEER_CASES


def request_for(target: str, scenario: str, vendor: str) -> tuple[str, bytes]:
    """The path and JSON body one target is driven with for one scenario."""
    if target == PEER:
        query = PEER_QUERY % (KANTATA_INVOICE, NOTES)
        return "/graphql", json.dumps({"query": query}).encode()
    if target == "gateway":
        return "/graphql", json.dumps(graphql_body(scenario, vendor)).encode()
    return f"/{vendor}/{scenario}", json.dumps({"notes": NOTES}).encode()


# --- processes -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(sandbox_port: int) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_SCRUBBED_PREFIXES) and name.lower() not in _PROXY_VARIABLES
    }
    origin = f"http://{HOST}:{sandbox_port}/sandbox"
    env.update(
        KANTATA_BASE_URL=f"{origin}/kantata/api/v1",
        KANTATA_TOKEN=KANTATA_TOKEN,
        KITCHEN_BASE_URL=f"{origin}/kitchen/{{workspace}}/api",
        KITCHEN_WORKSPACE=KITCHEN_WORKSPACE,
        KITCHEN_TOKEN=KITCHEN_TOKEN,
        GATEWAY_SANDBOX="false",
        GATEWAY_INTROSPECTION="false",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"


class Processes:
    """Every process the benchmark starts, each in its own process group, all stopped on
    the way out (also after Ctrl-C or an error)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Process] = []

    def start(
        self,
        name: str,
        args: Sequence[str],
        port: int,
        env: dict[str, str],
        cwd: Path = ROOT,
        executable: str = sys.executable,
    ) -> Process:
        log = (self.log_dir / f"{name}.log").open("wb")
        popen = subprocess.Popen(
            [executable, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # uvicorn's access log: one line per request
            stderr=log,
            start_new_session=True,
        )
        log.close()
        process = Process(name, port, popen)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in reversed(self.started):
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.popen.wait(timeout=5)
        self.started.clear()


def _signal_group(process: Process, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # its own session: the group id is its pid


def wait_ready(process: Process, path: str, log_dir: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(
                f"{process.name} exited with {process.popen.returncode}; "
                f"see {log_dir / (process.name + '.log')}"
            )
        try:
            httpx.get(process.origin + path, timeout=1, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not answer on {process.origin} within {timeout}s")


# --- /proc -----------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (a gateway with `--workers N` is uvicorn's
    supervisor plus N worker processes): what one target costs is all of them."""
    pids = [pid]
    for current in pids:
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pids += [int(child) for child in task.read_text().split()]
    return pids


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its descendants (all their threads)."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{member}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total / CLK_TCK


def status_kib(pid: int, key: str) -> int:
    """A `/proc/<pid>/status` size summed over the process and its descendants."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
    return total


def settle(pids: Sequence[int], timeout: float = 10) -> None:
    """Wait until the processes are idle (no CPU tick in 0.2 s): work left over from the
    previous run (requests in flight when wrk stopped) is not counted in the next one."""
    deadline = time.monotonic() + timeout
    before = [cpu_seconds(pid) for pid in pids]
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = [cpu_seconds(pid) for pid in pids]
        if now == before:
            return
        before = now


def reset_peak_rss(pid: int) -> bool:
    """Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0)."""
    try:
        for member in process_tree(pid):
            Path(f"/proc/{member}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- the sandbox -----------------------------------------------------------------------


class Sandbox:
    def __init__(self, process: Process) -> None:
        self.process = process
        self.http = httpx.Client(base_url=process.origin + "/sandbox", timeout=10, trust_env=False)

    def set_latency(self, ms: int) -> None:
        response = self.http.patch("/kantata/_control/settings", json={"latency_ms": ms})
        response.raise_for_status()
        # Kitchen's emulator has no latency setting: a delay-only fault on every request.
        self.http.delete("/kitchen/_control/faults").raise_for_status()
        if ms:
            fault = {"delay_ms": ms, "times": None, "every": 1}
            self.http.post("/kitchen/_control/faults", json=fault).raise_for_status()

    def forget_requests(self) -> None:
        for vendor in VENDORS:
            self.http.delete(f"/{vendor}/_control/requests").raise_for_status()

    def calls(self, vendor: str) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
        recorded = self.http.get(f"/{vendor}/_control/requests").json()
        return [(r["method"], r["path"], tuple(sorted(parse_qsl(r["query"])))) for r in recorded]

    def close(self) -> None:
        self.http.close()


# --- wrk -------------------------------------------------------------------------------

LUA = """wrk.method = "POST"
wrk.body = [==[%s]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH-JSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"connect\\":%%d,\\"read\\":%%d," ..
    "\\"write\\":%%d,\\"status\\":%%d,\\"timeout\\":%%d,\\"p50\\":%%.0f,\\"p95\\":%%.0f," ..
    "\\"p99\\":%%.0f}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def ensure_wrk(install: bool) -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if install and shutil.which("apt-get") and os.geteuid() == 0:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
        found = shutil.which("wrk")
        if not found:
            subprocess.run(["apt-get", "update"], check=False)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
            found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed (Debian: `apt-get install wrk`); install it and run again")
    return found


def run_wrk(
    wrk: str, url: str, body: bytes, connections: int, seconds: float, script_dir: Path
) -> dict[str, Any]:
    script = script_dir / "post.lua"
    script.write_text(LUA % body.decode())
    command = [
        wrk,
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH-JSON "))
            return result
    raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")


# --- the measurement -------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    scenario: str
    vendor: str
    connections: int
    latency_ms: int

    def label(self) -> str:
        return f"{self.scenario}/{self.vendor}/c{self.connections}/+{self.latency_ms}ms"


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_ms_per_req: float
    sandbox_cpu_ms_per_req: float
    peak_rss_mib: float
    requests: int
    errors: int


@dataclass
class Outcome:
    case: Case
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def median(self, target: str, metric: str) -> float:
        values = [getattr(s, metric) for s in self.samples.get(target, [])]
        return statistics.median(values) if values else float("nan")


def measure(
    wrk: str,
    target: Process,
    sandbox: Sandbox,
    case: Case,
    seconds: float,
    script_dir: Path,
) -> Sample:
    path, body = request_for(target.name, case.scenario, case.vendor)
    sandbox.forget_requests()  # the emulators log every request: keep them small
    reset_peak_rss(target.pid)
    cpu_before, sandbox_before = cpu_seconds(target.pid), cpu_seconds(sandbox.process.pid)
    result = run_wrk(wrk, target.origin + path, body, case.connections, seconds, script_dir)
    cpu = cpu_seconds(target.pid) - cpu_before
    sandbox_cpu = cpu_seconds(sandbox.process.pid) - sandbox_before
    requests = max(1, int(result["requests"]))
    errors = sum(int(result[k]) for k in ("connect", "read", "write", "status", "timeout"))
    return Sample(
        rps=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50"] / 1000,
        p95_ms=result["p95"] / 1000,
        p99_ms=result["p99"] / 1000,
        cpu_ms_per_req=cpu * 1000 / requests,
        sandbox_cpu_ms_per_req=sandbox_cpu * 1000 / requests,
        peak_rss_mib=status_kib(target.pid, "VmHWM") / 1024,
        requests=int(result["requests"]),
        errors=errors,
    )


def check_same_vendor_calls(
    targets: dict[str, Process], sandbox: Sandbox, scenarios: Sequence[str], vendors: Sequence[str]
) -> None:
    """Every target answers 200 (the gateway without errors) and makes the same vendor
    calls for each scenario: otherwise the comparison would not be fair."""
    with httpx.Client(timeout=30, trust_env=False) as client:
        for scenario in scenarios:
            for vendor in vendors:
                seen: dict[str, object] = {}
                for name, target in targets.items():
                    if not serves(name, scenario, vendor):
                        continue
                    sandbox.forget_requests()
                    path, body = request_for(name, scenario, vendor)
                    response = client.post(
                        target.origin + path,
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                    if response.status_code != 200:
                        raise RuntimeError(
                            f"{name} {scenario}/{vendor}: {response.status_code} {response.text}"
                        )
                    if name in ("gateway", PEER):
                        answer = response.json()
                        update = (answer.get("data") or {}).get("updateInvoice") or {}
                        if answer.get("errors") or update.get("userErrors"):
                            raise RuntimeError(f"{name} {scenario}/{vendor}: {answer}")
                    seen[name] = sandbox.calls(vendor)
                first = next(iter(seen.values()))
                if any(calls != first for calls in seen.values()):
                    raise RuntimeError(f"vendor calls differ for {scenario}/{vendor}: {seen}")


def alternate(targets: Sequence[str], round_index: int) -> list[str]:
    """Round 0: g n t; round 1: t n g; round 2: n t g; ... (rotated, every other reversed)."""
    rotated = list(targets[round_index % len(targets) :]) + list(
        targets[: round_index % len(targets)]
    )
    return rotated[::-1] if round_index % 2 else rotated


async def _drive(origin: str, bodies: Sequence[bytes], total: int, concurrency: int) -> int:
    failures = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=origin, limits=limits, timeout=30, trust_env=False) as c:

        async def worker() -> None:
            nonlocal failures
            for n in counter:
                response = await c.post(
                    "/graphql",
                    content=bodies[n % len(bodies)],
                    headers={"Content-Type": "application/json"},
                )
                if response.status_code != 200 or b'"errors"' in response.content:
                    failures += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


def memory_check(
    gateway: Process, sandbox: Sandbox, scenarios: Sequence[str], vendors: Sequence[str], total: int
) -> dict[str, Any]:
    """The gateway's RSS after a warm-up, then every quarter of `total` more requests (the
    selected update scenarios and vendors in turn, 8 at a time, no added latency; the page
    only when no update is selected: at ~10 pages/s, 20,000 of them would take half an hour)."""
    sandbox.set_latency(0)
    updates = [scenario for scenario in scenarios if scenario != "page"] or list(scenarios)
    bodies = [
        json.dumps(graphql_body(scenario, vendor)).encode()
        for scenario in updates
        for vendor in vendors
    ]
    warmup = min(2_000, max(200, total // 10))
    failures = asyncio.run(_drive(gateway.origin, bodies, warmup, 8))
    sandbox.forget_requests()
    samples = [status_kib(gateway.pid, "VmRSS")]
    quarter = max(1, total // 4)
    done = 0
    while done < total:
        step = min(quarter, total - done)
        failures += asyncio.run(_drive(gateway.origin, bodies, step, 8))
        sandbox.forget_requests()
        done += step
        samples.append(status_kib(gateway.pid, "VmRSS"))
    return {
        "warmup_requests": warmup,
        "requests": total,
        "failures": failures,
        "rss_kib_samples": samples,
        "rss_before_mib": samples[0] / 1024,
        "rss_after_mib": samples[-1] / 1024,
        "growth_mib": (samples[-1] - samples[0]) / 1024,
    }


# --- report ----------------------------------------------------------------------------


def _fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"


def _trio(outcome: Outcome, metric: str, digits: int, names: Sequence[str]) -> str:
    return " / ".join(_fmt(outcome.median(t, metric), digits) for t in names)


def _ratio(outcome: Outcome, metric: str, baseline: str) -> str:
    mine, theirs = outcome.median("gateway", metric), outcome.median(baseline, metric)
    return f"{mine / theirs:.2f}" if theirs and theirs == theirs and mine == mine else "n/a"


def table(outcomes: Sequence[Outcome], names: Sequence[str] = TARGETS) -> str:
    """One row per case; cells hold every target (g / n / t, and / p with the peer)."""
    who = " / ".join(name[0] for name in names)
    baselines = [name for name in names if name != "gateway"]
    header = (
        f"| scenario | vendor | +latency | conns | rps {who} | p50 ms {who} | p95 ms {who} "
        f"| p99 ms {who} | CPU ms/req {who} | sandbox CPU ms/req {who} | peak RSS MiB {who} | "
        + " | ".join(f"g/{name[0]} rps · CPU" for name in baselines)
        + " |"
    )
    lines = [header, "|" + " --- |" * header.count(" | ") + " --- |"]
    for o in outcomes:
        c = o.case
        lines.append(
            f"| {c.scenario} | {c.vendor} | {c.latency_ms} ms | {c.connections} "
            f"| {_trio(o, 'rps', 0, names)} | {_trio(o, 'p50_ms', 1, names)} "
            f"| {_trio(o, 'p95_ms', 1, names)} | {_trio(o, 'p99_ms', 1, names)} "
            f"| {_trio(o, 'cpu_ms_per_req', 2, names)} "
            f"| {_trio(o, 'sandbox_cpu_ms_per_req', 2, names)} "
            f"| {_trio(o, 'peak_rss_mib', 0, names)} | "
            + " | ".join(
                f"{_ratio(o, 'rps', name)} · {_ratio(o, 'cpu_ms_per_req', name)}"
                for name in baselines
            )
            + " |"
        )
    return "\n".join(lines)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- command line ----------------------------------------------------------------------


def _list(kind: type[int] | type[str], choices: Sequence[object] | None = None) -> Any:
    def parse(text: str) -> list[Any]:
        values = [kind(part.strip()) for part in text.split(",") if part.strip()]
        bad = [v for v in values if choices is not None and v not in choices]
        if not values or bad:
            raise argparse.ArgumentTypeError(f"expected a comma list of {choices or kind}")
        return values

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: short, fewer cases")
    parser.add_argument("--duration", type=float, help="seconds per measured run (default 5)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each run")
    parser.add_argument("--rounds", type=int, help="measured rounds per case (default 3)")
    parser.add_argument("--connections", type=_list(int), help="default 1,8,64")
    parser.add_argument("--scenarios", type=_list(str, SCENARIOS), help=",".join(SCENARIOS))
    parser.add_argument("--vendors", type=_list(str, VENDORS), help=",".join(VENDORS))
    parser.add_argument("--latency", type=_list(int), help="added vendor ms (default 0,50)")
    parser.add_argument(
        "--memory-requests", type=int, help="requests for the RSS check (default 20000; 0 skips)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "test-artifacts" / "bench.json")
    parser.add_argument(
        "--no-install", action="store_true", help="fail rather than apt-get install wrk"
    )
    parser.add_argument(
        "--peer",
        type=Path,
        default=DEFAULT_PEER_SCRIPT,
        help="the Node peer's start script (default: ../shared/tools/peer/peer.sh beside "
        "the project; left out, with a note, when it is not there)",
    )
    parser.add_argument("--no-peer", action="store_true", help="measure without the Node peer")
    parser.add_argument(
        "--peer-warmup",
        type=float,
        default=20.0,
        help="seconds of load on the peer once before measuring, for its JIT (default 20)",
    )
    parser.add_argument(
        "--gateway-workers",
        type=int,
        default=1,
        help="the gateway's worker processes (serve --workers N; the baselines keep one); "
        "CPU and RSS then add up the supervisor and its workers",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="GATEWAY_NAME=VALUE",
        help="a gateway setting for the gateway and the tuned baseline, to measure one lever "
        "(e.g. GATEWAY_UPSTREAM_TRANSPORT=httpcore); repeatable",
    )
    args = parser.parse_args(argv)
    for item in args.set:
        name, equals, _ = item.partition("=")
        if not equals or not name.startswith("GATEWAY_"):
            parser.error(f"--set takes GATEWAY_NAME=VALUE, not {item!r}")
    quick = args.quick
    defaults: dict[str, Any] = {
        "duration": 1.0 if quick else 5.0,
        "warmup": 1.0 if quick else 2.0,
        "rounds": 1 if quick else 3,
        "connections": [8] if quick else [1, 8, 64],
        "scenarios": list(SCENARIOS),
        "vendors": list(VENDORS),
        "latency": [0] if quick else [0, 50],
        "memory_requests": 2_000 if quick else 20_000,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.no_peer:
        args.peer = None
    elif not args.peer.is_file():
        print(f"note: no Node peer at {args.peer}: measuring without it", file=sys.stderr)
        args.peer = None
    if args.gateway_workers < 1:
        parser.error("--gateway-workers must be >= 1")
    if args.rounds < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--rounds must be >= 1, --duration > 0 and --warmup >= 0")
    return args


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk(install=not args.no_install)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    # Ctrl-C raises KeyboardInterrupt even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    log_dir = args.output.parent / "bench-logs"
    log_dir.mkdir(exist_ok=True)
    load_before = loadavg()
    if load_before[0] > 0.5:
        print(
            f"note: load average {load_before[0]:.2f} before starting: "
            "the machine is not quiet, numbers will be noisy",
            file=sys.stderr,
        )
    processes = Processes(log_dir)
    sandbox: Sandbox | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            sandbox, targets = _start(processes, log_dir, args.set, args.gateway_workers, args.peer)
            check_same_vendor_calls(targets, sandbox, args.scenarios, args.vendors)
            outcomes = _run_matrix(args, wrk, sandbox, targets, Path(scratch))
            memory = (
                memory_check(
                    targets["gateway"], sandbox, args.scenarios, args.vendors, args.memory_requests
                )
                if args.memory_requests > 0
                else None
            )
        print()
        print(table(outcomes, list(targets)))
        if memory is not None:
            print(
                f"\ngateway RSS: {memory['rss_before_mib']:.1f} MiB after warm-up, "
                f"{memory['rss_after_mib']:.1f} MiB after {memory['requests']} more requests "
                f"({memory['growth_mib']:+.1f} MiB; samples KiB {memory['rss_kib_samples']}; "
                f"{memory['failures']} failed)"
            )
        load_after = loadavg()
        print(f"load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f}")
        _write_json(args, outcomes, memory, load_before, load_after, wrk)
        print(f"results: {args.output}")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process the benchmark started", file=sys.stderr)
        return 130
    finally:
        if sandbox is not None:
            sandbox.close()
        processes.stop_all()


# A path the sandbox answers once it is up.
SANDBOX_READY = "/sandbox/kantata/_control/settings"


def start_sandbox(processes: Processes, name: str = "sandbox") -> Process:
    port = free_port()
    command = ["-m", "gateway", "sandbox", "--host", HOST, "--port", str(port)]
    return processes.start(name, command, port, child_env(port))


def gateway_command(workers: int = 1) -> list[str]:
    """The gateway as in production, less the port (appended last)."""
    return [
        *("-m", "gateway", "serve", "--no-sandbox", "--workers", str(workers)),
        *("--host", HOST, "--port"),
    ]


def _start(
    processes: Processes,
    log_dir: Path,
    settings: Sequence[str],
    gateway_workers: int,
    peer: Path | None = None,
) -> tuple[Sandbox, dict[str, Process]]:
    sandbox_process = start_sandbox(processes)
    env = child_env(sandbox_process.port)
    commands = {
        "gateway": gateway_command(gateway_workers),
        "naive": ["-m", "tests.benchmarks.baselines", "naive", "--port"],
        "tuned": ["-m", "tests.benchmarks.baselines", "tuned", "--port"],
    }
    # The gateway's settings reach the tuned baseline too: it runs on the gateway's stack.
    tuned_env = {**env, **dict(item.partition("=")[::2] for item in settings)}
    targets: dict[str, Process] = {}
    for name, command in commands.items():
        port = free_port()
        chosen = env if name == "naive" else tuned_env
        targets[name] = processes.start(name, [*command, str(port)], port, chosen)
    if peer is not None:
        port = free_port()
        base = env["KANTATA_BASE_URL"]
        args = [str(peer), base, str(port), KANTATA_TOKEN]
        targets[PEER] = processes.start(PEER, args, port, env, executable="bash")
    wait_ready(sandbox_process, SANDBOX_READY, log_dir)
    for target in targets.values():
        # The peer's first start installs it with npm and composes its schema: minutes.
        wait_ready(target, "/", log_dir, timeout=600 if target.name == PEER else 30)
    return Sandbox(sandbox_process), targets


def _run_matrix(
    args: argparse.Namespace,
    wrk: str,
    sandbox: Sandbox,
    targets: dict[str, Process],
    scratch: Path,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    if PEER in targets and args.peer_warmup > 0:
        # Node compiles hot code as it runs: without this the peer's first cases measure
        # its JIT warming up (about half its steady rate here), not the peer.
        path, body = request_for(PEER, "update", "kantata")
        run_wrk(wrk, targets[PEER].origin + path, body, 64, args.peer_warmup, scratch)
    for latency in args.latency:
        sandbox.set_latency(latency)
        cases = [
            Outcome(Case(scenario, vendor, connections, latency))
            for scenario in args.scenarios
            for vendor in args.vendors
            for connections in args.connections
        ]
        for round_index in range(args.rounds):
            for outcome in cases:
                present = [
                    name
                    for name in targets
                    if serves(name, outcome.case.scenario, outcome.case.vendor)
                ]
                for name in alternate(present, round_index):
                    # Before every measured run: the previous target's leftovers finish, then
                    # this one is warmed up and measured at once, in steady state (requests
                    # in flight when a run starts balance those cut off when it ends).
                    settle([targets[name].pid, sandbox.process.pid])
                    if args.warmup > 0:
                        sandbox.forget_requests()
                        path, body = request_for(name, outcome.case.scenario, outcome.case.vendor)
                        url = targets[name].origin + path
                        run_wrk(wrk, url, body, outcome.case.connections, args.warmup, scratch)
                    sample = measure(
                        wrk, targets[name], sandbox, outcome.case, args.duration, scratch
                    )
                    outcome.samples.setdefault(name, []).append(sample)
                    too_short = sample.p99_ms > args.duration * 1000 / 4
                    print(
                        f"round {round_index + 1}/{args.rounds} {outcome.case.label():32} "
                        f"{name:8} {sample.rps:8.0f} rps  p99 {sample.p99_ms:7.1f} ms  "
                        f"cpu {sample.cpu_ms_per_req:5.2f} ms/req"
                        + (f"  ERRORS {sample.errors}" if sample.errors else "")
                        + ("  (p99 > duration/4: too short)" if too_short else ""),
                        flush=True,
                    )
        outcomes += cases
        sandbox.set_latency(0)
    return outcomes


def _write_json(
    args: argparse.Namespace,
    outcomes: Sequence[Outcome],
    memory: dict[str, Any] | None,
    load_before: list[float],
    load_after: list[float],
    wrk: str,
) -> None:
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    document = {
        "config": {
            key: (str(value) if isinstance(value, Path) else value)
            for key, value in vars(args).items()
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "wrk": wrk_version.splitlines()[0] if wrk_version else None,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        },
        "results": [
            {
                **dataclasses.asdict(o.case),
                "medians": {
                    target: {
                        metric.name: o.median(target, metric.name)
                        for metric in dataclasses.fields(Sample)
                    }
                    for target in o.samples
                },
                "samples": {
                    target: [dataclasses.asdict(s) for s in samples]
                    for target, samples in o.samples.items()
                },
            }
            for o in outcomes
        ],
        "memory": memory,
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
