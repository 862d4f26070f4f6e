"""Seed data: Fennel & Pine, a small design studio, and its clients.

`build_workspaces()` returns fresh records every call, so each emulator (and each reset)
starts from the same state. IDs are fixed so tests and demos can name them.

Workspace "demo" (key `sandbox-kitchen-key`, read-only key `sandbox-kitchen-readonly`):

- Members (group manager): `MAYA` u_837daa416e0fc9e653b6b549 (owner, creator of API-made
  invoices), `THEO` u_795351164428ed5c42361ef5.
- Clients (group client): `PRIYA` u_dbc85e6e4aa66923584116a3 (Harbor Coffee Roasters),
  `JONAS` u_83abe8d8b418411d9701ce44 (Lumen Books), `KENJI` u_45c5a309938f35a75afdbaf8
  (Sakura Ceramics).
- Billing profile `BILLING_PROFILE` bp_e05c06b7c22a92b699e5de96.
- Invoices, newest first:

  - `IN_DRAFT` in_14b07ae04d0ff853c351b3cc, FP-00018, draft, USD: the main demo invoice,
    3 items (amount 3650), 10% discount, 8.875% tax; total 3576.54; due 2024-07-20.
  - `IN_NO_CLIENT` in_eafd84cd4ad5f7a7d00a47a6, FP-00017, draft, GBP: client null, fixed
    discount 150; total 1750.
  - `IN_OPEN` in_c4c4d65d8c5d738788dd7a8e, FP-00016, open, EUR: 19% VAT; total 3570.
  - `IN_EXTERNAL` in_ac5628f011c79538f5dda8b7, FP-00015, open, USD: is_external, no items,
    grand total 1250.
  - `IN_JPY` in_3ed0115d849f967bcf48f474, FP-00014, open, JPY: 7% discount, 10% tax;
    total 270072.
  - `IN_PAID` in_edc5c34f22f2c3b17c067670, FP-00013, paid (paid_at set), USD; total 2547.68.
  - `IN_VOID` in_9baba3d6d18ecbd095859a6e, FP-00012, void (voided_at set), USD.
  - `IN_ARCHIVED` in_0584067ffb11a244ba9cd5e8, FP-00011, paid, USD, archived (only listed
    with `state=archived` or `state=all`).

Workspace "acme" (key `sandbox-acme-key`, no read-only key): member `ADA`
u_fd2c3a837941245ec6638564, client `BRUNO` u_79ea61e4d4026c3f8561636d, billing profile
`ACME_BILLING_PROFILE` bp_ed318da2e7e446a0a5db5761, one invoice `ACME_INVOICE`
in_0ea434b4724f977000825245 (ACME-0001, open, USD).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gateway.sandbox.kitchen.model import (
    BillingProfile,
    Discount,
    Group,
    Invoice,
    Item,
    TaxItem,
    User,
    Workspace,
)

SANDBOX_WORKSPACE = "demo"
SANDBOX_API_KEY = "sandbox-kitchen-key"
READONLY_API_KEY = "sandbox-kitchen-readonly"
ACME_WORKSPACE = "acme"
ACME_API_KEY = "sandbox-acme-key"

MAYA = "u_837daa416e0fc9e653b6b549"
THEO = "u_795351164428ed5c42361ef5"
PRIYA = "u_dbc85e6e4aa66923584116a3"
JONAS = "u_83abe8d8b418411d9701ce44"
KENJI = "u_45c5a309938f35a75afdbaf8"
BILLING_PROFILE = "bp_e05c06b7c22a92b699e5de96"

IN_DRAFT = "in_14b07ae04d0ff853c351b3cc"
IN_NO_CLIENT = "in_eafd84cd4ad5f7a7d00a47a6"
IN_OPEN = "in_c4c4d65d8c5d738788dd7a8e"
IN_EXTERNAL = "in_ac5628f011c79538f5dda8b7"
IN_JPY = "in_3ed0115d849f967bcf48f474"
IN_PAID = "in_edc5c34f22f2c3b17c067670"
IN_VOID = "in_9baba3d6d18ecbd095859a6e"
IN_ARCHIVED = "in_0584067ffb11a244ba9cd5e8"

ADA = "u_fd2c3a837941245ec6638564"
BRUNO = "u_79ea61e4d4026c3f8561636d"
ACME_BILLING_PROFILE = "bp_ed318da2e7e446a0a5db5761"
ACME_INVOICE = "in_0ea434b4724f977000825245"


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _d(text: str) -> Decimal:
    return Decimal(text)


def _user(
    id: str,
    name: str,
    email: str,
    group: Group,
    role: str,
    title: str | None,
    tz: str,
    lang: str,
    joined: str,
) -> User:
    since = _t(joined)
    return User(
        id=id,
        name=name,
        email=email,
        username=email.split("@")[0],
        phone=None,
        title=title,
        language=lang,
        timezone=tz,
        group=group,
        role=role,
        created_at=since,
        updated_at=since,
    )


def _demo() -> Workspace:
    ws = Workspace(
        slug=SANDBOX_WORKSPACE,
        api_key=SANDBOX_API_KEY,
        readonly_key=READONLY_API_KEY,
        number_prefix="FP",
        default_currency="USD",
        owner=MAYA,
        billing_profile=BILLING_PROFILE,
    )
    for user in (
        _user(MAYA, "Maya Lindqvist", "maya@fennelpine.studio", "manager", "owner",
              "Creative Director", "Europe/Stockholm", "en_US",
              "2023-09-04T08:30:00"),
        _user(THEO, "Theo Okafor", "theo@fennelpine.studio", "manager", "member",
              "Senior Designer", "Europe/London", "en_GB",
              "2023-09-11T09:00:00"),
        _user(PRIYA, "Priya Raman", "priya@harborcoffee.com", "client", "client",
              "Marketing Lead, Harbor Coffee Roasters", "America/New_York", "en_US",
              "2023-10-02T14:12:00"),
        _user(JONAS, "Jonas Weber", "jonas.weber@lumen-books.de", "client", "client",
              "Art Director, Lumen Books", "Europe/Berlin", "de_DE",
              "2023-11-20T10:45:00"),
        _user(KENJI, "Kenji Watanabe", "kenji@sakura-ceramics.jp", "client", "client",
              "Owner, Sakura Ceramics", "Asia/Tokyo", "ja_JP",
              "2024-01-08T03:30:00"),
    ):  # fmt: skip
        ws.users[user.id] = user
    ws.billing_profiles[BILLING_PROFILE] = BillingProfile(
        id=BILLING_PROFILE,
        name="Fennel & Pine",
        company_name="Fennel & Pine Studio AB",
        email="billing@fennelpine.studio",
        address="Hornsgatan 42, 118 21 Stockholm, Sweden",
        tax_number="SE559123456701",
        created_at=_t("2023-09-04T08:30:00"),
        updated_at=_t("2023-09-04T08:30:00"),
    )
    for invoice in _demo_invoices():
        ws.invoices[invoice.id] = invoice
    return ws


def _invoice(id: str, number: str, created: str, **fields: Any) -> Invoice:
    """A draft USD invoice for Priya, by Maya, due in 14 days, changed by `fields`."""
    base = Invoice(
        id=id,
        number=number,
        status="draft",
        currency="USD",
        client=PRIYA,
        creator=MAYA,
        billing_profile=BILLING_PROFILE,
        created_at=_t(created),
        updated_at=_t(created),
        due_date_in_days=14,
    )
    return replace(base, **fields)


def _demo_invoices() -> list[Invoice]:
    return [
        _invoice(
            IN_DRAFT, "FP-00018", "2024-07-08T10:14:00",
            items=[
                Item("invi_d440aabab40ca1e6c4b31cf7", "Brand identity refresh",
                     "Logo, colour palette and type system", _d("1.00"), _d("2400.00")),
                Item("invi_313efa0b70d1605b836ffac2", "Packaging illustrations",
                     "Three bag designs for the autumn blends", _d("3.00"), _d("350.00")),
                Item("invi_277be8c695679e22a1610dc0", "Print-ready file preparation",
                     None, _d("2.50"), _d("80.00")),
            ],
            discounts=[Discount("invti_ace9eb77a624eb9330317a69", "Returning client",
                                _d("10"), "percentage")],
            tax_items=[TaxItem("invti_e2b9df4c83cfdae541f991fe", "NYC sales tax", _d("8.875"))],
            issue_date=_t("2024-07-12T00:00:00"),
            due_date_in_days=8,
            due_reminder_message="A friendly reminder: invoice FP-00018 is due soon.",
            due_reminder_send_days=2,
            memo="Thank you for choosing Fennel & Pine again!",
            payment_gateways=["credit_card", "bank"],
        ),
        _invoice(
            IN_NO_CLIENT, "FP-00017", "2024-06-20T15:02:00",
            currency="GBP", client=None, creator=THEO, language="en_GB", visibility="internal",
            items=[Item("invi_ab04d407eefa04380f1d53ee", "Design sprint workshop",
                        "Two-day facilitated workshop", _d("2.00"), _d("950.00"))],
            discounts=[Discount("invti_843a56c7a2b1a1da34beb08b", "Early booking",
                                _d("150.00"), "fixed")],
            issue_date=_t("2024-06-24T00:00:00"),
            footer_notes="Fennel & Pine Studio AB, VAT SE559123456701",
        ),
        _invoice(
            IN_OPEN, "FP-00016", "2024-05-27T09:40:00",
            status="open", currency="EUR", client=JONAS, language="de_DE",
            items=[Item("invi_762730ffb9e199295b26b7ba", "Book cover series",
                        "Covers for the 'Northern Light' poetry series", _d("4.00"),
                        _d("750.00"))],
            tax_items=[TaxItem("invti_6b723eab9668dfc40976d974", "VAT", _d("19"))],
            issue_date=_t("2024-06-03T00:00:00"),
            finalized_at=_t("2024-06-03T08:00:00"),
            payment_gateways=["bank"],
        ),
        _invoice(
            IN_EXTERNAL, "FP-00015", "2024-04-02T11:25:00",
            status="open", is_external=True, grand_total=_d("1250.00"),
            issue_date=_t("2024-04-02T00:00:00"), due_date_in_days=30,
            finalized_at=_t("2024-04-02T11:25:00"),
            memo="Imported from the previous bookkeeping system.",
        ),
        _invoice(
            IN_JPY, "FP-00014", "2024-03-18T02:10:00",
            status="open", currency="JPY", client=KENJI, creator=THEO, language="ja_JP",
            items=[
                Item("invi_1597b9636f6ace0f807778dd", "Catalogue layout", "48 pages",
                     _d("1.00"), _d("180000")),
                Item("invi_3580bdb64be03821e85feae6", "Product photo retouching", None,
                     _d("24.00"), _d("3500")),
            ],
            discounts=[Discount("invti_4556a879f235f18dfc9da096", "Launch partner",
                                _d("7"), "percentage")],
            tax_items=[TaxItem("invti_85db068eb0f56cddbc5e04bc", "Consumption tax", _d("10"))],
            issue_date=_t("2024-03-18T00:00:00"), due_date_in_days=30,
            finalized_at=_t("2024-03-18T02:30:00"),
            payment_gateways=["credit_card"],
        ),
        _invoice(
            IN_PAID, "FP-00013", "2024-02-05T13:00:00",
            status="paid",
            items=[
                Item("invi_153051d0367656e7457db43e", "Website landing page design", None,
                     _d("1.00"), _d("1800.00")),
                Item("invi_454e988ebf6b0bf17ccf22ed", "Icon set", "Line icons, SVG",
                     _d("12.00"), _d("45.00")),
            ],
            tax_items=[TaxItem("invti_343afaaecb38b5e04d38c4cd", "NYC sales tax", _d("8.875"))],
            issue_date=_t("2024-02-05T00:00:00"),
            finalized_at=_t("2024-02-05T13:05:00"),
            paid_at=_t("2024-02-16T17:45:12"),
            payment_gateways=["credit_card"],
        ),
        _invoice(
            IN_VOID, "FP-00012", "2024-01-22T10:00:00",
            status="void",
            items=[Item("invi_9245015135e870bd9a18a1e9", "Menu board redesign", None,
                        _d("1.00"), _d("640.00"))],
            issue_date=_t("2024-01-22T00:00:00"),
            finalized_at=_t("2024-01-22T10:05:00"),
            voided_at=_t("2024-01-23T09:00:00"),
            memo="Issued twice by mistake; replaced by FP-00013.",
        ),
        _invoice(
            IN_ARCHIVED, "FP-00011", "2023-11-02T16:20:00",
            status="paid",
            items=[Item("invi_57540cf0f16d1cd503cc059a", "Holiday campaign illustrations",
                        None, _d("6.00"), _d("220.00"))],
            issue_date=_t("2023-11-02T00:00:00"),
            finalized_at=_t("2023-11-02T16:30:00"),
            paid_at=_t("2023-11-20T12:00:00"),
            archived_at=_t("2024-01-15T09:00:00"),
        ),
    ]  # fmt: skip


def _acme() -> Workspace:
    ws = Workspace(
        slug=ACME_WORKSPACE,
        api_key=ACME_API_KEY,
        readonly_key=None,
        number_prefix="ACME",
        default_currency="USD",
        owner=ADA,
        billing_profile=ACME_BILLING_PROFILE,
    )
    for user in (
        _user(ADA, "Ada Brooks", "ada@acme.example", "manager", "owner", None,
              "America/Chicago", "en_US", "2023-09-04T08:30:00"),
        _user(BRUNO, "Bruno Marsh", "bruno@roadrunner.example", "client", "client", None,
              "America/Denver", "en_US", "2023-09-11T09:00:00"),
    ):  # fmt: skip
        ws.users[user.id] = user
    ws.billing_profiles[ACME_BILLING_PROFILE] = BillingProfile(
        id=ACME_BILLING_PROFILE,
        name="Acme",
        company_name="Acme Corporation",
        email="ar@acme.example",
        address="1 Mesa Road, Phoenix, AZ 85001, USA",
        tax_number=None,
        created_at=_t("2023-10-01T00:00:00"),
        updated_at=_t("2023-10-01T00:00:00"),
    )
    ws.invoices[ACME_INVOICE] = _invoice(
        ACME_INVOICE, "ACME-0001", "2024-05-01T12:00:00",
        status="open", client=BRUNO, creator=ADA, billing_profile=ACME_BILLING_PROFILE,
        items=[Item("invi_8373633e602a00eb8439640e", "Rocket skates", None, _d("2.00"),
                    _d("499.00"))],
        issue_date=_t("2024-05-01T00:00:00"), finalized_at=_t("2024-05-01T12:00:00"),
    )  # fmt: skip
    return ws


def build_workspaces() -> dict[str, Workspace]:
    """Fresh seed records, keyed by workspace slug."""
    return {ws.slug: ws for ws in (_demo(), _acme())}
