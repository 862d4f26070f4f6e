"""A vendor is one unit: a third, test-only vendor ("Acme", a tiny fake behind
httpx.MockTransport) is registered through the registry, and the gateway serves `invoice`,
`updateInvoice` and `vendorCapabilities` for it, with no change to any other module."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.core.domain import (
    Bundle,
    Capabilities,
    Invoice,
    InvoicePatch,
    InvoiceStatus,
    LineItem,
    Money,
    Needs,
    RequestPreview,
    User,
    UserKey,
    Vendor,
    VendorRequest,
    Workspace,
)
from gateway.core.ids import IdShapes, Lookup
from gateway.settings import Settings
from gateway.vendors.base import Adapter, ClientOptions, Credentials, VendorConfig
from gateway.vendors.fields import capabilities, text, translate
from gateway.vendors.http import Upstream
from gateway.vendors.registry import Registry, default_registry
from tests.server import free_port, serve

VENDOR = Vendor("acme", "Acme")
IDS = IdShapes(
    VENDOR, {"invoice": re.compile(r"[0-9]{1,9}")}, "digits", {"invoice": Lookup.INVOICE}
)

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e
RULES = {"title": text("title"), "notes": text("memo")}


class AcmeClient:
    """Acme's API: `GET`/`PUT /invoices/{id}`, a flat JSON record."""

    vendor = VENDOR

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream

    @property
    def scope(self) -> str:
        return self._upstream.url("")

    def preview(self, request: VendorRequest) -> RequestPreview:
        return self._upstream.preview(request)

    def calls_for(self, type_: str, count: int) -> int:
        return count

    def needs_current(self, patch: InvoicePatch) -> bool:
        return False

    def check_update(self, patch: InvoicePatch) -> None:
        translate(patch.values, RULES, VENDOR.label)

    def build_update(
        self, patch: InvoicePatch, needs: Needs, current: Invoice | None = None
    ) -> VendorRequest:
        body = translate(patch.values, RULES, VENDOR.label)
        return VendorRequest("PUT", f"/invoices/{patch.invoice_id}", (), body)

    async def update_invoice(self, request: VendorRequest, native_id: str) -> Bundle:
        return Bundle([_invoice(await self._upstream.send(request))])

    async def fetch_invoices(self, native_ids: Sequence[str], needs: Needs) -> Bundle:
        bundle = Bundle()
        for native in IDS.well_formed("invoice", native_ids):
            bundle.invoices.append(
                _invoice(await self._upstream.request("GET", f"/invoices/{native}"))
            )
        return bundle

    async def list_invoices(
        self, filters: Mapping[str, Any], offset: int, limit: int, needs: Needs
    ) -> Bundle:
        return Bundle(total=0)

    async def fetch_users(self, keys: Sequence[UserKey]) -> Mapping[UserKey, User]:
        return {}

    async def fetch_workspaces(self, native_ids: Sequence[str]) -> Mapping[str, Workspace]:
        return {}

    async def fetch_line_items(self, global_ids: Sequence[str]) -> Mapping[str, LineItem]:
        return {}


def _invoice(record: Mapping[str, Any]) -> Invoice:
    native = str(record["id"])
    return Invoice(
        id=IDS.format("invoice", native),
        vendor=VENDOR,
        vendor_id=native,
        number=native,
        title=record.get("title"),
        status=InvoiceStatus.OPEN,
        vendor_status="open",
        issue_date=None,
        due_date=None,
        payment_terms_days=None,
        currency="USD",
        notes=record.get("memo"),
        total=Money(Decimal(str(record["total"])), "USD"),
        balance=None,
        created_by=None,
        recipient=None,
        workspace_ids=(),
        line_item_ids=(),
        created_at=None,
        updated_at=dt.datetime.fromisoformat(record["updated_at"]),
        details=None,
    )


@dataclass
class AcmeApi:
    """The fake vendor: one invoice, and every request it was sent."""

    record: dict[str, Any] = field(
        default_factory=lambda: {
            "id": 7,
            "title": "Spring",
            "memo": None,
            "total": "120.50",
            "updated_at": "2026-11-30T10:00:00+00:00",
        }
    )
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path != f"/api/invoices/{self.record['id']}":
            return httpx.Response(404, json={"error": "not found"})
        if request.method == "PUT":
            self.record.update(json.loads(request.content))
        return httpx.Response(200, json=self.record)


