"""The gateway reads each answer the vendors document: the documented bodies go through the
pure readers, and every expected value below is copied by hand from the documentation."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from gateway.core.domain import (
    Discount,
    DiscountType,
    DueReminder,
    InvoiceStatus,
    InvoiceVisibility,
    LineItemKind,
    Money,
    User,
    UserKey,
    Workspace,
)
from gateway.vendors.kantata.errors import error_messages
from gateway.vendors.kantata.read import bundle_from_envelope, single_invoice
from gateway.vendors.kitchen.details import KitchenDetails
from gateway.vendors.kitchen.read import bundle_from_record
from tests.contracts.documents import body

UTC = dt.UTC

# --- Kitchen: the seed page's answer to "Update an invoice" --------------------------------


def test_kitchen_update_answer_reads_as_documented() -> None:
    bundle = bundle_from_record(body("kitchen_invoice_response.json"))
    [invoice] = bundle.invoices
    assert invoice.id == "kitchen:invoice:in_31d435a7f94fd8d87c36ecfd"
    assert invoice.vendor_id == "in_31d435a7f94fd8d87c36ecfd"
    assert invoice.number == "PREFIX-00018"
    assert invoice.title is None  # Kitchen invoices have no title
    assert invoice.status is InvoiceStatus.PAID
    assert invoice.vendor_status == "paid"
    assert invoice.issue_date == dt.date(2024, 7, 12)
    assert invoice.due_date == dt.date(2024, 7, 20)
    assert invoice.payment_terms_days == 8
    assert invoice.currency == "USD"
    assert invoice.notes is None  # "memo": null
    assert invoice.total is not None
    assert (str(invoice.total.amount), invoice.total.currency) == ("488.91", "USD")
    # The example is "paid": nothing is left to pay on it.
    assert invoice.balance == Money(Decimal("0.00"), "USD")
    assert invoice.created_by == UserKey("u_c13cc0aee4b5af7a42951898", "member")
    assert invoice.recipient == UserKey("u_62988d0392da49247a831d35", "client")
    assert invoice.created_at == dt.datetime(2024, 3, 13, 9, 16, 53, tzinfo=UTC)
    assert invoice.updated_at == dt.datetime(2024, 3, 13, 9, 16, 53, tzinfo=UTC)
    assert invoice.line_item_ids == ("kitchen:item:invi_ac3074df0d1c309d12624399",)
    assert bundle.users == {}  # `client` and `creator` are ID strings, not expanded


def test_kitchen_documented_item_reads_with_exact_money() -> None:
    bundle = bundle_from_record(body("kitchen_invoice_response.json"))
    item = bundle.line_items["kitchen:item:invi_ac3074df0d1c309d12624399"]
    assert item.kind is LineItemKind.ITEM
    assert item.title == "The invoice item title"
    assert item.description == "The invoice item description"
    assert item.quantity is not None and str(item.quantity) == "1.00"  # "quantity": "1.00"
    assert item.unit_price is not None and item.amount is not None
    assert (str(item.unit_price.amount), item.unit_price.currency) == ("675.65", "USD")
    assert (str(item.amount.amount), item.amount.currency) == ("675.65", "USD")


def test_kitchen_documented_details_read_as_documented() -> None:
    [invoice] = bundle_from_record(body("kitchen_invoice_response.json")).invoices
    details = invoice.details
    assert isinstance(details, KitchenDetails)
    assert details.footer is None
    assert details.language == "en_US"
    assert details.visibility is InvoiceVisibility.SHARED
    assert details.payment_gateways == ()
    assert details.discounts == (
        Discount(
            id="kitchen:discount:invti_81c4288ef04117d38e29b22c",
            title="The discount item title",
            amount=Decimal("50.54"),
            type=DiscountType.PERCENTAGE,
        ),
    )
    [tax] = details.tax_items
    assert tax.id == "kitchen:tax_item:invti_e5d2b8e5d9a4017b84c95b47"
    assert tax.title == "The tax item title"
    assert tax.rate is not None and str(tax.rate) == "46.3"
    assert details.due_reminder == DueReminder(
        message="The reminder message", send_days=2, send_date=dt.date(1982, 7, 22)
    )
    money = {
        "subtotal": details.subtotal,
        "discount_total": details.discount_total,
        "tax_total": details.tax_total,
    }
    assert {k: (str(m.amount), m.currency) if m else None for k, m in money.items()} == {
        "subtotal": ("675.65", "USD"),
        "discount_total": ("341.47", "USD"),
        "tax_total": ("154.73", "USD"),
    }
    assert details.paid_at is None
    assert details.finalized_at is None


def test_kitchen_documented_numbers_agree_with_percent_discount_and_percent_tax() -> None:
    """Not the gateway: the example itself. Its numbers fit a percentage discount and a tax
    item whose `amount` is a percent of the discounted amount (VENDORS.md's reading)."""
    doc = body("kitchen_invoice_response.json")
    cent = Decimal("0.01")
    discount = (doc["amount"] * doc["discounts"][0]["amount"] / 100).quantize(cent, ROUND_HALF_UP)
    assert discount == doc["discount_amount"] == Decimal("341.47")
    taxed = doc["amount"] - discount
    tax = (taxed * doc["tax_items"][0]["amount"] / 100).quantize(cent, ROUND_HALF_UP)
    assert tax == doc["tax_amount"] == Decimal("154.73")
    assert taxed + tax == doc["total_amount"] == Decimal("488.91")


def test_kitchen_archive_answer_reads_like_the_update_answer() -> None:
    """ "Archive an invoice" answers the same invoice with `archived_at` set; the neutral
    invoice has no archived field, so it reads exactly like the seed page's answer."""
    archived = bundle_from_record(body("kitchen_archive_invoice_response.json"))
    updated = bundle_from_record(body("kitchen_invoice_response.json"))
    assert archived.invoices == updated.invoices
    assert archived.line_items == updated.line_items


# --- Kantata -------------------------------------------------------------------------------


def test_kantata_response_format_example_reads_its_types_and_users() -> None:
    """The "Response Format" page's envelope (a `/workspaces.json` answer with users)."""
    bundle = bundle_from_envelope(body("kantata_response_format_example.json"))
    assert bundle.invoices == []
    assert bundle.total == 2
    assert bundle.workspaces == {
        "10": Workspace(id="kantata:workspace:10", title="some project"),
        "11": Workspace(id="kantata:workspace:11", title="another project"),
    }
    assert bundle.users == {
        UserKey("2"): User(id="kantata:user:2", name="bob", email=None),
        UserKey("6"): User(id="kantata:user:6", name="chaz", email=None),
        UserKey("8"): User(id="kantata:user:8", name="jane", email=None),
    }


def test_kantata_documented_list_sample_lists_no_invoice() -> None:
    """The schema sample of "List Invoices" fills every value with a placeholder: its one
    `results` entry points at key "string", and its record sits under "property1", so
    the answer lists no invoice and the reader reads none (it reads `count` as it is)."""
    bundle = bundle_from_envelope(body("kantata_list_invoices_response.json"))
    assert bundle.invoices == []
    assert bundle.total == 0


def test_kantata_documented_put_answer_without_the_invoice_is_refused() -> None:
    """The seed page documents the PUT answer's keys only (every type map empty here): an
    answer that does not carry the updated invoice is not taken for it."""
    with pytest.raises(ValueError):
        single_invoice(body("kantata_put_invoice_response.json"), "101")


def test_kantata_documented_error_answer_reads() -> None:
    """The seed page's 400 answer: `errors[]` with `type` and `message` (no `field`)."""
    assert error_messages(body("kantata_put_invoice_response_400.json")) == [("string", None)]
