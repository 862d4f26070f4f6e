"""The update service without GraphQL: the real Kantata and Kitchen clients, talking to the
sandbox's emulators through httpx's ASGI transport (no socket, no server), and the real
in-process locks."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.core.domain import BillablesInput, InvoicePatch, Need, VendorClient
from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.service import Writers, update_invoice
from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO
from gateway.sandbox import create_sandbox_app
from gateway.store.locks import MemoryLocks
from gateway.vendors.base import ClientOptions, VendorConfig
from gateway.vendors.registry import default_registry

pytestmark = pytest.mark.asyncio
ORIGIN = "http://sandbox.test"
REGISTRY = default_registry()
# Seed data (gateway/sandbox/kantata/seed.py): a draft with time entry 9001 on it.
DRAFT = "101"
KITCHEN_DRAFT = "in_14b07ae04d0ff853c351b3cc"


class Sandbox:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    def client(self, vendor: str, latency: float = 0) -> VendorClient:
        adapter = REGISTRY.adapter(vendor)
        if vendor == "kantata":
            config = VendorConfig(f"{ORIGIN}/kantata/api/v1", DEMO.kantata_token)
        else:
            config = VendorConfig(
                f"{ORIGIN}/kitchen/{{workspace}}/api",
                DEMO.kitchen_token,
                {"workspace": DEMO.kitchen_workspace},
            )
        credentials = adapter.credentials(config, {})
        return adapter.client(self.http, config, credentials, ClientOptions())

    async def requests(self, vendor: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"{ORIGIN}/{vendor}/_control/requests")
        return list(response.json())

    async def settings(self, vendor: str, **values: Any) -> None:
        await self.http.patch(f"{ORIGIN}/{vendor}/_control/settings", json=values)

    async def methods(self, vendor: str) -> list[str]:
        return [r["method"] for r in await self.requests(vendor)]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    transport = httpx.ASGITransport(app=create_sandbox_app())
    async with httpx.AsyncClient(transport=transport) as http:
        yield Sandbox(http)


def writers() -> Writers:
    return Writers(MemoryLocks(), wait=5, ttl=10)


def patch(native_id: str, expected: dt.datetime | None = None, **values: Any) -> InvoicePatch:
    return InvoicePatch(invoice_id=native_id, values=values, expected_updated_at=expected)


async def test_an_update_is_sent_once_and_read_back(sandbox: Sandbox) -> None:
    client = sandbox.client("kantata")
    done = await update_invoice(client, patch(DRAFT, title="Q3"), frozenset(), writers())
    assert done.bundle is not None and done.preview is None
    assert done.bundle.invoice.title == "Q3"
    assert await sandbox.methods("kantata") == ["PUT"]


async def test_a_preview_sends_nothing(sandbox: Sandbox) -> None:
    client = sandbox.client("kitchen")
    done = await update_invoice(
        client, patch(KITCHEN_DRAFT, notes="hi"), frozenset(), writers(), preview=True
    )
    assert done.bundle is None and done.preview is not None
    assert done.preview.method == "PUT"
    assert done.preview.url.endswith(f"/invoices/{KITCHEN_DRAFT}")
    assert await sandbox.methods("kitchen") == []


async def test_a_stale_expected_updated_at_is_a_conflict_and_nothing_is_written(
    sandbox: Sandbox,
) -> None:
    client = sandbox.client("kantata")
    stale = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(GatewayError) as caught:
        await update_invoice(client, patch(DRAFT, stale, title="Q3"), frozenset(), writers())
    assert caught.value.code is ErrorCode.CONFLICT
    assert caught.value.problems[0].field == ("expected_updated_at",)
    assert await sandbox.methods("kantata") == ["GET"]


async def test_every_input_problem_is_named_before_any_call(sandbox: Sandbox) -> None:
    client = sandbox.client("kantata")
    bad = BillablesInput({"time_entry_ids": ["kantata:user:7"]})
    with pytest.raises(GatewayError) as caught:
        await update_invoice(client, patch(DRAFT, add_billables=bad), frozenset(), writers())
    assert caught.value.code is ErrorCode.INVALID_INPUT
    assert await sandbox.requests("kantata") == []


async def test_a_read_modify_write_reads_then_writes_the_whole_list(sandbox: Sandbox) -> None:
    client = sandbox.client("kantata")
    add = BillablesInput({"time_entry_ids": ["kantata:time_entry:9002"]})
    needs = frozenset({Need.LINE_ITEMS})
    done = await update_invoice(client, patch(DRAFT, add_billables=add), needs, writers())
    assert done.bundle is not None
    assert await sandbox.methods("kantata") == ["GET", "PUT"]
    put = (await sandbox.requests("kantata"))[1]
    assert json.loads(put["body"])["invoice"]["time_entry_ids"] == ["9001", "9002"]


async def test_two_concurrent_additions_to_one_invoice_both_land(sandbox: Sandbox) -> None:
    # Each vendor call takes 50 ms: without the lock, both reads would see the same list.
    await sandbox.settings("kantata", latency_ms=50)
    shared = writers()

    async def add(record: str) -> None:
        client = sandbox.client("kantata")
        billables = BillablesInput({"time_entry_ids": [f"kantata:time_entry:{record}"]})
        await update_invoice(client, patch(DRAFT, add_billables=billables), frozenset(), shared)

    await asyncio.gather(add("9002"), add("9003"))
    puts = [r for r in await sandbox.requests("kantata") if r["method"] == "PUT"]
    assert sorted(json.loads(puts[-1]["body"])["invoice"]["time_entry_ids"]) == [
        "9001",
        "9002",
        "9003",
    ]
