"""The neutral update input, and its translation into a neutral patch.

Every field is `Maybe`: absent means "leave unchanged", null means "clear". Whether a
vendor can clear a field, or has it at all, is the vendor's rule, answered as a typed
user error rather than a schema error, so one answer can name every problem.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.maybe import Some

from gateway.core import domain
from gateway.core.errors import ErrorCode, GatewayError, Problem
from gateway.schema.descriptions import describe
from gateway.schema.enums import DiscountType, InvoiceVisibility, PaymentGateway
from gateway.schema.naming import camel


@strawberry.input(description=describe("LineItemInput"))
class LineItemInput:
    title: str
    description: str | None = None
    quantity: Decimal | None = strawberry.field(default=None, description="Defaults to 1.")
    unit_price: Decimal | None = None


@strawberry.input
class DiscountInput:
    title: str
    amount: Decimal = strawberry.field(description="Percent for PERCENTAGE, money for FIXED.")
    type: DiscountType


@strawberry.input
class TaxInput:
    title: str
    rate: Decimal = strawberry.field(description="Percent, applied after discounts.")


@strawberry.input
class DueReminderInput:
    message: strawberry.Maybe[str | None]
    send_days: strawberry.Maybe[int | None] = strawberry.field(
        description="Days before (negative) or after the due date."
    )


@strawberry.input(description=describe("BillablesInput"))
class BillablesInput:
    time_entry_ids: strawberry.Maybe[list[strawberry.ID] | None]
    expense_ids: strawberry.Maybe[list[strawberry.ID] | None]
    billing_milestone_ids: strawberry.Maybe[list[strawberry.ID] | None]


@strawberry.input(description=describe("ExternalReferenceInput"))
class ExternalReferenceInput:
    service_name: str
    service_model: str
    service_model_ref: str
    status: strawberry.Maybe[str | None]
    external_message: strawberry.Maybe[str | None]
    external_link: strawberry.Maybe[str | None]
    external_status: strawberry.Maybe[str | None]
    locked: strawberry.Maybe[bool | None]


@strawberry.input(
    description="A partial update. Omit a field to leave it unchanged; send null to clear it "
    "where the vendor allows. A field the invoice's vendor cannot store is UNSUPPORTED_FIELD."
)
class UpdateInvoiceInput:
    id: strawberry.ID
    number: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.number")
    )
    title: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.title")
    )
    issue_date: strawberry.Maybe[dt.date | None]
    payment_terms_days: strawberry.Maybe[int | None]
    notes: strawberry.Maybe[str | None]
    footer: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.footer")
    )
    draft: strawberry.Maybe[bool | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.draft")
    )
    purchase_order: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.purchaseOrder")
    )
    project_code: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.projectCode")
    )
    currency: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.currency")
    )
    recipient_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.recipientId")
    )
    language: strawberry.Maybe[str | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.language")
    )
    visibility: strawberry.Maybe[InvoiceVisibility | None]
    payment_gateways: strawberry.Maybe[list[PaymentGateway] | None]
    due_reminder: strawberry.Maybe[DueReminderInput | None]
    line_items: strawberry.Maybe[list[LineItemInput] | None]
    discounts: strawberry.Maybe[list[DiscountInput] | None]
    taxes: strawberry.Maybe[list[TaxInput] | None]
    billables: strawberry.Maybe[BillablesInput | None]
    add_billables: strawberry.Maybe[BillablesInput | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.addBillables")
    )
    remove_billables: strawberry.Maybe[BillablesInput | None] = strawberry.field(
        description=describe("UpdateInvoiceInput.removeBillables")
    )
    external_reference: strawberry.Maybe[ExternalReferenceInput | None]
    expected_updated_at: dt.datetime | None = strawberry.field(
        default=None,
        description="The updatedAt you last read: if the invoice has changed since, the "
        "answer is CONFLICT (with its current updatedAt) and nothing is written. Costs one "
        "read before the write.",
    )


_BILLABLES = {"billables", "add_billables", "remove_billables"}


def _present(obj: object) -> dict[str, Any]:
    """The Maybe fields the caller sent, by neutral name, with Some() unwrapped."""
    return {
        f.name: value.value
        for f in dataclasses.fields(obj)  # type: ignore[arg-type]
        if isinstance(value := getattr(obj, f.name), Some)
    }


def _neutral(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "line_items":
        return [
            domain.LineItemInput(i.title, i.description, i.quantity, i.unit_price) for i in value
        ]
    if name == "discounts":
        return [domain.DiscountInput(d.title, d.amount, d.type) for d in value]
    if name == "taxes":
        return [domain.TaxInput(t.title, t.rate) for t in value]
    if name == "due_reminder":
        return domain.DueReminderInput(_present(value))
    if name in _BILLABLES:
        return domain.BillablesInput(_present(value))
    if name == "external_reference":
        values = _present(value)
        values.update(
            service_name=value.service_name,
            service_model=value.service_model,
            service_model_ref=value.service_model_ref,
        )
        return domain.ExternalReferenceInput(values)
    if name == "recipient_id":
        return str(value)
    return value


def _too_long(path: tuple[str, ...], value: Any, limit: int) -> list[Problem]:
    """Lists longer than `limit` in the input (billables' lists one level down), as
    problems naming them; checked before anything reads their entries."""
    if isinstance(value, list):
        if len(value) <= limit:
            return []
        message = f"has {len(value)} entries; at most {limit} (GATEWAY_MAX_LIST_LENGTH)"
        return [Problem(ErrorCode.INVALID_INPUT, message, path)]
    if path[-1] in _BILLABLES and value is not None:
        return [
            problem
            for inner, ids in _present(value).items()
            for problem in _too_long((*path, inner), ids, limit)
        ]
    return []


def to_patch(data: UpdateInvoiceInput, native_id: str, max_list_length: int) -> domain.InvoicePatch:
    present = _present(data)
    problems = [
        problem
        for name, value in present.items()
        for problem in _too_long((name,), value, max_list_length)
    ]
    if problems:
        raise GatewayError(tuple(problems))
    values = {name: _neutral(name, value) for name, value in present.items()}
    return domain.InvoicePatch(
        invoice_id=native_id, values=values, expected_updated_at=data.expected_updated_at
    )


def input_paths(error: GatewayError) -> GatewayError:
    """`error` with its neutral field paths (`("expected_updated_at",)`) as the caller
    sent them, inside `input` (`["input", "expectedUpdatedAt"]`)."""
    return error.at("input", camel)
