"""Records to JSON, in the seed page's shapes and key order.

Money is emitted as JSON numbers written from the exact decimal (never through a float),
rounded to the currency's minor unit and without trailing zeros, as PHP's `json_encode`
writes a float: `675.65`, `46.3`, `1250`. Quantities are strings with two decimals.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from gateway.sandbox.kitchen import money
from gateway.sandbox.kitchen.models import BillingProfile, Invoice, User, Workspace

Json = dict[str, "Json"] | list["Json"] | str | int | bool | Decimal | None


def dumps(value: Json) -> str:
    """JSON text; a `Decimal` is written as its exact digits."""
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def _number(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def due_date(invoice: Invoice) -> datetime | None:
    """End of the day `due_date_in_days` after the issue date [guess: issue date, UTC]."""
    if invoice.issue_date is None or invoice.due_date_in_days is None:
        return None
    day = invoice.issue_date.astimezone(UTC).date() + timedelta(days=invoice.due_date_in_days)
    return datetime.combine(day, time(23, 59, 59), UTC)


def reminder_date(invoice: Invoice) -> datetime | None:
    """Midnight `due_reminder_send_days` after the due day (negative: before) [guess; the
    seed page's 1982-07-22 for a 2024-07-20 due date and 2 days matches in month and day]."""
    due = due_date(invoice)
    if due is None or invoice.due_reminder_send_days is None:
        return None
    day = due.date() + timedelta(days=invoice.due_reminder_send_days)
    return datetime.combine(day, time(0, 0, 0), UTC)


def user(record: User) -> Json:
    return {
        "id": record.id,
        "name": record.name,
        "email": record.email,
        "username": record.username,
        "phone": record.phone,
        "title": record.title,
        "language": record.language,
        "timezone": record.timezone,
        "group": record.group,
        "role": record.role,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
    }


def billing_profile(record: BillingProfile) -> Json:
    """[guess] no billing profile object is documented; these keys are invented."""
    return {
        "id": record.id,
        "name": record.name,
        "company_name": record.company_name,
        "email": record.email,
        "address": record.address,
        "tax_number": record.tax_number,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
    }


def invoice(record: Invoice, ws: Workspace, expand: Collection[str] = ()) -> Json:
    cur = record.currency
    sums = money.totals(record)

    def cash(value: Decimal) -> Decimal:
        return money.quantize(value, cur)

    client: Json = record.client
    if "client" in expand and record.client in ws.users:
        client = user(ws.users[record.client])
    creator: Json = record.creator
    if "creator" in expand and record.creator in ws.users:
        creator = user(ws.users[record.creator])
    profile: Json = record.billing_profile
    if "billing_profile" in expand and record.billing_profile in ws.billing_profiles:
        profile = billing_profile(ws.billing_profiles[record.billing_profile])
    return {
        "archived_at": timestamp(record.archived_at),
        "amount": sums.amount,
        "billing_profile": profile,
        "charge_automatically": record.charge_automatically,
        "client": client,
        "created_at": timestamp(record.created_at),
        "creator": creator,
        "currency": cur,
        "discount_amount": sums.discount_amount,
        "discounts": [
            {
                "amount": d.amount if d.type == "percentage" else cash(d.amount),
                "currency": cur,
                "id": d.id,
                "title": d.title,
                "type": d.type,
            }
            for d in record.discounts
        ],
        "due_date": timestamp(due_date(record)),
        "due_date_in_days": record.due_date_in_days,
        "due_reminder_message": record.due_reminder_message,
        "due_reminder_send_date": timestamp(reminder_date(record)),
        "due_reminder_send_days": record.due_reminder_send_days,
        "due_reminder_sent_at": timestamp(record.due_reminder_sent_at),
        "file": None,
        "finalized_at": timestamp(record.finalized_at),
        "footer_notes": record.footer_notes,
        "id": record.id,
        "is_external": record.is_external,
        "issue_date": timestamp(record.issue_date),
        "items": [
            {
                "amount": cash(i.amount),
                "currency": cur,
                "description": i.description,
                "id": i.id,
                "quantity": format(money.quantity(i.quantity), "f"),
                "title": i.title,
            }
            for i in record.items
        ],
        "language": record.language,
        "marked_uncollectible_at": timestamp(record.marked_uncollectible_at),
        "memo": record.memo,
        "meta": None,
        "number": record.number,
        "paid_at": timestamp(record.paid_at),
        "payment_gateways": list(record.payment_gateways),
        "recurring_invoice": None,
        "status": record.status,
        "tax_items": [
            {"amount": t.amount, "currency": cur, "id": t.id, "title": t.title}
            for t in record.tax_items
        ],
        "tax_amount": sums.tax_amount,
        "total_amount": sums.total_amount,
        "type": "invoice",
        "updated_at": timestamp(record.updated_at),
        "voided_at": timestamp(record.voided_at),
        "visibility": record.visibility,
    }
