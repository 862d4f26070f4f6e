"""What reading a vendor's answer costs: µs per answer to decode it (exact decimals, with
the number checks) and to read it into neutral types (every check of the reading
included: envelope and meta agreement, sideloaded records, totals, number sanity), next to
what a plain `json.loads` and `orjson.loads` of the same bytes cost.

    python -m tests.benchmarks.reading [--repeat 2000]

The answers are the sandbox's own, fetched in-process (no socket): a Kantata invoice with
every include the nested mutation asks for, a Kantata page of 50 with the same includes,
a Kitchen invoice with its creator and client, and a Kitchen page (the demo's 32).
Issue 8 left a per-check figure owed to issue 16; these are the figures per answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO
from gateway.sandbox import create_sandbox_app
from gateway.vendors.http import decode_json
from gateway.vendors.kantata import read as kantata
from gateway.vendors.kitchen import read as kitchen
from tests.benchmarks.baselines import KANTATA_INCLUDE, KANTATA_INVOICE, KITCHEN_INVOICE

ORIGIN = "http://sandbox.invalid/sandbox"


async def _answers() -> dict[str, bytes]:
    app = Starlette(routes=[Mount("/sandbox", app=create_sandbox_app())])
    transport = httpx.ASGITransport(app=app)
    kantata_auth = {"Authorization": f"Bearer {DEMO.kantata_token}"}
    kitchen_auth = {"Authorization": f"Bearer {DEMO.kitchen_token}"}
    kantata_base = f"{ORIGIN}/kantata/api/v1"
    kitchen_base = f"{ORIGIN}/kitchen/{DEMO.kitchen_workspace}/api"
    expand = [("expand[]", "creator"), ("expand[]", "client")]
    async with httpx.AsyncClient(transport=transport) as client:
        gets = {
            "kantata invoice": client.get(
                f"{kantata_base}/invoices/{KANTATA_INVOICE}",
                params={"include": KANTATA_INCLUDE},
                headers=kantata_auth,
            ),
            "kantata page of 50": client.get(
                f"{kantata_base}/invoices",
                params={"include": KANTATA_INCLUDE, "per_page": "50", "page": "1"},
                headers=kantata_auth,
            ),
            "kitchen invoice": client.get(
                f"{kitchen_base}/invoices/{KITCHEN_INVOICE}", params=expand, headers=kitchen_auth
            ),
            "kitchen page": client.get(
                f"{kitchen_base}/invoices",
                params=[*expand, ("per_page", "50")],
                headers=kitchen_auth,
            ),
        }
        answers = {}
        for name, pending in gets.items():
            response = await pending
            response.raise_for_status()
            answers[name] = response.content
        return answers


def _readers() -> dict[str, Callable[[Any], object]]:
    return {
        "kantata invoice": lambda envelope: kantata.single_invoice(envelope, KANTATA_INVOICE),
        "kantata page of 50": kantata.bundle_from_envelope,
        "kitchen invoice": kitchen.bundle_from_record,
        "kitchen page": lambda page: [kitchen.bundle_from_record(r) for r in page["data"]],
    }


def _per_call_us(function: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(5):  # the best of five batches: the least disturbed by the machine
        started = time.perf_counter()
        for _ in range(repeat):
            function()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.reading")
    parser.add_argument("--repeat", type=int, default=2000, help="calls per batch")
    args = parser.parse_args(argv)
    answers = asyncio.run(_answers())
    readers = _readers()
    print(
        "| answer | bytes | json.loads µs | orjson.loads µs | decode_json µs (exact) "
        "| read µs (checks included) | decode + read µs |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, body in answers.items():
        repeat = max(1, args.repeat // (20 if "page" in name else 1))
        decoded = decode_json(body)
        read = readers[name]
        plain = _per_call_us(lambda body=body: json.loads(body), repeat)
        fast = _per_call_us(lambda body=body: orjson.loads(body), repeat)
        exact = _per_call_us(lambda body=body: decode_json(body), repeat)
        reading = _per_call_us(lambda decoded=decoded, read=read: read(decoded), repeat)
        print(
            f"| {name} | {len(body):,} | {plain:.1f} | {fast:.1f} | {exact:.1f} "
            f"| {reading:.1f} | {exact + reading:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
