"""The rules of `PUT /api/invoices/{id}` (and `POST /api/invoices`), Laravel style.

`validate_invoice(body, ctx)` checks every parameter present in `body` and returns the
changes keyed by `Invoice` attribute, or raises `ApiError` 422 listing every failure
(nothing is applied when any field is invalid). Absent parameters are left unchanged;
unknown and read-only keys (`status`, `total_amount`, `id`, ...) are ignored [doc: "any
parameters not provided will be left unchanged"; ignoring the rest is Laravel's
`validated()`]. Rules run in the seed page's parameter order; each field reports its first
failing rule only [guess: as if every rule were `bail`]. Nested errors use Laravel's dotted
keys (`items.0.title`) and labels (underscores read as spaces).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from gateway.sandbox.kitchen import errors, money
from gateway.sandbox.kitchen import rules as r
from gateway.sandbox.kitchen.ids import new_id
from gateway.sandbox.kitchen.models import Discount, Invoice, Item, TaxItem, Workspace

PAYMENT_GATEWAYS = ("credit_card", "stripe_ach", "paypal", "bank")
VISIBILITIES = ("private", "internal", "shared")
_LOCALE = re.compile(r"^[a-z]{2}_[A-Z]{2}$")
SKIP = object()  # a valid parameter that changes nothing stored (`folder`, `grand_total`)


@dataclass(frozen=True)
class Context:
    workspace: Workspace
    invoice: Invoice | None  # None when creating
    currency: str  # the invoice's currency once this request is applied


def _sub_currency(ctx: Context) -> Callable[[str, object], object]:
    """A line's `currency` is optional and must be the invoice's [guess]."""

    def check(key: str, value: object) -> object:
        return None if value is None else r.choice(key, value, [ctx.currency])

    return check


# --- parameters ------------------------------------------------------------------------


def _client(key: str, value: object, ctx: Context) -> object:
    client = r.string(key, value, nullable=True)
    if client is not None:
        user = ctx.workspace.users.get(client)
        if user is None or user.group != "client":
            raise r.fail(key, "The selected :attr is invalid.")
    return client


def _currency(key: str, value: object, ctx: Context) -> object:
    r.string(key, value, nullable=False)
    return r.choice(key, value, list(money.CURRENCIES))


def _discounts(key: str, value: object, ctx: Context) -> object:
    def one(sub: str, element: dict[str, object]) -> Discount:
        got = r.fields(
            sub,
            element,
            {
                "title": r.required_string,
                "amount": r.numeric,
                "currency": _sub_currency(ctx),
                "type": lambda k, v: r.choice(k, v, ("percentage", "fixed")),
            },
        )
        amount = got["amount"]
        assert isinstance(amount, Decimal)
        if got["type"] == "percentage":
            if amount > 100:
                raise r.fail(f"{sub}.amount", "The :attr field must not be greater than 100.")
            return Discount(new_id("invti_"), str(got["title"]), amount, "percentage")
        fixed = money.quantize(amount, ctx.currency)
        return Discount(new_id("invti_"), str(got["title"]), fixed, "fixed")

    return r.each(key, value, one)


def _days(key: str, value: object, ctx: Context) -> object:
    return r.integer(key, value, min=0)


def _signed_days(key: str, value: object, ctx: Context) -> object:
    return r.integer(key, value)


def _text(key: str, value: object, ctx: Context) -> object:
    return r.string(key, value, nullable=True)


def _folder(key: str, value: object, ctx: Context) -> object:
    r.string(key, value, nullable=True)
    return SKIP  # [guess] accepted and dropped: folders belong to conversations


def _footer_notes(key: str, value: object, ctx: Context) -> object:
    return r.string(key, value, nullable=True, max=255)


def _grand_total(key: str, value: object, ctx: Context) -> object:
    total = r.numeric(key, value)
    if ctx.invoice is None or not ctx.invoice.is_external:
        return SKIP  # [guess] "applied only when invoice is external": otherwise ignored
    return money.quantize(total, ctx.currency)


def _issue_date(key: str, value: object, ctx: Context) -> object:
    return r.date(key, value)


def _items(key: str, value: object, ctx: Context) -> object:
    def quantity(k: str, v: object) -> Decimal:
        if v is None:
            return Decimal("1.00")  # [guess] quantity defaults to one
        number = r.numeric(k, v, minimum=None)
        if number <= 0:
            raise r.fail(k, "The :attr field must be greater than 0.")
        return money.quantity(number)

    def one(sub: str, element: dict[str, object]) -> Item:
        got = r.fields(
            sub,
            element,
            {
                "title": r.required_string,
                "description": lambda k, v: r.string(k, v, nullable=True),
                "quantity": quantity,
                "amount": r.numeric,
                "currency": _sub_currency(ctx),
            },
        )
        amount = got["amount"]
        qty = got["quantity"]
        assert isinstance(amount, Decimal) and isinstance(qty, Decimal)
        description = got["description"]
        return Item(
            new_id("invi_"),
            str(got["title"]),
            description if isinstance(description, str) else None,
            qty,
            money.quantize(amount, ctx.currency),
        )

    return r.each(key, value, one)


def _language(key: str, value: object, ctx: Context) -> object:
    text = r.string(key, value, nullable=False)
    if text is None or not _LOCALE.match(text):
        raise r.fail(key, "The :attr field format is invalid.")
    return text


def _number(key: str, value: object, ctx: Context) -> object:
    number = r.string(key, value, nullable=False, max=255)
    own = ctx.invoice.id if ctx.invoice else None
    if any(i.number == number and i.id != own for i in ctx.workspace.invoices.values()):
        raise r.fail(key, "The :attr has already been taken.")
    return number


def _payment_gateways(key: str, value: object, ctx: Context) -> object:
    found: dict[str, str] = {}
    chosen: list[str] = []
    for sub, element in r.entries(key, value):
        if isinstance(element, str) and element in chosen:
            found[sub] = f"The {sub.replace('_', ' ')} field has a duplicate value."
            continue
        try:
            chosen.append(r.choice(sub, element, PAYMENT_GATEWAYS))
        except r.Invalid as exc:
            found.update(exc.errors)
    if found:
        raise r.Invalid(found)
    return chosen


def _tax_items(key: str, value: object, ctx: Context) -> object:
    def rate(k: str, v: object) -> Decimal:
        number = r.numeric(k, v)
        if number > 100:
            raise r.fail(k, "The :attr field must not be greater than 100.")
        return number

    def one(sub: str, element: dict[str, object]) -> TaxItem:
        got = r.fields(
            sub,
            element,
            {"title": r.required_string, "amount": rate, "currency": _sub_currency(ctx)},
        )
        amount = got["amount"]
        assert isinstance(amount, Decimal)
        return TaxItem(new_id("invti_"), str(got["title"]), amount)

    return r.each(key, value, one)


def _visibility(key: str, value: object, ctx: Context) -> object:
    return r.choice(key, value, VISIBILITIES)


RULES: dict[str, Callable[[str, object, Context], object]] = {
    "client": _client,
    "currency": _currency,
    "discounts": _discounts,
    "due_date_in_days": _days,
    "due_reminder_message": _text,
    "due_reminder_send_days": _signed_days,
    "folder": _folder,
    "footer_notes": _footer_notes,
    "grand_total": _grand_total,
    "issue_date": _issue_date,
    "items": _items,
    "language": _language,
    "memo": _text,
    "number": _number,
    "payment_gateways": _payment_gateways,
    "tax_items": _tax_items,
    "visibility": _visibility,
}


def validate_invoice(
    body: dict[str, object], workspace: Workspace, invoice: Invoice | None
) -> dict[str, object]:
    """Validated changes keyed by `Invoice` attribute; raises `ApiError` 422 otherwise."""
    body = {k: r.clean(v) for k, v in body.items()}
    current = invoice.currency if invoice else workspace.default_currency
    wanted = body.get("currency", current)
    currency = wanted if isinstance(wanted, str) and wanted in money.CURRENCIES else current
    ctx = Context(workspace, invoice, currency)
    found: dict[str, list[str]] = {}
    changes: dict[str, object] = {}
    for key, rule in RULES.items():
        if key not in body:
            continue
        try:
            value = rule(key, body[key], ctx)
        except r.Invalid as exc:
            found.update({k: [m] for k, m in exc.errors.items()})
            continue
        if value is not SKIP:
            changes[key] = value
    if found:
        raise errors.invalid(found)
    return changes
