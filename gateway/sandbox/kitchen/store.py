"""The emulator's state: every workspace's records and the operations on them.

One `KitchenStore` per emulator instance; `reset()` swaps in fresh seed data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from gateway.sandbox.kitchen import errors, money
from gateway.sandbox.kitchen.ids import new_id
from gateway.sandbox.kitchen.models import Group, Invoice, User, Workspace
from gateway.sandbox.kitchen.seed import build_workspaces
from gateway.sandbox.kitchen.validate import validate_invoice

Clock = Callable[[], datetime]
State = Literal["all", "active", "archived"]

# [guess] finished invoices are frozen; everything else (draft, open, uncollectible) is not.
LOCKED = {"paid": "A paid invoice cannot be updated.", "void": "A void invoice cannot be updated."}


class KitchenStore:
    def __init__(self, clock: Clock, settings: Mapping[str, Any] | None = None) -> None:
        self._clock = clock
        # The emulator's switches (the control surface's settings), read on every use.
        self.settings: Mapping[str, Any] = settings if settings is not None else {}
        self.workspaces: dict[str, Workspace] = build_workspaces()

    def reset(self) -> None:
        self.workspaces = build_workspaces()

    # --- reads -------------------------------------------------------------------------

    def invoice(self, ws: Workspace, id: str) -> Invoice:
        invoice = ws.invoices.get(id)
        if invoice is None:
            raise errors.model_not_found("Invoice", id)
        return invoice

    def invoices(
        self, ws: Workspace, state: State, *, status: str | None = None, number: str | None = None
    ) -> list[Invoice]:
        """Newest first; `active` = not archived [guess: the default state is `active`].

        [guess] `status` and `number`, when given, must match exactly (case-sensitive).
        """
        wanted = {"all": (True, False), "active": (False,), "archived": (True,)}[state]
        return [
            i
            for i in ws.newest_first()
            if (i.archived_at is not None) in wanted
            and (status is None or i.status == status)
            and (number is None or i.number == number)
        ]

    def user(self, ws: Workspace, id: str, group: Group) -> User:
        """A client through `/clients`, a member through `/members`; the other group 404s."""
        user = ws.users.get(id)
        if user is None or user.group != group:
            raise errors.model_not_found("User", id)
        return user

    def users(self, ws: Workspace, group: Group, name: str | None, email: str | None) -> list[User]:
        """Oldest first; `name`/`email` match a case-insensitive substring [guess]."""
        return [
            u
            for u in sorted(ws.users.values(), key=lambda u: (u.created_at, u.id))
            if u.group == group
            and (not name or name.casefold() in u.name.casefold())
            and (not email or email.casefold() in u.email.casefold())
        ]

    # --- writes ------------------------------------------------------------------------

    def update(self, ws: Workspace, invoice: Invoice, body: dict[str, object]) -> Invoice:
        changes = validate_invoice(body, ws, invoice)
        if invoice.status in LOCKED:
            raise errors.invalid({"status": [LOCKED[invoice.status]]})
        self._apply(invoice, changes)
        invoice.updated_at = self._stamp(invoice.updated_at)
        return invoice

    def archive(self, ws: Workspace, invoice: Invoice) -> Invoice:
        """`POST /api/invoices/{id}/archive` [doc]: the invoice, archived; archiving an
        archived one keeps its first `archived_at` [guess]."""
        if invoice.archived_at is None:
            invoice.archived_at = self._stamp(None)
        return invoice

    def create(self, ws: Workspace, body: dict[str, object]) -> Invoice:
        """[guess] every parameter is optional; the defaults below fill the rest."""
        changes = validate_invoice(body, ws, None)
        now = self._stamp(None)
        invoice = Invoice(
            id=new_id("in_"),
            number=self._next_number(ws),
            status="draft",
            currency=ws.default_currency,
            client=None,
            creator=ws.owner,
            billing_profile=ws.billing_profile,
            created_at=now,
            updated_at=now,
            issue_date=now.replace(hour=0, minute=0, second=0),
            due_date_in_days=30,
        )
        self._apply(invoice, changes)
        ws.invoices[invoice.id] = invoice
        return invoice

    def delete(self, ws: Workspace, invoice: Invoice) -> None:
        """[guess] only drafts can be deleted, as with Stripe-like invoices."""
        if invoice.status != "draft":
            raise errors.invalid({"status": ["Only draft invoices can be deleted."]})
        del ws.invoices[invoice.id]

    def _apply(self, invoice: Invoice, changes: dict[str, object]) -> None:
        for key, value in changes.items():
            setattr(invoice, key, value)
        if "currency" in changes:
            # [guess] a new currency relabels kept amounts (no conversion), re-rounded.
            cur = invoice.currency
            for item in invoice.items:
                item.amount = money.quantize(item.amount, cur)
            for d in invoice.discounts:
                if d.type == "fixed":
                    d.amount = money.quantize(d.amount, cur)
            if invoice.grand_total is not None:
                invoice.grand_total = money.quantize(invoice.grand_total, cur)

    def _stamp(self, previous: datetime | None) -> datetime:
        """Now, to the second, but always after `previous` so `updated_at` strictly rises."""
        now = self._clock().replace(microsecond=0)
        if self.settings.get("same_second_updated_at"):
            return now  # the quirk: two writes in one second share their `updated_at`
        if previous is not None and now <= previous:
            return previous + timedelta(seconds=1)
        return now

    def _next_number(self, ws: Workspace) -> str:
        pattern = re.compile(rf"^{re.escape(ws.number_prefix)}-(\d+)$")
        taken = [int(m[1]) for i in ws.invoices.values() if (m := pattern.match(i.number))]
        return f"{ws.number_prefix}-{max(taken, default=0) + 1:05d}"
