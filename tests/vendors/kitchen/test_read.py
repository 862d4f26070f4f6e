"""Kitchen.co answers read into neutral objects.

Expected values are written by hand from the seed page's example invoice
(`tests/contracts/fixtures/kitchen_invoice_response.json`), the README ("Nothing lost":
reading back, money, status), `/work/shared/VENDORS.md` and
`gateway/vendors/kitchen/ASSUMPTIONS.md` (C…); never from the module's own tables.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytest import param

from gateway.core.domain import (
    Discount,
    DiscountType,
    DueReminder,
    InvoiceStatus,
    InvoiceVisibility,
    LineItemKind,
    Money,
    PaymentGateway,
    TaxItem,
    User,
)
from gateway.vendors.kitchen.read import (
    bundle_from_record,
    line_item_from_record,
    unapplied,
    user_from_record,
)

D = Decimal
FIXTURES = Path(__file__).parents[2] / "contracts" / "fixtures"
# As the client decodes an answer: every JSON number with decimals is an exact Decimal.
SEED = json.loads((FIXTURES / "kitchen_invoice_response.json").read_text(), parse_float=D)
PERCENTAGE = DiscountType.PERCENTAGE
CREATOR, CLIENT = "u_c13cc0aee4b5af7a42951898", "u_62988d0392da49247a831d35"


def read(**changes: Any) -> Any:
    return bundle_from_record({**SEED, **changes})


def dig(value: Any, path: str) -> Any:
    for name in path.split("."):
        value = getattr(value, name)
    return value


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


# --- the seed page's example, field by field -----------------------------------------------

FIELDS = {
    "id": "kitchen:invoice:in_31d435a7f94fd8d87c36ecfd",
    "vendor_id": "in_31d435a7f94fd8d87c36ecfd", "number": "PREFIX-00018", "title": None,
    "status": InvoiceStatus.PAID, "vendor_status": "paid",
    "issue_date": dt.date(2024, 7, 12), "due_date": dt.date(2024, 7, 20),
    "payment_terms_days": 8, "currency": "USD", "notes": None,
    "total": usd("488.91"), "balance": usd("0.00"),  # paid: nothing left to pay
    "created_by.native_id": CREATOR, "recipient.native_id": CLIENT,
    "workspace_ids": (),  # Kitchen has no workspaces: known empty
    "line_item_ids": ("kitchen:item:invi_ac3074df0d1c309d12624399",),
    "created_at": dt.datetime(2024, 3, 13, 9, 16, 53, tzinfo=dt.UTC),
    "updated_at": dt.datetime(2024, 3, 13, 9, 16, 53, tzinfo=dt.UTC),
    "money_unknown": None,
    "details.footer": None, "details.language": "en_US",
    "details.visibility": InvoiceVisibility.SHARED, "details.payment_gateways": (),
    "details.discounts": (Discount("kitchen:discount:invti_81c4288ef04117d38e29b22c",
                                   "The discount item title", D("50.54"), PERCENTAGE),),
    "details.tax_items": (TaxItem("kitchen:tax_item:invti_e5d2b8e5d9a4017b84c95b47",
                                  "The tax item title", D("46.3")),),  # a percent, as given: C8
    "details.due_reminder": DueReminder("The reminder message", 2, dt.date(1982, 7, 22)),
    "details.subtotal": usd("675.65"), "details.discount_total": usd("341.47"),
    "details.tax_total": usd("154.73"), "details.paid_at": None, "details.finalized_at": None,
}  # fmt: skip


@pytest.mark.parametrize(("path", "expected"), FIELDS.items(), ids=list(FIELDS))
def test_seed_invoice_field(path: str, expected: Any) -> None:
    assert dig(read().invoice, path) == expected


def test_seed_item() -> None:
    line = read().line_items["kitchen:item:invi_ac3074df0d1c309d12624399"]
    assert (line.kind, line.title, line.description) == (
        LineItemKind.ITEM, "The invoice item title", "The invoice item description",
    )  # fmt: skip
    price = usd("675.65")  # 1.00 x 675.65, which is the invoice's own `amount` (C5)
    assert (line.quantity, line.unit_price, line.amount) == (D("1.00"), price, price)


# --- status one to one (C21), and the balance it leaves (README "Reading back") -----------

STATUSES = [
    param("draft", InvoiceStatus.DRAFT, "488.91", id="draft"),
    param("open", InvoiceStatus.OPEN, "488.91", id="open"),
    param("paid", InvoiceStatus.PAID, "0.00", id="paid"),
    param("void", InvoiceStatus.VOID, "0.00", id="void"),
    param("uncollectible", InvoiceStatus.UNCOLLECTIBLE, "488.91", id="uncollectible"),
    param("refunded", InvoiceStatus.UNKNOWN, "488.91", id="other-word-unknown"),
]


@pytest.mark.parametrize(("word", "status", "balance"), STATUSES)
def test_status_and_balance(word: str, status: InvoiceStatus, balance: str) -> None:
    invoice = read(status=word).invoice
    assert (invoice.status, invoice.vendor_status) == (status, word)
    assert (str(invoice.balance.amount), invoice.balance.currency) == (balance, "USD")


# --- money in the currency's minor units (README: `46.3` -> `"46.30"`; C17) ----------------

MONEY = [
    param("USD", D("46.3"), "46.30", id="usd-46.3"),
    param("USD", 1250, "1250.00", id="usd-integer"),
    param("USD", D("675.65"), "675.65", id="usd-exact"),
    param("USD", D("0.125"), "0.125", id="finer-than-a-cent-never-rounded"),
    param("JPY", 1250, "1250", id="jpy-no-decimals"),
    param("JPY", D("1250.00"), "1250.00", id="jpy-as-written"),
    param("BHD", D("1.5"), "1.500", id="bhd-three-places"),
]


@pytest.mark.parametrize(("currency", "amount", "written"), MONEY)
def test_money_written_with_minor_units(currency: str, amount: Any, written: str) -> None:
    invoice = read(currency=currency, total_amount=amount, status="open").invoice
    assert (str(invoice.total.amount), invoice.total.currency) == (written, currency)
    assert (str(invoice.balance.amount), invoice.balance.currency) == (written, currency)


def test_a_null_amount_stays_null() -> None:  # seed docs: "amount and totals may be null"
    invoice = read(total_amount=None, tax_amount=None, status="open").invoice
    assert (invoice.total, invoice.balance, invoice.details.tax_total) == (None, None, None)


def test_no_currency_means_no_money_and_says_why() -> None:
    bundle = read(currency=None, items=[{**SEED["items"][0], "currency": None}])
    assert (bundle.invoice.currency, bundle.invoice.total, bundle.invoice.details.subtotal) == (
        None, None, None,
    )  # fmt: skip
    assert bundle.invoice.money_unknown
    [line] = bundle.line_items.values()
    assert (line.unit_price, line.amount) == (None, None) and line.unknown


# --- dates: the calendar date in the offset Kitchen wrote (C22) ----------------------------

DATES = [
    param("2024-07-12T00:00:00+00:00", dt.date(2024, 7, 12), id="midnight-utc"),
    param("2024-07-12T23:30:00-05:00", dt.date(2024, 7, 12), id="late-west-of-utc-not-next-day"),
    param("2024-07-13T00:30:00+09:00", dt.date(2024, 7, 13), id="early-east-of-utc-not-day-before"),
    param("2024-07-12", dt.date(2024, 7, 12), id="plain-date"),
    param(None, None, id="null"),
]


@pytest.mark.parametrize(("written", "expected"), DATES)
@pytest.mark.parametrize(
    ("key", "path"),
    [("issue_date", "issue_date"), ("due_date", "due_date"),
     ("due_reminder_send_date", "details.due_reminder.send_date")],
    ids=["issue_date", "due_date", "due_reminder_send_date"],
)  # fmt: skip
def test_dates_in_the_offset_written(
    key: str, path: str, written: str | None, expected: Any
) -> None:
    assert dig(read(**{key: written}).invoice, path) == expected


def test_timestamps_keep_their_offset() -> None:
    invoice = read(
        updated_at="2024-03-13T11:16:53+02:00", paid_at="2024-03-14T00:00:00-05:00"
    ).invoice
    assert invoice.updated_at == dt.datetime(2024, 3, 13, 9, 16, 53, tzinfo=dt.UTC)
    assert invoice.updated_at.utcoffset() == dt.timedelta(hours=2)
    assert invoice.details.paid_at == dt.datetime(2024, 3, 14, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize("written", ["2024-13-45T00:00:00+00:00", "12/07/2024"])
def test_a_date_that_is_not_iso_8601_fails_the_read(written: str) -> None:
    with pytest.raises(ValueError):
        read(issue_date=written)


# --- items: quantity x unit price, in the item's currency else the invoice's (C5, C17, C18)

ITEMS = [
    param({"quantity": "2.50", "amount": 100}, "USD", ("2.50", "100.00 USD", "250.00 USD"),
          id="quantity-string-times-unit-price"),
    param({"quantity": "3", "amount": 1250}, "JPY", ("3", "1250 JPY", "3750 JPY"),
          id="jpy-invoice"),
    param({"quantity": "1.00", "amount": D("46.3"), "currency": "EUR"}, "USD",
          ("1.00", "46.30 EUR", "46.30 EUR"), id="own-currency-wins"),
    param({"quantity": "2", "amount": None}, "USD", ("2", None, None), id="null-price-stays-null"),
    param({"quantity": None, "amount": 10}, "USD", (None, "10.00 USD", None),
          id="null-quantity-no-amount"),
    param({"quantity": "1", "amount": 10}, None, ("1", None, None), id="no-currency-anywhere"),
]  # fmt: skip


@pytest.mark.parametrize(("record", "currency", "expected"), ITEMS)
def test_item(record: dict[str, Any], currency: str | None, expected: tuple[Any, ...]) -> None:
    line = line_item_from_record({"id": "invi_1", "title": "Design", **record}, currency)
    money = [
        None if m is None else f"{m.amount} {m.currency}" for m in (line.unit_price, line.amount)
    ]
    quantity = None if line.quantity is None else str(line.quantity)
    assert (line.id, (quantity, *money)) == ("kitchen:item:invi_1", expected)


TWO_ITEMS = [
    {"id": "invi_1", "title": "Design", "quantity": "2", "amount": D("10.00")},
    {"id": "invi_2", "title": "Hosting", "quantity": "1", "amount": D("5.50")},
]
SUBTOTALS = [  # two lines: 2 x 10.00 + 1 x 5.50 = 25.50; half a cent a line of slack
    param(D("25.50"), True, id="lines-add-up"),
    param(D("25.51"), True, id="within-a-cent-for-two-lines"),
    param(D("25.52"), False, id="beyond-the-slack"),
    param(D("30.00"), False, id="do-not-add-up"),
]


@pytest.mark.parametrize(("subtotal", "shown"), SUBTOTALS)
def test_line_amounts_shown_only_when_they_add_up_to_the_subtotal(subtotal: D, shown: bool) -> None:
    lines = read(amount=subtotal, items=TWO_ITEMS).line_items
    amounts = [lines[f"kitchen:item:{i}"].amount for i in ("invi_1", "invi_2")]
    assert amounts == ([usd("20.00"), usd("5.50")] if shown else [None, None])
    assert all(line.unit_price is not None for line in lines.values())
    assert all(bool(line.unknown) is not shown for line in lines.values())


# --- users: ID strings, or objects when expanded (C10, C11; VENDORS.md "User object") ------


def test_user() -> None:
    record = {"id": CLIENT, "name": "Ann Lee", "email": "ann@example.com", "group": "client"}
    assert user_from_record(record) == User(f"kitchen:user:{CLIENT}", "Ann Lee", "ann@example.com")


def test_expanded_users_come_inline_and_plain_ids_are_loaded_later() -> None:
    creator = {"id": CREATOR, "name": "Bo", "email": "bo@example.com"}
    bundle = read(creator=creator, client=CLIENT)
    assert (bundle.invoice.created_by.native_id, bundle.invoice.recipient.native_id) == (
        CREATOR, CLIENT,
    )  # fmt: skip
    assert list(bundle.users.values()) == [User(f"kitchen:user:{CREATOR}", "Bo", "bo@example.com")]
    assert bundle.invoice.created_by.role != bundle.invoice.recipient.role  # member vs client


def test_no_client_reads_as_none() -> None:  # seed page: `client` is nullable
    assert read(client=None).invoice.recipient is None


def test_fixed_discount_and_payment_gateways() -> None:
    discounts = [{"id": "invti_1", "title": "Loyalty", "amount": D("10.00"), "type": "fixed"}]
    details = read(discounts=discounts, payment_gateways=["credit_card", "bank"]).invoice.details
    assert [(d.amount, d.type) for d in details.discounts] == [(D("10.00"), DiscountType.FIXED)]
    assert details.payment_gateways == (PaymentGateway.CREDIT_CARD, PaymentGateway.BANK)


# --- a PUT's answer must show each sent list as sent (C4, C7) ------------------------------

SENT = {  # the seed page's values, as the gateway sends them
    "items": [{"title": "The invoice item title", "quantity": D("1.00"), "amount": D("675.65")}],
    "discounts": [{"title": "The discount item title", "amount": D("50.54"), "type": "percentage"}],
    "tax_items": [{"title": "The tax item title", "amount": D("46.3")}],
}
UNAPPLIED = [
    param({}, [], id="the-seed-answer-shows-every-list"),
    param({"items": [{**SEED["items"][0], "title": " The invoice item title "}]}, [],
          id="titles-trimmed"),
    param({"items": [{**SEED["items"][0], "amount": D("675.650")}]}, [], id="numbers-as-numbers"),
    param({"items": [{**SEED["items"][0], "amount": D("675.66")}]}, ["items"], id="price-differs"),
    param({"items": SEED["items"] * 2}, ["items"], id="an-item-kept-not-replaced"),
    param({"discounts": [{**SEED["discounts"][0], "type": "fixed"}]}, ["discounts"],
          id="discount-type-differs"),
    param({"tax_items": []}, ["tax_items"], id="tax-items-missing"),
    param({"items": None}, ["items"], id="no-items-in-the-answer"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "wrong"), UNAPPLIED)
def test_unapplied_lists(changes: dict[str, Any], wrong: list[str]) -> None:
    assert unapplied(SENT, {**SEED, **changes}) == wrong


def test_lists_not_sent_are_not_checked() -> None:
    assert unapplied({"number": "PREFIX-00018"}, {**SEED, "items": []}) == []
