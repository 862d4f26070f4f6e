"""Seed data: Fennel & Pine, a small design studio, and its clients.

`build_workspaces()` returns fresh records every call, so each emulator (and each reset)
starts from the same state. IDs are fixed so tests and demos can name them.

Workspace "demo" (key `sandbox-kitchen-key`, read-only key `sandbox-kitchen-readonly`):

- Members (group manager), oldest first: `MAYA` u_837daa416e0fc9e653b6b549 (owner,
  creator of API-made invoices), `THEO` u_795351164428ed5c42361ef5, `SOFIA`
  u_63c51afd531dbe3ff6b30885 (Sofia Marchetti).
- Clients (group client), oldest first: `OLIVER` u_2a8328017fc3e86e501ee700 (Tidewater
  Outfitters), `AMELIE` u_58bd8e389e0954eaa00c6909 (Maison Durand), `HANNAH`
  u_d123fb3bfe7229c70b2971e5 (Northfield Cycles), `PRIYA` u_dbc85e6e4aa66923584116a3
  (Harbor Coffee Roasters), `JONAS` u_83abe8d8b418411d9701ce44 (Lumen Books), `KENJI`
  u_45c5a309938f35a75afdbaf8 (Sakura Ceramics).
- Billing profile `BILLING_PROFILE` bp_e05c06b7c22a92b699e5de96.
- 32 invoices: 26 active, 6 archived. By status 16 paid (5 archived), 8 open, 4 draft,
  2 void (1 archived), 2 uncollectible; by currency 17 USD, 6 EUR, 6 GBP, 3 JPY.
- The eight named invoices, newest first (the first eight of `state=all`):

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

- 24 older invoices, all created before `IN_ARCHIVED` (so after the eight above in every
  list), written out in `_history()`: FP-00001 .. FP-00010 (2023-09-06 .. 2023-10-31) and
  FP-2023-001 .. FP-2023-014, the studio's 2023 invoices imported from its old bookkeeping
  with their original dates (2023-01-16 .. 2023-08-31). Clients Oliver, Amélie (EUR),
  Hannah (GBP) and Priya, four with client null; creators Maya, Theo and Sofia; 1-4 items,
  some discounts (percentage and fixed) and taxes (NYC 8.875%, _TVA/VAT 20%, JPY 10%).
  Archived: FP-2023-001 .. FP-2023-004 and FP-00001. FP-2023-004 is void (archived),
  FP-2023-008 and FP-00007 uncollectible, FP-00004 and FP-00009 drafts; FP-00002, 03, 06,
  08 and 10 open. Their IDs are `seed_id("in_", number)` (`in_` and the first 24 hex
  digits of sha256("fennel-pine:<number>"), e.g. FP-00001 in_0246278029e79e38016204e5);
  their lines' IDs hash `<number>/item/<n>`, `/discount/<n>`, `/tax/<n>`. None of the
  numbers matches `FP-<digits>` above 00018, so POST still numbers FP-00019 next.

Workspace "acme" (key `sandbox-acme-key`, no read-only key): member `ADA`
u_fd2c3a837941245ec6638564, client `BRUNO` u_79ea61e4d4026c3f8561636d, billing profile
`ACME_BILLING_PROFILE` bp_ed318da2e7e446a0a5db5761, one invoice `ACME_INVOICE`
in_0ea434b4724f977000825245 (ACME-0001, open, USD).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from gateway.sandbox.kitchen import money
from gateway.sandbox.kitchen.models import (
    BillingProfile,
    Discount,
    DiscountType,
    Group,
    Invoice,
    Item,
    Status,
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
SOFIA = "u_63c51afd531dbe3ff6b30885"
OLIVER = "u_2a8328017fc3e86e501ee700"
AMELIE = "u_58bd8e389e0954eaa00c6909"
HANNAH = "u_d123fb3bfe7229c70b2971e5"
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
        _user(SOFIA, "Sofia Marchetti", "sofia@fennelpine.studio", "manager", "member",
              "Illustrator", "Europe/Rome", "en_US",
              "2023-09-18T08:00:00"),
        _user(OLIVER, "Oliver Grant", "oliver@tidewateroutfitters.com", "client", "client",
              "Brand Manager, Tidewater Outfitters", "America/Los_Angeles", "en_US",
              "2023-09-05T16:20:00"),
        _user(AMELIE, "Amélie Durand", "amelie@maison-durand.fr", "client", "client",
              "Directrice artistique, Maison Durand", "Europe/Paris", "fr_FR",
              "2023-09-07T09:10:00"),
        _user(HANNAH, "Hannah Price", "hannah.price@northfieldcycles.co.uk", "client",
              "client", "Head of Marketing, Northfield Cycles", "Europe/London", "en_GB",
              "2023-09-08T11:30:00"),
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
    for invoice in [*_demo_invoices(), *_history()]:
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


# --- the studio's older invoices -------------------------------------------------------

Line = tuple[str, str | None, str, str]  # title, description, quantity, unit price
_LANGUAGES = {"EUR": "fr_FR", "GBP": "en_GB", "JPY": "ja_JP"}
_SETTLED = {"paid": "paid_at", "void": "voided_at", "uncollectible": "marked_uncollectible_at"}


def seed_id(prefix: str, label: str) -> str:
    """A fixed ID for a generated seed record: `prefix` and 24 hex digits of a hash."""
    return prefix + hashlib.sha256(f"fennel-pine:{label}".encode()).hexdigest()[:24]


def _past(
    number: str,
    created: str,
    status: Status,
    currency: str,
    client: str | None,
    creator: str,
    lines: list[Line],
    *,
    discounts: tuple[tuple[str, str, DiscountType], ...] = (),
    taxes: tuple[tuple[str, str], ...] = (),
    settled: str | None = None,
    archived: str | None = None,
    **fields: Any,
) -> Invoice:
    """One of the older invoices; its IDs derive from `number`, its dates from `created`.

    Issued on the day it was created and finalized 20 minutes later (unless a draft);
    `settled` is when it was paid, voided or written off, as its status says.
    """
    made = _t(created)
    extra: dict[str, Any] = {
        "issue_date": made.replace(hour=0, minute=0, second=0),
        "language": _LANGUAGES.get(currency, "en_US"),
        "payment_gateways": ["credit_card", "bank"] if currency == "USD" else ["bank"],
    }
    if status != "draft":
        extra["finalized_at"] = made + timedelta(minutes=20)
    if status in _SETTLED:
        assert settled is not None, number
        extra[_SETTLED[status]] = _t(settled)
    return _invoice(
        seed_id("in_", number), number, created,
        status=status, currency=currency, client=client, creator=creator,
        items=[
            Item(seed_id("invi_", f"{number}/item/{n}"), title, text,
                 money.quantity(_d(qty)), money.quantize(_d(price), currency))
            for n, (title, text, qty, price) in enumerate(lines)
        ],
        discounts=[
            Discount(seed_id("invti_", f"{number}/discount/{n}"), title, _d(amount), kind)
            for n, (title, amount, kind) in enumerate(discounts)
        ],
        tax_items=[
            TaxItem(seed_id("invti_", f"{number}/tax/{n}"), title, _d(rate))
            for n, (title, rate) in enumerate(taxes)
        ],
        archived_at=_t(archived) if archived else None,
        **{**extra, **fields},
    )  # fmt: skip


_NYC_TAX = ("NYC sales tax", "8.875")
_TVA = ("_TVA", "20")
_UK_VAT = ("VAT", "20")
_JP_TAX = ("Consumption tax", "10")
_CLEAN_UP = "2023-09-06T08:00:00"  # when the imported 2023 invoices that were done got archived


def _history() -> list[Invoice]:
    """The 2023 invoices imported from the old bookkeeping, then Kitchen's FP-00001..10."""
    return [
        _past("FP-2023-001", "2023-01-16T09:30:00", "paid", "USD", OLIVER, MAYA, [
            ("Brand strategy workshop", "Half-day session with the founders", "1", "1800.00"),
            ("Logo design", "Primary mark and two lock-ups", "1", "2200.00"),
        ], settled="2023-02-03T15:12:40", archived=_CLEAN_UP),
        _past("FP-2023-002", "2023-02-08T14:00:00", "paid", "EUR", AMELIE, MAYA, [
            ("Boutique signage design", "Rue de Charonne storefront", "1", "1450.00"),
            ("Shopping bag artwork", "Small and large sizes", "2", "275.00"),
        ], taxes=(_TVA,), settled="2023-03-01T10:03:00", archived=_CLEAN_UP),
        _past("FP-2023-003", "2023-03-01T10:15:00", "paid", "GBP", HANNAH, THEO, [
            ("Frame decal set", "One set per 2023 road model", "5", "120.00"),
            ("Catalogue cover", None, "1", "480.00"),
        ], discounts=(("Loyalty", "50.00", "fixed"),), taxes=(_UK_VAT,),
           settled="2023-03-20T09:41:18", archived=_CLEAN_UP),
        _past("FP-2023-004", "2023-03-22T11:00:00", "void", "USD", PRIYA, MAYA, [
            ("Coffee bag labels", "Single-origin range", "3", "180.00"),
        ], taxes=(_NYC_TAX,), settled="2023-03-23T08:55:00", archived=_CLEAN_UP,
           memo="Sent with the wrong billing address; reissued as FP-2023-005."),
        _past("FP-2023-005", "2023-03-23T09:00:00", "paid", "USD", PRIYA, MAYA, [
            ("Coffee bag labels", "Single-origin range", "3", "180.00"),
        ], taxes=(_NYC_TAX,), settled="2023-04-10T14:30:05"),
        _past("FP-2023-006", "2023-04-12T16:45:00", "paid", "JPY", None, THEO, [
            ("Exhibition poster", "Tokyo Design Week, B1 size", "1", "220000"),
            ("Print supervision", "Press checks at the printer", "3", "15000"),
        ], taxes=(_JP_TAX,), settled="2023-05-15T01:20:00", due_date_in_days=30),
        _past("FP-2023-007", "2023-05-03T13:20:00", "paid", "USD", OLIVER, THEO, [
            ("Spring lookbook layout", "32 pages", "1", "3200.00"),
            ("Photo shoot art direction", None, "2", "650.00"),
            ("Retouching", "Per image", "40", "18.50"),
        ], discounts=(("Bundle", "5", "percentage"),), settled="2023-06-02T18:07:51"),
        _past("FP-2023-008", "2023-05-30T08:50:00", "uncollectible", "GBP", None, MAYA, [
            ("Festival identity concept", None, "1", "1900.00"),
            ("Poster series", "Four A2 posters", "4", "210.00"),
        ], taxes=(_UK_VAT,), settled="2023-09-12T10:00:00",
           memo="The festival was cancelled and its organiser wound up; written off."),
        _past("FP-2023-009", "2023-06-19T15:10:00", "paid", "EUR", AMELIE, MAYA, [
            ("Summer collection lookbook", None, "1", "2600.00"),
            ("Social media templates", "Stories and feed posts", "12", "45.00"),
        ], discounts=(("Returning client", "10", "percentage"),), taxes=(_TVA,),
           settled="2023-07-14T11:22:09"),
        _past("FP-2023-010", "2023-07-05T10:00:00", "paid", "USD", PRIYA, THEO, [
            ("Café menu redesign", None, "1", "950.00"),
            ("Chalkboard lettering", "Two boards, on site", "2", "300.00"),
        ], taxes=(_NYC_TAX,), settled="2023-07-28T16:45:33"),
        _past("FP-2023-011", "2023-07-27T12:30:00", "paid", "GBP", HANNAH, THEO, [
            ("Website illustrations", "Spot illustrations for the new shop", "8", "140.00"),
        ], taxes=(_UK_VAT,), settled="2023-08-25T08:10:00"),
        _past("FP-2023-012", "2023-08-14T09:45:00", "paid", "USD", OLIVER, MAYA, [
            ("Trade show booth graphics", "Outdoor Retailer, 10x20 booth", "1", "4100.00"),
            ("Large-format print files", None, "1", "350.00"),
        ], discounts=(("Early payment", "250.00", "fixed"),), settled="2023-08-30T13:02:47"),
        _past("FP-2023-013", "2023-08-28T11:20:00", "paid", "USD", OLIVER, THEO, [
            ("Store opening slides", "Keynote template and 20 slides", "1", "800.00"),
        ], settled="2023-09-10T19:30:00"),
        _past("FP-2023-014", "2023-08-31T17:00:00", "paid", "EUR", AMELIE, THEO, [
            ("Autumn window display", "Design and production drawings", "1", "1750.00"),
            ("Installation day", "On site in Paris", "1.5", "600.00"),
        ], taxes=(_TVA,), settled="2023-09-29T09:15:00", due_date_in_days=30),
        _past("FP-00001", "2023-09-06T10:00:00", "paid", "USD", OLIVER, MAYA, [
            ("Holiday catalogue design", "24 pages", "1", "2800.00"),
            ("Gift card designs", None, "3", "150.00"),
        ], settled="2023-09-29T17:48:02", archived="2024-01-15T09:00:00"),
        _past("FP-00002", "2023-09-12T09:15:00", "open", "GBP", HANNAH, THEO, [
            ("Team jersey graphics", "Home and away", "2", "380.00"),
            ("Kit mock-ups", None, "1", "240.00"),
        ], taxes=(_UK_VAT,), due_date_in_days=30),
        _past("FP-00003", "2023-09-19T14:30:00", "open", "USD", PRIYA, SOFIA, [
            ("Seasonal bag illustration", "Autumn and winter blends", "2", "425.00"),
            ("Shelf talkers", None, "6", "35.00"),
        ], taxes=(_NYC_TAX,), due_reminder_send_days=-2,
           due_reminder_message="Invoice FP-00003 from Fennel & Pine is due in two days."),
        _past("FP-00004", "2023-09-25T11:00:00", "draft", "EUR", AMELIE, SOFIA, [
            ("Monthly social content", "Retainer, October", "1", "1500.00"),
        ], discounts=(("Retainer rate", "15", "percentage"),), taxes=(_TVA,),
           memo="Proposal, waiting for sign-off."),
        _past("FP-00005", "2023-10-03T08:40:00", "paid", "JPY", None, MAYA, [
            ("Brand storytelling workshop", "One day, Tokyo", "1", "150000"),
            ("Workshop materials", "Printed workbooks", "20", "1800"),
        ], taxes=(_JP_TAX,), settled="2023-10-20T02:05:00"),
        _past("FP-00006", "2023-10-09T13:00:00", "open", "USD", OLIVER, THEO, [
            ("Packaging system", "Structure, graphics and guidelines", "1", "5200.00"),
            ("Dieline adaptations", None, "4", "275.00"),
            ("Press check", "Half day at the printer", "1", "400.00"),
            ("Regulatory panel artwork", "Nutrition and barcode panels", "4", "85.00"),
        ], discounts=(("Volume discount", "300.00", "fixed"),), due_date_in_days=30,
           footer_notes="Fennel & Pine Studio AB, VAT SE559123456701"),
        _past("FP-00007", "2023-10-16T10:30:00", "uncollectible", "USD", None, SOFIA, [
            ("Album artwork", "Cover, back and vinyl labels", "1", "1350.00"),
            ("Lyric booklet", "Per page", "12", "40.00"),
        ], settled="2024-01-10T12:00:00",
           memo="The band split before the release; written off after three reminders."),
        _past("FP-00008", "2023-10-20T15:45:00", "open", "EUR", AMELIE, MAYA, [
            ("Perfume launch invitations", "Letterpress, two colours", "150", "4.20"),
            ("Envelope liners", None, "150", "1.10"),
        ], taxes=(_TVA,), visibility="internal"),
        _past("FP-00009", "2023-10-25T09:00:00", "draft", "GBP", HANNAH, SOFIA, [
            ("Spring campaign concepts", "Three routes", "3", "450.00"),
        ], discounts=(("Early commitment", "10", "percentage"),), taxes=(_UK_VAT,)),
        _past("FP-00010", "2023-10-31T16:00:00", "open", "USD", PRIYA, MAYA, [
            ("Holiday blend packaging", None, "1", "1950.00"),
            ("Gift box insert", "Folded card, two sides", "1", "320.00"),
        ], discounts=(("Returning client", "5", "percentage"),), taxes=(_NYC_TAX,),
           payment_gateways=["credit_card"]),
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
