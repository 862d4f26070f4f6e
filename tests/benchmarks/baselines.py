"""The two hand-written baselines the gateway is measured against (issue 5).

Both serve `POST /<vendor>/<scenario>` with a body `{"notes": "..."}` and make the vendor
call a hand-written endpoint would make for that scenario (the same calls the gateway
makes, see `VENDOR_CALLS`), answering the vendor's JSON:

- **naive**: the smallest honest Starlette + httpx endpoint, as a team would write it: one
  module-level `httpx.AsyncClient()` with default settings, `response.json()` and
  `JSONResponse`, served by `uvicorn.run(app)` as `pip install starlette httpx uvicorn`
  installs it: asyncio's loop and h11. (This project installs uvloop and httptools, which
  uvicorn would pick up by itself; the naive baseline names the plain ones so that it stays
  what a team without them runs.)
- **tuned**: the same endpoint on the gateway's own stack, read from the gateway itself so
  that it follows any change there: it is started through `gateway.cli.main` (same server,
  event loop, HTTP parser and logging choices), uses `gateway.vendors.factory.http_clients`
  (same pooled client settings), and the JSON functions of the gateway's GraphQL view
  (and `gateway.vendors.http.encode_json` for the vendor body, as the gateway).

Run: `python -m tests.benchmarks.baselines naive|tuned --port N`, with the vendor
environment variables the gateway reads (`KANTATA_BASE_URL`, `KANTATA_TOKEN`,
`KITCHEN_BASE_URL`, `KITCHEN_WORKSPACE`, `KITCHEN_TOKEN`). `bench.py` starts them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.sandbox.kitchen import seed as kitchen_seed

KANTATA_INVOICE = "101"
KITCHEN_INVOICE = kitchen_seed.IN_DRAFT
PAGE_SIZE = 50
# Everything a Kantata invoice with creator, recipient, workspaces and line items needs.
KANTATA_INCLUDE = (
    "user,recipient,workspaces,time_entries,expenses,fixed_fee_items,additional_items,"
    "billing_milestones,time_adjustments"
)
KITCHEN_EXPAND = [("expand[]", "creator"), ("expand[]", "client")]

VENDORS = ("kantata", "kitchen")
SCENARIOS = ("update", "update-nested", "page")


@dataclass(frozen=True)
class VendorCall:
    method: str
    path: str  # relative to the vendor's base URL
    params: tuple[tuple[str, str], ...] = ()
    writes: bool = False  # a PUT with the notes in the vendor's body


# The vendor call each scenario makes: exactly what the gateway sends (checked against the
# sandbox's request log when the benchmark starts).
VENDOR_CALLS: dict[tuple[str, str], VendorCall] = {
    ("kantata", "update"): VendorCall("PUT", f"/invoices/{KANTATA_INVOICE}", writes=True),
    ("kantata", "update-nested"): VendorCall(
        "PUT", f"/invoices/{KANTATA_INVOICE}", (("include", KANTATA_INCLUDE),), writes=True
    ),
    ("kantata", "page"): VendorCall(
        "GET",
        "/invoices",
        (
            ("page", "1"),
            ("per_page", str(PAGE_SIZE)),
            ("order", "created_at:desc"),
            ("include", KANTATA_INCLUDE),
        ),
    ),
    ("kitchen", "update"): VendorCall("PUT", f"/invoices/{KITCHEN_INVOICE}", writes=True),
    ("kitchen", "update-nested"): VendorCall(
        "PUT", f"/invoices/{KITCHEN_INVOICE}", tuple(KITCHEN_EXPAND), writes=True
    ),
    ("kitchen", "page"): VendorCall(
        "GET",
        "/invoices",
        (("page", "1"), ("per_page", str(PAGE_SIZE)), ("state", "all"), *KITCHEN_EXPAND),
    ),
}


def vendor_body(vendor: str, notes: str) -> dict[str, Any]:
    """Kantata wraps the record in `{"invoice": ...}` and calls notes `message`; Kitchen's
    body is flat and calls them `memo`."""
    return {"invoice": {"message": notes}} if vendor == "kantata" else {"memo": notes}


@dataclass(frozen=True)
class Vendor:
    base_url: str
    headers: dict[str, str]


def vendors_from_env(environ: Mapping[str, str]) -> dict[str, Vendor]:
    """The same variables the gateway reads (the benchmark points both at one sandbox)."""
    kitchen_base = environ["KITCHEN_BASE_URL"].replace("{workspace}", environ["KITCHEN_WORKSPACE"])
    return {
        "kantata": Vendor(
            environ["KANTATA_BASE_URL"],
            {"Authorization": f"Bearer {environ['KANTATA_TOKEN']}", "Accept": "application/json"},
        ),
        "kitchen": Vendor(
            kitchen_base,
            {
                "Authorization": f"Bearer {environ['KITCHEN_TOKEN']}",
                "Accept": "application/json",
                "X-Requested-With": "XMLHttpRequest",
            },
        ),
    }


def _call(request: Request) -> tuple[str, VendorCall] | None:
    vendor, scenario = request.path_params["vendor"], request.path_params["scenario"]
    call = VENDOR_CALLS.get((vendor, scenario))
    return (vendor, call) if call is not None else None


# --- naive -----------------------------------------------------------------------------


def naive_app(environ: Mapping[str, str]) -> Starlette:
    vendors = vendors_from_env(environ)
    client = httpx.AsyncClient()  # what most services do: one module client, defaults

    async def endpoint(request: Request) -> Response:
        found = _call(request)
        if found is None:
            return JSONResponse({"message": "not found"}, status_code=404)
        vendor, call = found
        payload = await request.json()
        upstream = await client.request(
            call.method,
            vendors[vendor].base_url + call.path,
            params=call.params,
            headers=vendors[vendor].headers,
            json=vendor_body(vendor, payload["notes"]) if call.writes else None,
        )
        return JSONResponse(upstream.json(), status_code=upstream.status_code)

    return Starlette(routes=[Route("/{vendor}/{scenario}", endpoint, methods=["POST"])])


# --- tuned -----------------------------------------------------------------------------


def tuned_app(environ: Mapping[str, str]) -> Starlette:
    from gateway.http.view import GatewayGraphQL
    from gateway.settings import Settings
    from gateway.vendors.factory import http_clients
    from gateway.vendors.http import encode_json
    from gateway.vendors.registry import default_registry

    settings = Settings.from_env(environ)
    vendors = vendors_from_env(environ)
    clients: dict[str, httpx.AsyncClient] = {}
    # The JSON functions of the gateway's own GraphQL view (strawberry's `decode_json` /
    # `encode_json`, or whatever the gateway overrides them with): they read no state, so
    # an instance without a schema serves. Vendor request bodies go through the gateway's
    # `encode_json` as the gateway's do. The gateway's exact (Decimal) parse of vendor
    # answers is gateway work, not stack: the baseline does not copy it.
    view = GatewayGraphQL.__new__(GatewayGraphQL)

    async def endpoint(request: Request) -> Response:
        found = _call(request)
        if found is None:
            return JSONResponse({"message": "not found"}, status_code=404)
        vendor, call = found
        payload: Any = view.decode_json(await request.body())
        headers = vendors[vendor].headers
        content: bytes | None = None
        if call.writes:
            content = encode_json(vendor_body(vendor, payload["notes"]))
            headers = {**headers, "Content-Type": "application/json"}
        upstream = await clients[vendor].request(
            call.method,
            vendors[vendor].base_url + call.path,
            params=call.params,
            headers=headers,
            content=content,
        )
        return Response(
            view.encode_json(view.decode_json(upstream.content)),
            status_code=upstream.status_code,
            media_type="application/json",
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        vendors = default_registry().vendors
        pooled = http_clients(vendors, settings.upstream_timeout, settings.upstream_transport)
        clients.update({vendor.key: client for vendor, client in pooled.items()})
        if set(clients) != set(VENDORS):
            raise RuntimeError(f"the gateway's vendors changed: {sorted(clients)}")
        try:
            yield
        finally:
            for client in pooled.values():
                await client.aclose()

    return Starlette(
        routes=[Route("/{vendor}/{scenario}", endpoint, methods=["POST"])], lifespan=lifespan
    )


def _serve_tuned(port: int) -> int:
    """Through the gateway's own command line, with only the app swapped: whatever server,
    loop, parser and logging `gateway serve` chooses, the tuned baseline gets too."""
    import gateway.app
    from gateway import cli

    def create_app(settings: object, **options: Any) -> Starlette:
        return tuned_app(os.environ)

    gateway.app.create_app = create_app
    # One process, as the gateway is measured (`--workers auto` would start the real app).
    command = ["serve", "--no-sandbox", "--workers", "1", "--host", "127.0.0.1"]
    return cli.main([*command, "--port", str(port)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["naive", "tuned"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.kind == "tuned":
        return _serve_tuned(args.port)
    import uvicorn

    uvicorn.run(naive_app(os.environ), host="127.0.0.1", port=args.port, loop="asyncio", http="h11")
    return 0


if __name__ == "__main__":
    sys.exit(main())
