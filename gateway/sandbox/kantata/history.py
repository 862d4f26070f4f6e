"""The studio's older invoices (January 2022 to December 2024), generated without randomness.

`build_history()` returns new records only; `seed.build_seed()` merges them with the
anchors. Nothing here touches an anchor record, and every generated invoice is dated before
invoice "103" (2024-12-20, the oldest anchor), so the newest-first listing still opens with
the six anchors.

- IDs: users "13"-"20", workspaces "60"-"69", invoices "201" upward in date order, time
  entries "12001"+, expenses "13001"+, fixed fee items "14001"+, additional items "15001"+,
  billing milestones "16001"+. Every billable record sits on exactly one generated invoice,
  in one of that invoice's workspaces and in its currency.
- Numbers restart every fiscal year (July to June), as the studio's accountant wants:
  FY 2021/22 begins at #5 (earlier numbers predate Kantata), FY 2024/25 runs #1-#11 before
  the anchors' #12-#18. Numbers therefore repeat across years; the highest is still 18.
- Status follows the date: from 2024-11-25 drafts, from 2024-09-01 alternately "new" (sent,
  unpaid) and "accepted payment" (paid late, `updated_at` in 2024-11 to 2025-01), earlier
  "accepted payment" except a few "cancelled".
- `created_at` is on the invoice date (hour and minute vary); `updated_at` is when it was
  sent, paid or cancelled. Creators are users "13", "7" and "14"; the recipient is the
  workspace's client lead, now and then null.
- Line items: time entries on most invoices (a fixed fee item on a project's first one,
  expenses, additional items and milestones on some); retainer invoices ("67", "58") hold one
  fixed-date milestone. Web shop invoices from 2024 also cover workspace "69".
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from gateway.sandbox.kantata.models import (
    BillingMilestone,
    Expense,
    Invoice,
    InvoiceItem,
    TimeEntry,
    User,
    Workspace,
)

ACCOUNT = "3141"
LAST_DAY = date(2024, 12, 13)  # the latest invoice date allowed (anchor "103" is 2024-12-20)
DRAFTS_FROM = date(2024, 11, 25)
SENT_FROM = date(2024, 9, 1)
PAID = "accepted payment"
CANCELLED = "cancelled"


def users() -> list[User]:
    return [
        User("13", "Elena Marsh", "elena.marsh@harborpine.studio", "Studio Manager & Finance",
             "/images/avatars/elena-marsh.png", ACCOUNT),
        User("14", "Owen Park", "owen.park@harborpine.studio", "Project Manager", None, ACCOUNT),
        User("15", "Grace Holloway", "grace.holloway@lumenclinics.org",
             "Marketing Director, Lumen Clinics", None, ACCOUNT),
        User("16", "Marcus Hale", "marcus.hale@alderandfinch.com",
             "E-commerce Lead, Alder & Finch Outdoor", None, ACCOUNT),
        User("17", "Ana Ruiz", "ana@copperline.coffee", "Founder, Copperline Coffee", None,
             ACCOUNT),
        User("18", "Pieter de Vries", "p.devries@veldt-architectuur.nl",
             "Partner, Veldt Architectuur", None, ACCOUNT),
        User("19", "Jonas Weber", "jonas.weber@harborpine.studio", "Motion Designer",
             "/images/avatars/jonas-weber.png", ACCOUNT),
        User("20", "Hana Sato", "hana.sato@harborpine.studio", "Copywriter", None, ACCOUNT),
    ]  # fmt: skip


@dataclass(frozen=True)
class Project:
    """How one workspace was billed: an invoice at the end of each month in `months`."""

    workspace_id: str
    name: str  # for invoice titles
    months: tuple[tuple[int, int], ...]  # (year, month)
    tasks: tuple[str, ...]  # time entry notes; a retainer's milestone title
    tax_rate: str = "0"
    payment_schedule: int = 30
    retainer: bool = False  # one fixed-date milestone per invoice instead of time entries
    also: str | None = None  # a second workspace, on invoices dated after it started


def _months(start: tuple[int, int], count: int, step: int = 1) -> tuple[tuple[int, int], ...]:
    year, month = start
    found = []
    for _ in range(count):
        found.append((year, month))
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return tuple(found)


def workspaces() -> list[Workspace]:
    """The new workspaces (the anchors define "55"-"59"); finished before July 2024 means
    archived."""

    def ws(id: str, title: str, description: str, currency: str, price: int, start: date,
           due: date, creator: str, lead: str) -> Workspace:  # fmt: skip
        return Workspace(id, title, description, currency, price, due < date(2024, 7, 1),
                         start, due, creator, client_lead_id=lead)  # fmt: skip

    return [
        ws("60", "Brightwater Foods: Packaging Refresh",
           "Refresh of the frozen range packaging, 14 SKUs.", "USD", 5_600_000,
           date(2023, 1, 9), date(2023, 9, 29), "7", "8"),
        ws("61", "Lumen Clinics: Brand Guidelines",
           "Brand guidelines, icon set and signage templates for six clinics.", "USD",
           2_750_000, date(2022, 1, 10), date(2022, 8, 31), "14", "15"),
        ws("62", "Nordhavn Ferries: Website Localisation",
           "German, Danish and Swedish versions of the booking site.", "EUR", 3_900_000,
           date(2023, 3, 1), date(2023, 12, 15), "7", "11"),
        ws("63", "Sakura Tea: Online Shop Launch",
           "Shop templates, product photography direction and launch banners.", "JPY",
           3_600_000, date(2023, 9, 4), date(2024, 5, 31), "7", "12"),
        ws("64", "Alder & Finch: Catalogue 2022",
           "Print and PDF catalogue for the 2022 outdoor range.", "USD", 3_200_000,
           date(2022, 1, 3), date(2022, 6, 30), "14", "16"),
        ws("65", "Alder & Finch: Web Shop Redesign",
           "Redesign of the web shop: product pages, checkout and account area.", "USD",
           7_400_000, date(2023, 8, 1), date(2024, 6, 28), "14", "16"),
        ws("66", "Copperline Coffee: Brand & Packaging",
           "Naming, logo and bag designs for three blends.", "USD", 4_100_000,
           date(2022, 3, 1), date(2022, 12, 16), "7", "17"),
        ws("67", "Copperline Coffee: Retainer 2024",
           "Design retainer: social assets, menus and seasonal labels.", "USD", 2_400_000,
           date(2024, 1, 8), date(2024, 12, 20), "14", "17"),
        ws("68", "Veldt Architectuur: Portfolio Site",
           "Portfolio website with project archive and CMS.", "EUR", 2_900_000,
           date(2024, 2, 5), date(2024, 9, 27), "7", "18"),
        ws("69", "Alder & Finch: Social Content 2024",
           "Monthly social video and photo packages for the spring range.", "USD",
           1_800_000, date(2024, 1, 15), date(2024, 6, 28), "14", "16"),
    ]  # fmt: skip


PROJECTS: tuple[Project, ...] = (
    Project("64", "Catalogue 2022", _months((2022, 1), 6),
            ("Catalogue grid and cover concepts", "Product photo retouching",
             "Catalogue copy edits with Marcus", "Print proof corrections"),
            tax_rate="8.875"),
    Project("61", "Brand guidelines", _months((2022, 2), 7),
            ("Icon set drawing", "Signage template layouts", "Guidelines document writing",
             "Colour accessibility checks"),
            payment_schedule=45),
    Project("66", "Brand and packaging", _months((2022, 4), 9),
            ("Logo sketches and review", "Bag dieline layouts", "Blend label illustrations",
             "Packaging print supervision"),
            tax_rate="6.25"),
    Project("60", "Packaging refresh", (*_months((2023, 2), 5), (2023, 9)),
            ("SKU artwork adaptation", "Nutrition panel typesetting",
             "Packaging review with Daniel", "Printer colour matching"),
            tax_rate="8.875"),
    Project("62", "Website localisation", _months((2023, 4), 5, step=2),
            ("Translation workflow setup", "Localised landing page layouts",
             "Copy review with Sofie", "QA of the localised booking flow"),
            tax_rate="21", payment_schedule=14),
    Project("65", "Web shop redesign", _months((2023, 9), 5, step=2),
            ("Checkout flow prototype", "Product page components", "Account area build",
             "Performance tuning of the product listing"),
            tax_rate="8.875", also="69"),
    Project("63", "Online shop launch", _months((2023, 10), 3, step=3),
            ("Shop template design", "Product photography direction", "Launch banner set"),
            tax_rate="10"),
    Project("67", "Design retainer", (*_months((2024, 2), 4, step=2), (2024, 10), (2024, 12)),
            ("Design retainer",), retainer=True),
    Project("68", "Portfolio site", _months((2024, 3), 4, step=2),
            ("Project archive design", "CMS content modelling", "Image gallery build",
             "Launch checklist and handover"),
            tax_rate="21", payment_schedule=14),
    Project("59", "Patient portal discovery", _months((2024, 10), 3),
            ("Portal discovery interviews", "Appointment flow audit",
             "Heuristic review write-up"),
            tax_rate="8.875", payment_schedule=45),
    Project("57", "Booking app research", _months((2024, 10), 2),
            ("Booking app kick-off workshop", "Competitor app review"),
            tax_rate="21", payment_schedule=14),
    Project("58", "Brand identity", ((2024, 11),), ("Brand identity deposit",), tax_rate="10",
            retainer=True),
)  # fmt: skip


def _last_weekday(year: int, month: int) -> date:
    day = date(year, month, monthrange(year, month)[1])
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return min(day, LAST_DAY)


def _fiscal_year(day: date) -> int:
    return day.year + (1 if day.month >= 7 else 0)


FIRST_NUMBER = {2022: 5}  # per fiscal year (named by the year it ends in); default 1

STAFF = ("9", "10", "19", "20", "7", "14")
CREATORS = ("13", "7", "13", "14")
RATES = {"USD": (15000, 13500, 12000, 16500), "EUR": (11000, 12500), "JPY": (12000, 15000)}
MINUTES = (90, 120, 240, 360, 45, 180, 300, 150)
EXPENSES = {
    "USD": ((("Printing", "Proof prints"), 23400), (("Software", "Prototype tool seats"), 4900),
            (("Travel", "Train to client workshop"), 31250),
            (("Stock photography", "Lifestyle images, standard licence"), 18900)),
    "EUR": ((("Travel", "Train to client workshop"), 28600),
            (("Software", "Translation memory seats"), 6900)),
    "JPY": ((("Courier", "Sample shipment to Tokyo"), 8800),
            (("Stock photography", "Tea field images"), 15400)),
}  # fmt: skip


@dataclass
class History:
    invoices: list[Invoice] = field(default_factory=list)
    time_entries: list[TimeEntry] = field(default_factory=list)
    expenses: list[Expense] = field(default_factory=list)
    fixed_fee_items: list[InvoiceItem] = field(default_factory=list)
    additional_items: list[InvoiceItem] = field(default_factory=list)
    billing_milestones: list[BillingMilestone] = field(default_factory=list)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _status(i: int, day: date) -> tuple[bool, str, date]:
    """(draft, status, the day of the last change) of the `i`-th invoice, dated `day`."""
    if day >= DRAFTS_FROM:
        return True, "new", day + timedelta(days=2)
    if day >= SENT_FROM:
        if i % 2 == 0:
            return False, "new", day + timedelta(days=1)
        return False, PAID, day + timedelta(days=70)
    if i % 14 == 9:
        return False, CANCELLED, day + timedelta(days=3 + i % 5)
    return False, PAID, day + timedelta(days=10 + (i * 7) % 35)


def _expense(h: History, i: int, inv: Invoice, workspace_id: str, days_before: int) -> None:
    options = EXPENSES[inv.currency]
    (category, notes), cost = options[i % len(options)]
    h.expenses.append(
        Expense(str(13001 + len(h.expenses)), inv.invoice_date - timedelta(days=days_before),
                category, cost, inv.currency, notes, True, STAFF[i % len(STAFF)],
                workspace_id, invoice_id=inv.id)
    )  # fmt: skip


def _lines(h: History, i: int, n: int, p: Project, inv: Invoice) -> None:
    """The records on `inv`, the `i`-th generated invoice and the `n`-th of project `p`."""
    cur, day, spaces = inv.currency, inv.invoice_date, inv.workspace_ids
    jpy = cur == "JPY"
    if p.retainer:
        h.billing_milestones.append(
            BillingMilestone(str(16001 + len(h.billing_milestones)),
                             f"{p.tasks[0]}, {day:%B %Y}", 480000 if jpy else 200000,
                             "fixed_date", day, cur, p.workspace_id, invoice_id=inv.id)
        )  # fmt: skip
        if i % 3 == 0:
            _expense(h, i, inv, p.workspace_id, 6)
        return
    rates = RATES[cur]
    for k in range(1 + i % 3):
        h.time_entries.append(
            TimeEntry(str(12001 + len(h.time_entries)), day - timedelta(days=3 + 5 * k),
                      MINUTES[(i + k) % len(MINUTES)], rates[(n + k) % len(rates)], True,
                      p.tasks[(n + k) % len(p.tasks)], cur, STAFF[(i + 2 * k) % len(STAFF)],
                      spaces[k % len(spaces)], invoice_id=inv.id)
        )  # fmt: skip
    if n == 0:
        h.fixed_fee_items.append(
            InvoiceItem(str(14001 + len(h.fixed_fee_items)),
                        900000 if jpy else 450000 + 50000 * (i % 4), cur,
                        "Discovery and strategy (fixed fee)", False, p.workspace_id, inv.id)
        )  # fmt: skip
    if i % 3 == 1:
        _expense(h, i, inv, p.workspace_id, 9)
    if i % 5 == 2:
        taxable = i % 2 == 0
        h.additional_items.append(
            InvoiceItem(str(15001 + len(h.additional_items)),
                        36000 if jpy else 36000 + 1500 * (i % 7), cur,
                        "Hosting and CMS licence, 12 months" if taxable else "Font licence (web)",
                        taxable, spaces[-1], inv.id)
        )  # fmt: skip
    if i % 4 == 3:
        h.billing_milestones.append(
            BillingMilestone(str(16001 + len(h.billing_milestones)),
                             f"Phase sign-off, {day:%B %Y}",
                             750000 if jpy else 300000 + 25000 * (i % 5), "upon_completion",
                             None, cur, p.workspace_id, invoice_id=inv.id)
        )  # fmt: skip


def _message(i: int, status: str) -> str | None:
    if status == CANCELLED:
        return "Cancelled: issued against the wrong purchase order."
    return "Thank you for your business!" if i % 4 == 0 else None


def _started(spaces: Mapping[str, Workspace], id: str | None, day: date) -> list[str]:
    """`[id]` if that workspace had started by `day`, else `[]`."""
    found = spaces.get(id) if id is not None else None
    if found is None or found.start_date is None or found.start_date > day:
        return []
    return [found.id]


def build_history(spaces: Mapping[str, Workspace]) -> History:
    """The generated invoices and their records, fresh on every call; `spaces` must hold
    every workspace a project names (the anchors' and `workspaces()`)."""
    dated = sorted(
        ((_last_weekday(*month), n, p) for p in PROJECTS for n, month in enumerate(p.months)),
        key=lambda row: (row[0], int(row[2].workspace_id)),
    )
    h = History()
    numbers: dict[int, int] = {}
    for i, (day, n, p) in enumerate(dated):
        fy = _fiscal_year(day)
        numbers[fy] = numbers.get(fy, FIRST_NUMBER.get(fy, 1) - 1) + 1
        draft, status, changed = _status(i, day)
        created = _at(day, 9 + i % 8, (i * 13) % 60)
        ws = spaces[p.workspace_id]
        ids = [ws.id, *_started(spaces, p.also, day)]
        inv = Invoice(
            id=str(201 + i),
            created_at=created,
            updated_at=max(created + timedelta(minutes=5), _at(changed, 8 + i % 9, i % 60)),
            invoice_date=day,
            payment_schedule=p.payment_schedule,
            user_invoice_number=numbers[fy],
            draft=draft,
            status=status,
            currency=ws.currency,
            tax_rate=Decimal(p.tax_rate),
            user_id=CREATORS[i % len(CREATORS)],
            recipient_id=None if i % 7 == 3 else ws.client_lead_id,
            workspace_ids=ids,
            user_invoice_title=f"{p.name}: {day:%B %Y}",
            message=_message(i, status),
            purchase_order=f"PO-{day.year}-{100 + i:03d}" if i % 3 == 0 else None,
            project_code=f"HP-{ws.id}" if i % 2 == 1 else None,
        )
        h.invoices.append(inv)
        _lines(h, i, n, p, inv)
    return h