@dataclass(frozen=True)
class AcmeAdapter(Adapter):
    """Acme's adapter: the shared one, with its client on the fake's own transport."""

    fake: httpx.AsyncClient | None = None

    def client(
        self,
        http: httpx.AsyncClient,
        config: VendorConfig,
        credentials: Credentials,
        options: ClientOptions,
    ) -> AcmeClient:
        assert self.fake is not None
        client = super().client(self.fake, config, credentials, options)
        assert isinstance(client, AcmeClient)
        return client


@pytest.fixture
def acme() -> Iterator[tuple[AcmeApi, str]]:
    api = AcmeApi()
    fake = httpx.AsyncClient(transport=httpx.MockTransport(api))
    adapter = AcmeAdapter(
        vendor=VENDOR,
        ids=IDS,
        setting_prefix="ACME",
        default_base_url="https://acme.invalid/api",
        token_header="X-Acme-Token",
        token_name="Acme token",
        capabilities=Capabilities(VENDOR, capabilities(RULES), ()),
        make_client=AcmeClient,
        read_errors=lambda body: [],
        map_field=lambda key: None,
        fake=fake,
    )
    nowhere = f"http://127.0.0.1:{free_port()}"  # readiness probes stay on loopback
    settings = Settings(
        sandbox=False,
        vendors={
            "kantata": VendorConfig(f"{nowhere}/kantata", "t"),
            "kitchen": VendorConfig(f"{nowhere}/{{workspace}}", "t", {"workspace": "demo"}),
            "acme": VendorConfig(f"{nowhere}/api", "acme-token"),
        },
    )
    registry = Registry([*default_registry(), adapter])
    try:
        with serve(create_app(settings, registry=registry)) as url:
            yield api, url
    finally:
        asyncio.run(fake.aclose())


def _post(url: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_invoice_of_the_third_vendor_is_read(acme: tuple[AcmeApi, str]) -> None:
    api, url = acme
    body = _post(
        url,
        '{ invoice(id: "acme:invoice:7") { id vendor vendorId title status '
        "total { amount currency } updatedAt } }",
    )
    assert body == {
        "data": {
            "invoice": {
                "id": "acme:invoice:7",
                "vendor": "ACME",
                "vendorId": "7",
                "title": "Spring",
                "status": "OPEN",
                "total": {"amount": "120.50", "currency": "USD"},
                "updatedAt": "2026-11-30T10:00:00+00:00",
            }
        }
    }
    assert [(r.method, r.url.path) for r in api.seen] == [("GET", "/api/invoices/7")]
    assert api.seen[0].headers["authorization"] == "Bearer acme-token"


UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id title notes } userErrors { code field message } } }"""


def test_the_third_vendor_is_updated_through_the_update_service(
    acme: tuple[AcmeApi, str],
) -> None:
    api, url = acme
    body = _post(url, UPDATE, {"input": {"id": "acme:invoice:7", "title": "Summer", "notes": "hi"}})
    assert body["data"]["updateInvoice"] == {
        "invoice": {"id": "acme:invoice:7", "title": "Summer", "notes": "hi"},
        "userErrors": [],
    }
    assert [(r.method, json.loads(r.content)) for r in api.seen] == [
        ("PUT", {"title": "Summer", "memo": "hi"})
    ]


def test_a_field_the_third_vendor_cannot_store_is_named_and_nothing_is_sent(
    acme: tuple[AcmeApi, str],
) -> None:
    api, url = acme
    body = _post(url, UPDATE, {"input": {"id": "acme:invoice:7", "footer": "thanks"}})
    errors = body["data"]["updateInvoice"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("UNSUPPORTED_FIELD", ["input", "footer"])]
    assert api.seen == []


def test_the_third_vendor_says_what_it_accepts(acme: tuple[AcmeApi, str]) -> None:
    _, url = acme
    body = _post(
        url,
        "{ vendorCapabilities(vendor: ACME) { vendor updateFields { name vendorFields } } }",
    )
    assert body["data"]["vendorCapabilities"] == [
        {
            "vendor": "ACME",
            "updateFields": [
                {"name": "title", "vendorFields": ["title"]},
                {"name": "notes", "vendorFields": ["memo"]},
            ],
        }
    ]


def test_the_default_schema_does_not_know_the_third_vendor() -> None:
    """Acme exists only where it was registered: the shipped schema lists two vendors."""
    from gateway.app import export_schema

    sdl = export_schema()
    assert re.search(r"enum Vendor \{\s+KANTATA\s+KITCHEN\s+\}", sdl)
