"""Upstream rate shaping (`<PREFIX>_MAX_RATE`, gateway/vendors/pacing.py) over real HTTP: a
burst above the vendor's rate waits its turn instead of meeting the sandbox's 429s, and a
request whose turn would come past its deadline is RATE_LIMITED at once, unsent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from gateway.sandbox.kantata.auth import READONLY_TOKEN
from gateway.settings import Settings
from gateway.vendors.base import VendorConfig
from gateway.vendors.resilience import Resilience
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_DRAFT, READ
from tests.server import gateway_app, serve

RATE = 10  # requests a second: the gateway's, and the sandbox's limit per token
BURST = 2 * RATE


@pytest.fixture
def start() -> Iterator[Callable[..., tuple[Gateway, str]]]:
    with ExitStack() as stack:

        def run(rate: float, **changes: Any) -> tuple[Gateway, str]:
            settings = Settings(
                sandbox=True,
                # Every read is its own vendor call here: none joins another.
                upstream_dedup=False,
                vendors={
                    "kantata": VendorConfig(max_rate=rate),
                    "kitchen": VendorConfig(max_rate=rate),
                },
                resilience=Resilience(retry_backoff=0.01, breaker_failures=1_000),
                **changes,
            )
            app, port = gateway_app(settings)
            url = stack.enter_context(serve(app, port=port))
            gw = Gateway(stack.enter_context(httpx.Client(base_url=url, timeout=30)))
            gw.reset()
            return gw, url

        yield run


def burst(url: str, invoice: str, count: int) -> list[Any]:
    async def post_all() -> list[Any]:
        body = {"query": READ, "variables": {"id": invoice}}
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.post("/graphql", json=body) for _ in range(count))
            )
        return [answer.json() for answer in answers]

    return asyncio.run(post_all())


def limited_at_sandbox(gw: Gateway, vendor: str) -> int:
    return sum(1 for r in gw.requests(vendor) if r["faulted"])


@pytest.mark.parametrize(
    ("vendor", "invoice"), [("kantata", KANTATA_DRAFT), ("kitchen", KITCHEN_DRAFT)]
)
def test_a_burst_over_the_rate_waits_its_turn_and_meets_no_429(
    start: Callable[..., tuple[Gateway, str]], vendor: str, invoice: str
) -> None:
    gw, url = start(RATE)
    gw.settings(vendor, rate_limit_per_second=RATE)
    began = time.monotonic()
    answers = burst(url, invoice, BURST)
    took = time.monotonic() - began
    assert all("errors" not in a for a in answers), [a.get("errors") for a in answers][:3]
    assert limited_at_sandbox(gw, vendor) == 0
    assert len(gw.requests(vendor)) == BURST
    assert took >= (BURST - 1) / RATE * 0.9  # evenly spaced, not sent at once


def test_without_pacing_the_same_burst_meets_the_vendor_s_limit(
    start: Callable[..., tuple[Gateway, str]],
) -> None:
    # The check above can fail: unpaced, the sandbox refuses part of the burst.
    gw, url = start(0)
    gw.settings("kantata", rate_limit_per_second=RATE)
    answers = burst(url, KANTATA_DRAFT, BURST)
    assert limited_at_sandbox(gw, "kantata") > 0
    codes = {e["extensions"]["code"] for a in answers for e in a.get("errors", [])}
    assert codes <= {"RATE_LIMITED"}


def test_a_turn_past_the_deadline_is_rate_limited_at_once_unsent(
    start: Callable[..., tuple[Gateway, str]],
) -> None:
    gw, _ = start(1, upstream_timeout=0.5)
    gw.data(READ, {"id": KANTATA_DRAFT})  # takes this second's slot
    began = time.monotonic()
    body = gw.post(READ, {"id": KANTATA_DRAFT})
    took = time.monotonic() - began
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == 1
    assert "at most 1 requests a second" in error["message"]
    assert took < 0.3
    assert len(gw.requests("kantata")) == 1


def test_retries_take_a_turn_too(start: Callable[..., tuple[Gateway, str]]) -> None:
    gw, _ = start(4)
    gw.fault("kantata", method="GET", status=503, times=1)
    began = time.monotonic()
    gw.data(READ, {"id": KANTATA_DRAFT})
    assert time.monotonic() - began >= 0.25 * 0.9  # the retry waited for its slot, not 10 ms
    assert len(gw.requests("kantata")) == 2


def test_the_rate_is_per_credential(start: Callable[..., tuple[Gateway, str]]) -> None:
    gw, _ = start(1, upstream_timeout=0.5)
    gw.data(READ, {"id": KANTATA_DRAFT})
    # Another token's schedule is its own: no wait.
    gw.data(READ, {"id": KANTATA_DRAFT}, headers={"X-Kantata-Token": READONLY_TOKEN})
    assert len(gw.requests("kantata")) == 2
