"""The state of one emulator instance and the rules for changing invoices.

A billable record (time entry, expense, billing milestone) knows the invoice it sits on
(`invoice_id`); fixed fee and additional items always belong to one invoice. An invoice's
`*_ids` are read from there, so there is one source of truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from gateway.sandbox.kantata.errors import ErrorItem, invalid, not_found, unprocessable
from gateway.sandbox.kantata.models import (
    Billable,
    Dataset,
    ExternalReference,
    Invoice,
    InvoiceItem,
    TimeAdjustment,
)
from gateway.sandbox.kantata.patch import ExternalReferencePatch, InvoicePatch
from gateway.sandbox.kantata.seed import build_seed

Clock = Callable[[], datetime]

FIRST_NEW_ID = 20000
PAID = "accepted payment"
CANCELLED = "cancelled"


class _OnInvoice(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def invoice_id(self) -> str | None: ...


R = TypeVar("R", bound=_OnInvoice)


def _by_id(records: Mapping[str, R], invoice_id: str) -> list[R]:
    found = [r for r in records.values() if r.invoice_id == invoice_id]
    return sorted(found, key=lambda r: int(r.id))


def _empty_line_items() -> ErrorItem:
    return ErrorItem(
        "validation",
        "An invoice must have at least one time entry, expense, fixed fee item, "
        "additional item or billing milestone",
        "base",
    )


class Store:
    def __init__(self, clock: Clock, settings: Mapping[str, Any] | None = None) -> None:
        self._clock = clock
        # The emulator's switches (the control surface's settings), read on every use.
        self.settings: Mapping[str, Any] = settings if settings is not None else {}
        self._last_tick: datetime | None = None
        self.data: Dataset = build_seed()
        self._next_id = FIRST_NEW_ID

    def reset(self) -> None:
        self.data = build_seed()
        self._next_id = FIRST_NEW_ID

    def now(self) -> datetime:
        """The clock's time, nudged so that successive calls strictly increase; with the
        `same_second_updated_at` quirk, whole seconds that may repeat (nothing in
        Kantata's docs promises more)."""
        moment = self._clock()
        if self.settings.get("same_second_updated_at"):
            return moment.replace(microsecond=0)
        if self._last_tick is not None and moment <= self._last_tick:
            moment = self._last_tick + timedelta(microseconds=1)
        self._last_tick = moment
        return moment

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    # Reading.

    def invoice(self, invoice_id: str) -> Invoice:
        found = self.data.invoices.get(invoice_id)
        if found is None:
            raise not_found(f"Invoice {invoice_id}")
        return found

    def billable_records(self, field: str) -> Mapping[str, Billable]:
        """The records an `*_ids` write field refers to."""
        records: dict[str, Mapping[str, Billable]] = {
            "time_entry_ids": self.data.time_entries,
            "expense_ids": self.data.expenses,
            "billing_milestone_ids": self.data.billing_milestones,
        }
        return records[field]

    def lines(self, invoice: Invoice, field: str) -> list[Billable]:
        return _by_id(self.billable_records(field), invoice.id)

    def fixed_fee_items(self, invoice: Invoice) -> list[InvoiceItem]:
        return _by_id(self.data.fixed_fee_items, invoice.id)

    def additional_items(self, invoice: Invoice) -> list[InvoiceItem]:
        return _by_id(self.data.additional_items, invoice.id)

    def time_adjustments(self, invoice: Invoice) -> list[TimeAdjustment]:
        return _by_id(self.data.time_adjustments, invoice.id)

    def external_references(self, invoice: Invoice) -> list[ExternalReference]:
        found = [
            r
            for r in self.data.external_references.values()
            if r.subject_type == "Invoice" and r.subject_id == invoice.id
        ]
        return sorted(found, key=lambda r: int(r.id))

    def balance_in_cents(self, invoice: Invoice) -> int:
        """Every line's amount plus `tax_rate` on the taxable items; 0 once paid or cancelled."""
        if invoice.status in (PAID, CANCELLED):
            return 0
        items = self.fixed_fee_items(invoice) + self.additional_items(invoice)
        total = sum(item.amount_in_cents for item in items)
        for field in ("time_entry_ids", "expense_ids", "billing_milestone_ids"):
            total += sum(line.amount() for line in self.lines(invoice, field))
        total += sum(adjustment.amount() for adjustment in self.time_adjustments(invoice))
        taxable = sum(item.amount_in_cents for item in items if item.taxable)
        return total + invoice.tax_on(taxable)

    # Checking.

    def _why_not(self, invoice: Invoice, record: Billable | None) -> str | None:
        if record is None:
            return "which does not exist"
        if record.invoice_id is not None and record.invoice_id != invoice.id:
            return f"which is already on invoice {record.invoice_id}"
        if record.workspace_id not in invoice.workspace_ids:
            return "which belongs to a workspace this invoice does not cover"
        if record.currency != invoice.currency:
            return f"which is in {record.currency}, not {invoice.currency}"
        if not record.chargeable:
            return "which is not billable"
        return None

    def _check_billables(
        self, invoice: Invoice, billables: dict[str, list[str]]
    ) -> list[ErrorItem]:
        errors: list[ErrorItem] = []
        for field, ids in billables.items():
            records = self.billable_records(field)
            for record_id in ids:
                problem = self._why_not(invoice, records.get(record_id))
                if problem is not None:
                    errors.append(invalid(field, f"contains {record_id}, {problem}"))
        return errors

    def _line_count_after(self, invoice: Invoice, billables: dict[str, list[str]]) -> int:
        count = len(self.fixed_fee_items(invoice)) + len(self.additional_items(invoice))
        count += len(self.time_adjustments(invoice))
        for field in ("time_entry_ids", "expense_ids", "billing_milestone_ids"):
            ids = billables.get(field)
            count += len(ids) if ids is not None else len(self.lines(invoice, field))
        return count

    # Changing.

    def _apply(self, invoice: Invoice, patch: InvoicePatch) -> None:
        for name, value in patch.scalars.items():
            setattr(invoice, name, value)
        for field, ids in patch.billables.items():
            records = self.billable_records(field)
            for record in self.lines(invoice, field):
                if record.id not in ids:
                    record.invoice_id = None
            for record_id in ids:
                records[record_id].invoice_id = invoice.id
        if patch.external_reference is not None:
            self._upsert_external_reference(invoice, patch.external_reference)

    def _upsert_external_reference(self, invoice: Invoice, patch: ExternalReferencePatch) -> None:
        now = self.now()
        for ref in self.external_references(invoice):
            if ref.service_name == patch.service_name:
                break
        else:
            ref = ExternalReference(
                id=self._new_id(),
                subject_type="Invoice",
                subject_id=invoice.id,
                service_name=patch.service_name,
                service_model=patch.service_model,
                service_model_ref=patch.service_model_ref,
                status=None,
                external_message=None,
                external_link=None,
                external_status=None,
                locked=False,
                created_at=now,
                updated_at=now,
            )
            self.data.external_references[ref.id] = ref
        ref.service_model = patch.service_model
        ref.service_model_ref = patch.service_model_ref
        for name, value in patch.optional.items():
            setattr(ref, name, value)
        ref.updated_at = now

    def update_invoice(
        self, invoice_id: str, patch: InvoicePatch, errors: list[ErrorItem]
    ) -> Invoice:
        """Apply `patch` whole, or raise 422 with `errors` and every other problem found."""
        invoice = self.invoice(invoice_id)
        if invoice.status == CANCELLED:
            raise unprocessable([invalid("status", "is cancelled; the invoice cannot be changed")])
        errors = errors + self._check_billables(invoice, patch.billables)
        if not errors and self._line_count_after(invoice, patch.billables) == 0:
            errors.append(_empty_line_items())
        if errors:
            raise unprocessable(errors)
        self._apply(invoice, patch)
        invoice.updated_at = self.now()
        return invoice

    def create_invoice(self, patch: InvoicePatch, errors: list[ErrorItem], user_id: str) -> Invoice:
        """A new invoice over `workspace_ids` (required, one currency) and the given records."""
        errors = list(errors)
        wanted = patch.workspace_ids or []
        known = [w for w in map(self.data.workspaces.get, wanted) if w is not None]
        problem = None
        if not wanted:
            problem = "can't be blank"
        elif len(known) < len(wanted):
            problem = "contains an ID that does not exist"
        elif len({w.currency for w in known}) > 1:
            problem = "must all share one currency"
        if problem is not None:
            if not any(e.field == "workspace_ids" for e in errors):
                errors.append(invalid("workspace_ids", problem))
            raise unprocessable(errors)
        now = self.now()
        numbers = [i.user_invoice_number for i in self.data.invoices.values()]
        invoice = Invoice(
            id="",
            created_at=now,
            updated_at=now,
            invoice_date=now.date(),
            payment_schedule=30,
            user_invoice_number=max(numbers, default=0) + 1,
            draft=True,
            status="new",
            currency=known[0].currency,
            tax_rate=Decimal(0),
            user_id=user_id,
            recipient_id=known[0].client_lead_id,
            workspace_ids=[w.id for w in known],
        )
        errors += self._check_billables(invoice, patch.billables)
        if not errors and self._line_count_after(invoice, patch.billables) == 0:
            errors.append(_empty_line_items())
        if errors:
            raise unprocessable(errors)
        invoice.id = self._new_id()
        self.data.invoices[invoice.id] = invoice
        self._apply(invoice, patch)
        return invoice

    def delete_invoice(self, invoice_id: str) -> None:
        """Drafts only: their records become unbilled again, their items go with them."""
        invoice = self.invoice(invoice_id)
        if not invoice.draft:
            raise unprocessable([invalid("draft", "is false; only draft invoices can be deleted")])
        for field in ("time_entry_ids", "expense_ids", "billing_milestone_ids"):
            for record in self.lines(invoice, field):
                record.invoice_id = None
        for adjustment in self.time_adjustments(invoice):
            adjustment.invoice_id = None
        for item in self.fixed_fee_items(invoice):
            del self.data.fixed_fee_items[item.id]
        for item in self.additional_items(invoice):
            del self.data.additional_items[item.id]
        for ref in self.external_references(invoice):
            del self.data.external_references[ref.id]
        del self.data.invoices[invoice.id]

    def cancel_invoice(self, invoice_id: str) -> Invoice:
        """Status becomes "cancelled"; its records stay on it (and so stay unavailable)."""
        invoice = self.invoice(invoice_id)
        if invoice.status in (CANCELLED, PAID):
            raise unprocessable(
                [invalid("status", f"is {invoice.status}; the invoice cannot be cancelled")]
            )
        invoice.status = CANCELLED
        invoice.updated_at = self.now()
        return invoice
