"""Demo data: Harbor & Pine Studio, a small design agency, and its clients.

`build_seed()` returns a fresh `Dataset` on every call, so emulator instances never share
records and `/_control/reset` restores exactly this.

Stable anchors (the gateway's tests rely on them; keep the IDs):

- Invoice "101": USD, draft, user "7", recipient "8", workspaces "55" and "56", tax 8.875 %.
  Holds time entry "9001" (90 min at 15000 cents/h), expense "9101", fixed fee item "9201",
  additional item "9301" (the only taxable line), billing milestone "9401" and external
  reference "9501" (service_name "quickbooks"). Balance 818619 cents.
- Invoice "102": USD, not a draft, status "new", recipient null, workspace "59"; holds only
  time entry "9010" and expense "9110" (remove both and the last-line rule triggers).
- Invoice "103": EUR, status "accepted payment" (balance 0), workspace "57".
- Invoice "104": JPY (currency_base_unit 1, symbol "¥"), status "new", workspace "58".
- Invoice "105": USD, status "cancelled", workspace "56".
- Invoice "106": USD, draft, workspace "59"; additional item "9310", milestone "9410",
  time adjustment "9601" (30 min at 12000 cents/h: 6000 cents).
- Unbilled, addable to "101" (workspace "55", USD): time entries "9002", "9003", expense
  "9102", billing milestone "9402". Time entry "9004" is unbilled in workspace "56".
- Not addable to "101": time entry "9005" (not billable), time entry "9021" (workspace "57",
  EUR), time entry "9010" (on invoice "102").
- Users "7" (Maya Okafor, agency), "8" (Daniel Reyes, client lead of Brightwater Foods),
  "9", "10" (agency staff), "11", "12" (client leads). Workspaces "55"-"59".

`history.py` adds 57 older invoices ("201"-"257", dated 2022-01-31 to 2024-12-13, so the
newest-first listing opens with "106", "101", "105", "104", "102", "103") with their own
records, users "13"-"20" and workspaces "60"-"69"; some of them sit in workspaces "57"-"59".
In all: 63 invoices, 14 users, 15 workspaces. The highest invoice number stays 18.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from gateway.sandbox.kantata import history
from gateway.sandbox.kantata.models import (
    BillingMilestone,
    Dataset,
    Expense,
    ExternalReference,
    Invoice,
    InvoiceItem,
    TimeAdjustment,
    TimeEntry,
    User,
    Workspace,
)

AGENCY_ACCOUNT = "3141"


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _users() -> list[User]:
    return [
        User("7", "Maya Okafor", "maya.okafor@harborpine.studio", "Account Director",
             "/images/avatars/maya-okafor.png", AGENCY_ACCOUNT),
        User("8", "Daniel Reyes", "daniel.reyes@brightwaterfoods.com",
             "VP Marketing, Brightwater Foods", None, AGENCY_ACCOUNT),
        User("9", "Priya Natarajan", "priya.natarajan@harborpine.studio", "Senior Designer",
             "/images/avatars/priya-natarajan.png", AGENCY_ACCOUNT),
        User("10", "Tom Becker", "tom.becker@harborpine.studio", "Front-end Developer",
             None, AGENCY_ACCOUNT),
        User("11", "Sofie Lindqvist", "sofie.lindqvist@nordhavn-ferries.eu",
             "Head of Digital, Nordhavn Ferries", None, AGENCY_ACCOUNT),
        User("12", "Kenji Watanabe", "k.watanabe@sakura-tea.jp",
             "Brand Manager, Sakura Tea Co.", None, AGENCY_ACCOUNT),
    ]  # fmt: skip


def _workspaces() -> list[Workspace]:
    return [
        Workspace("55", "Brightwater Foods: Website Relaunch",
                  "New marketing site with recipe finder and store locator.", "USD", 8_500_000,
                  False, date(2025, 1, 13), date(2025, 6, 30), "7", client_lead_id="8"),
        Workspace("56", "Brightwater Foods: Spring Campaign",
                  "Seasonal campaign: key visuals, social cut-downs, in-store posters.", "USD",
                  2_400_000, False, date(2025, 2, 3), date(2025, 4, 18), "7", client_lead_id="8"),
        Workspace("57", "Nordhavn Ferries: Booking App",
                  "Discovery and UX for the new mobile booking flow.", "EUR", 6_200_000,
                  False, date(2024, 10, 1), date(2025, 5, 30), "7", client_lead_id="11"),
        Workspace("58", "Sakura Tea: Brand Identity",
                  "Logo refresh, packaging system and brand guidelines.", "JPY", 4_800_000,
                  False, date(2024, 11, 18), date(2025, 3, 31), "7", client_lead_id="12"),
        Workspace("59", "Lumen Clinics: Patient Portal",
                  "Accessibility audit and redesign of the appointment portal.", "USD",
                  3_600_000, False, date(2024, 9, 2), date(2025, 2, 28), "7"),
    ]  # fmt: skip


def _time_entries() -> list[TimeEntry]:
    return [
        TimeEntry("9001", date(2025, 2, 24), 90, 15000, True,
                  "Homepage wireframes review with Daniel", "USD", "9", "55", invoice_id="101"),
        TimeEntry("9002", date(2025, 3, 5), 240, 15000, True,
                  "Recipe finder: filter interactions prototype", "USD", "9", "55"),
        TimeEntry("9003", date(2025, 3, 6), 180, 13500, True,
                  "Store locator map integration", "USD", "10", "55"),
        TimeEntry("9004", date(2025, 3, 7), 120, 12000, True,
                  "Poster layout revisions, round 2", "USD", "9", "56"),
        TimeEntry("9005", date(2025, 3, 7), 60, 15000, False,
                  "Internal design critique (not billable)", "USD", "9", "55"),
        TimeEntry("9010", date(2025, 1, 21), 300, 14000, True,
                  "Accessibility audit: screen reader pass", "USD", "10", "59", invoice_id="102"),
        TimeEntry("9020", date(2024, 12, 9), 480, 11000, True,
                  "Booking flow discovery workshop", "EUR", "7", "57", invoice_id="103"),
        TimeEntry("9021", date(2025, 3, 4), 150, 11000, True,
                  "Seat map usability test synthesis", "EUR", "9", "57"),
        TimeEntry("9030", date(2025, 1, 15), 60, 12000, True,
                  "Packaging colour proof review", "JPY", "9", "58", invoice_id="104"),
        TimeEntry("9040", date(2025, 2, 10), 45, 12000, True,
                  "Poster copy edits", "USD", "9", "56", invoice_id="105"),
    ]  # fmt: skip


def _expenses() -> list[Expense]:
    return [
        Expense("9101", date(2025, 2, 20), "Stock photography", 18900, "USD",
                "Hero images, extended licence (3)", True, "9", "55", invoice_id="101"),
        Expense("9102", date(2025, 3, 3), "Software", 4900, "USD",
                "Map tiles API, March", True, "10", "55"),
        Expense("9110", date(2025, 1, 22), "Travel", 31250, "USD",
                "Train to Lumen HQ for stakeholder interviews", True, "10", "59",
                invoice_id="102"),
        Expense("9120", date(2025, 2, 12), "Printing", 64000, "USD",
                "Poster test prints", True, "9", "56", invoice_id="105"),
    ]  # fmt: skip


def _time_adjustments() -> list[TimeAdjustment]:
    return [
        TimeAdjustment("9601", date(2025, 2, 24), date(2025, 3, 10), 30, 12000, True,
                       "Portal QA overrun (adjustment)", "USD", "10", "59", invoice_id="106"),
    ]  # fmt: skip


def _fixed_fee_items() -> list[InvoiceItem]:
    return [
        InvoiceItem("9201", 450000, "USD", "Discovery workshop and site map (fixed fee)",
                    False, "55", "101"),
        InvoiceItem("9220", 900000, "EUR", "UX discovery phase (fixed fee)", False, "57", "103"),
        InvoiceItem("9230", 480000, "JPY", "Logo refresh (fixed fee)", False, "58", "104"),
    ]  # fmt: skip


def _additional_items() -> list[InvoiceItem]:
    return [
        InvoiceItem("9301", 25000, "USD", "Staging hosting setup", True, "56", "101"),
        InvoiceItem("9310", 120000, "USD", "Accessibility re-test after fixes", True, "59",
                    "106"),
    ]  # fmt: skip


def _billing_milestones() -> list[BillingMilestone]:
    return [
        BillingMilestone("9401", "Phase 1: design sign-off", 300000, "fixed_date",
                         date(2025, 2, 28), "USD", "55", invoice_id="101"),
        BillingMilestone("9402", "Phase 2: front-end build", 600000, "upon_completion",
                         None, "USD", "55"),
        BillingMilestone("9410", "Portal redesign hand-off", 450000, "fixed_date",
                         date(2025, 2, 28), "USD", "59", invoice_id="106"),
    ]  # fmt: skip


def _external_references() -> list[ExternalReference]:
    return [
        ExternalReference("9501", "Invoice", "101", "quickbooks", "Invoice", "QB-2025-0117",
                          "successful", "Synced as draft", "https://qbo.example.com/invoice/117",
                          "Draft", False, _at(date(2025, 3, 3), 9, 30),
                          _at(date(2025, 3, 3), 9, 30)),
    ]  # fmt: skip


def _invoice(
    id: str,
    day: date,
    number: int,
    *,
    currency: str = "USD",
    draft: bool = False,
    status: str = "new",
    recipient_id: str | None,
    workspace_ids: list[str],
    payment_schedule: int = 30,
    tax_rate: str = "0",
    user_invoice_title: str | None = None,
    message: str | None = None,
    purchase_order: str | None = None,
    project_code: str | None = None,
) -> Invoice:
    return Invoice(
        id=id,
        created_at=_at(day),
        updated_at=_at(day, 9, 5),
        invoice_date=day,
        payment_schedule=payment_schedule,
        user_invoice_number=number,
        draft=draft,
        status=status,
        currency=currency,
        tax_rate=Decimal(tax_rate),
        user_id="7",
        recipient_id=recipient_id,
        workspace_ids=workspace_ids,
        user_invoice_title=user_invoice_title,
        message=message,
        purchase_order=purchase_order,
        project_code=project_code,
    )


def _invoices() -> list[Invoice]:
    return [
        _invoice("101", date(2025, 3, 3), 17, draft=True, recipient_id="8",
                 workspace_ids=["55", "56"], tax_rate="8.875",
                 user_invoice_title="Website relaunch: February",
                 message="Thank you for your business! Payment by ACH is preferred.",
                 purchase_order="BWF-PO-4471", project_code="BWF-WEB"),
        _invoice("102", date(2025, 1, 31), 14, recipient_id=None, workspace_ids=["59"],
                 payment_schedule=45, user_invoice_title="Accessibility audit",
                 purchase_order="LC-2025-009"),
        _invoice("103", date(2024, 12, 20), 12, currency="EUR", status="accepted payment",
                 recipient_id="11", workspace_ids=["57"], tax_rate="21",
                 user_invoice_title="Booking app: discovery",
                 message="Bitte überweisen Sie den Betrag innerhalb von 14 Tagen.",
                 payment_schedule=14),
        _invoice("104", date(2025, 1, 31), 15, currency="JPY", recipient_id="12",
                 workspace_ids=["58"], tax_rate="10", user_invoice_title="Brand identity: logo",
                 project_code="SAKURA-ID"),
        _invoice("105", date(2025, 2, 14), 16, status="cancelled", recipient_id="8",
                 workspace_ids=["56"], message="Replaced by invoice #00017."),
        _invoice("106", date(2025, 3, 10), 18, draft=True, recipient_id=None,
                 workspace_ids=["59"], tax_rate="8.875",
                 user_invoice_title="Portal redesign hand-off"),
    ]  # fmt: skip


def build_seed() -> Dataset:
    """A fresh copy of the demo data: the anchors above and the generated history."""
    spaces = {r.id: r for r in [*_workspaces(), *history.workspaces()]}
    past = history.build_history(spaces)
    return Dataset(
        users={r.id: r for r in [*_users(), *history.users()]},
        workspaces=spaces,
        time_entries={r.id: r for r in [*_time_entries(), *past.time_entries]},
        expenses={r.id: r for r in [*_expenses(), *past.expenses]},
        fixed_fee_items={r.id: r for r in [*_fixed_fee_items(), *past.fixed_fee_items]},
        additional_items={r.id: r for r in [*_additional_items(), *past.additional_items]},
        billing_milestones={r.id: r for r in [*_billing_milestones(), *past.billing_milestones]},
        external_references={r.id: r for r in _external_references()},
        invoices={r.id: r for r in [*_invoices(), *past.invoices]},
        time_adjustments={r.id: r for r in _time_adjustments()},
    )
