"""Identical vendor reads in flight at the same moment share one call (GATEWAY_UPSTREAM_DEDUP,
gateway/vendors/inflight.py), over real HTTP to the sandbox: each test on a gateway of its
own, whose registry of calls in flight it can look into."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.sandbox.kantata.auth import READONLY_TOKEN
from gateway.settings import Settings
from gateway.vendors.inflight import SharedCalls
from gateway.vendors.resilience import Resilience
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KANTATA_OPEN, KITCHEN_DRAFT, READ, UPDATE
from tests.server import gateway_app, serve

SLOW_MS = 400  # the vendor's answer takes this long: every caller arrives while it is out


@dataclass
class Started:
    gw: Gateway
    url: str
    shared: SharedCalls


@pytest.fixture
def start() -> Iterator[Callable[..., Started]]:
    with ExitStack() as stack:

        def run(**changes: Any) -> Started:
            settings = Settings(
                sandbox=True,
                resilience=Resilience(retry_backoff=0.01, breaker_failures=1_000),
                **changes,
            )
            app, port = gateway_app(settings)
            url = stack.enter_context(serve(app, port=port))
            client = stack.enter_context(httpx.Client(base_url=url, timeout=30))
            gw = Gateway(client)
            gw.reset()
            return Started(gw, url, app.state.shared_calls)

        yield run


def together(url: str, bodies: list[dict[str, Any]], headers: list[dict[str, str]]) -> list[Any]:
    """Posts every body at once (each with its headers); their answers, in order."""

    async def post_all() -> list[Any]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            answers = await asyncio.gather(
                *(
                    client.post("/graphql", json=b, headers=h)
                    for b, h in zip(bodies, headers, strict=True)
                )
            )
        return [answer.json() for answer in answers]

    return asyncio.run(post_all())


def reads(url: str, ids: list[str], headers: list[dict[str, str]] | None = None) -> list[Any]:
    bodies = [{"query": READ, "variables": {"id": id_}} for id_ in ids]
    return together(url, bodies, headers or [{} for _ in ids])


def gets(gw: Gateway, vendor: str) -> list[dict[str, Any]]:
    return [r for r in gw.requests(vendor) if r["method"] == "GET"]


def shared_count(gw: Gateway, vendor: str) -> float:
    text = gw.http.get("/metrics").text
    found = re.search(rf'^gateway_upstream_shared_total{{vendor="{vendor}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize(
    ("vendor", "invoice"), [("kantata", KANTATA_DRAFT), ("kitchen", KITCHEN_DRAFT)]
)
def test_identical_reads_at_once_are_one_vendor_call(
    start: Callable[..., Started], vendor: str, invoice: str
) -> None:
    s = start()
    s.gw.fault(vendor, method="GET", delay_ms=SLOW_MS)
    answers = reads(s.url, [invoice] * 12)
    assert all("errors" not in a for a in answers), answers[0]
    assert all(a == answers[0] for a in answers)
    assert answers[0]["data"]["invoice"]["id"] == invoice
    assert len(gets(s.gw, vendor)) == 1
    assert shared_count(s.gw, vendor) == 11
    assert len(s.shared) == 0  # nothing outlives the call


def test_reads_one_after_another_each_call_the_vendor(start: Callable[..., Started]) -> None:
    # Sharing is of calls in flight, never a cache: a later read sees the vendor's now.
    s = start()
    for _ in range(3):
        s.gw.data(READ, {"id": KANTATA_DRAFT})
    assert len(gets(s.gw, "kantata")) == 3


def test_different_invoices_are_not_shared(start: Callable[..., Started]) -> None:
    s = start()
    s.gw.fault("kantata", method="GET", delay_ms=SLOW_MS, times=2)
    answers = reads(s.url, [KANTATA_DRAFT, KANTATA_OPEN, KANTATA_DRAFT, KANTATA_OPEN])
    assert all("errors" not in a for a in answers)
    assert sorted(r["path"] for r in gets(s.gw, "kantata")) == [
        "/api/v1/invoices/101",
        "/api/v1/invoices/102",
    ]


def test_different_credentials_are_not_shared(start: Callable[..., Started]) -> None:
    s = start()
    s.gw.fault("kantata", method="GET", delay_ms=SLOW_MS, times=2)
    own = {"X-Kantata-Token": READONLY_TOKEN}
    answers = reads(s.url, [KANTATA_DRAFT] * 4, [{}, own, {}, own])
    assert all("errors" not in a for a in answers)
    assert len(gets(s.gw, "kantata")) == 2
    assert shared_count(s.gw, "kantata") == 2


def test_writes_are_never_shared(start: Callable[..., Started]) -> None:
    s = start()
    s.gw.fault("kantata", method="PUT", delay_ms=SLOW_MS, times=2)
    body = {"query": UPDATE, "variables": {"input": {"id": KANTATA_DRAFT, "notes": "same"}}}
    answers = together(s.url, [body, body], [{}, {}])
    assert all(not a["data"]["updateInvoice"]["userErrors"] for a in answers)
    puts = [r for r in s.gw.requests("kantata") if r["method"] == "PUT"]
    assert len(puts) == 2


def test_a_read_after_a_write_never_joins_one_from_before_it(
    start: Callable[..., Started],
) -> None:
    # A caller that saw its write answered reads what the vendor holds now, even while a
    # read from before the write is still on its way.
    s = start()
    s.gw.fault("kantata", method="GET", delay_ms=3 * SLOW_MS, times=1)
    read = {"query": READ, "variables": {"id": KANTATA_DRAFT}}
    write = {"query": UPDATE, "variables": {"input": {"id": KANTATA_DRAFT, "notes": "new"}}}

    async def scenario() -> tuple[Any, Any, Any]:
        async with httpx.AsyncClient(base_url=s.url, timeout=30) as client:
            before = asyncio.create_task(client.post("/graphql", json=read))
            await asyncio.sleep(SLOW_MS / 4000)
            written = (await client.post("/graphql", json=write)).json()
            after = (await client.post("/graphql", json=read)).json()
            return (await before).json(), written, after

    before, written, after = asyncio.run(scenario())
    assert not written["data"]["updateInvoice"]["userErrors"]
    assert after["data"]["invoice"]["notes"] == "new"
    assert before["data"]["invoice"]["id"] == KANTATA_DRAFT
    # Its own GET: (the sandbox delays a request before it reads, so the slow read's
    # answer cannot tell; the count can).
    assert len(gets(s.gw, "kantata")) == 2


def test_the_first_caller_going_away_fails_no_one_else(start: Callable[..., Started]) -> None:
    s = start()
    s.gw.fault("kantata", method="GET", delay_ms=2 * SLOW_MS)
    body = {"query": READ, "variables": {"id": KANTATA_DRAFT}}

    async def scenario() -> list[Any]:
        async with httpx.AsyncClient(base_url=s.url, timeout=30) as client:
            first = asyncio.create_task(client.post("/graphql", json=body))
            await asyncio.sleep(SLOW_MS / 4000)
            others = [asyncio.create_task(client.post("/graphql", json=body)) for _ in range(3)]
            await asyncio.sleep(SLOW_MS / 4000)
            first.cancel()  # the first caller hangs up while the vendor is still answering
            answers = await asyncio.gather(*others)
        return [answer.json() for answer in answers]

    answers = asyncio.run(scenario())
    assert all(a["data"]["invoice"]["id"] == KANTATA_DRAFT for a in answers)
    assert len(gets(s.gw, "kantata")) == 1
    assert len(s.shared) == 0


def test_a_failing_shared_call_is_every_waiter_s_typed_error(start: Callable[..., Started]) -> None:
    s = start()
    s.gw.fault("kitchen", method="GET", status=503, delay_ms=SLOW_MS, times=None)
    answers = reads(s.url, [KITCHEN_DRAFT] * 6)
    codes = [a["errors"][0]["extensions"]["code"] for a in answers]
    assert codes == ["UPSTREAM_UNAVAILABLE"] * 6
    assert len(gets(s.gw, "kitchen")) == 3  # one call: its three attempts, for all six
    assert len(s.shared) == 0


def test_sharing_can_be_turned_off(start: Callable[..., Started]) -> None:
    s = start(upstream_dedup=False)
    assert s.shared is None
    s.gw.fault("kantata", method="GET", delay_ms=SLOW_MS, times=4)
    answers = reads(s.url, [KANTATA_DRAFT] * 4)
    assert all("errors" not in a for a in answers)
    assert len(gets(s.gw, "kantata")) == 4
