"""Each resource type the API serves: its type-map key, sort order, JSON and includes.

Sort orders: invoices take brainstem's `order=<name>:<direction>` [code: presenter.rb]:
names `invoice_date`, `created_at`, `updated_at` and `id` [guess: Kantata does not list
the invoice sort names]; direction `desc`, anything else ascending; an unknown or missing
name means the default, `invoice_date:desc` [guess]. Brainstem ends every order with the
primary key ascending [code], so ties fall to ascending ID, except that the `invoice_date`
order carries its own tie-break, ID in the same direction [guess: a brainstem sort order
may be a block ordering by several columns]. The other endpoints ignore `order`: time
entries newest `date_performed` first and expenses newest `date` first (ties: highest ID
first); users, workspaces and billing milestones by ascending ID. Only invoices take time
filters (see `filters.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gateway.sandbox.kantata.filters import TimeFilter
from gateway.sandbox.kantata.models import (
    JSON,
    BillingMilestone,
    Expense,
    Identified,
    Invoice,
    Record,
    TimeAdjustment,
    TimeEntry,
    User,
    Workspace,
)
from gateway.sandbox.kantata.store import Store

T = TypeVar("T", bound=Identified)


@dataclass(frozen=True)
class Include(Generic[T]):
    """One `include=` name: records go to the `key` map; `ids_field` is set on the parent
    for to-many associations (to-one ones already carry their `*_id`)."""

    key: str
    ids_field: str | None
    related: Callable[[Store, T], Sequence[Record]]


@dataclass(frozen=True)
class Resource(Generic[T]):
    key: str
    label: str
    records: Callable[[Store], Mapping[str, T]]
    sort_key: Callable[[T], tuple[int, ...]]
    to_json: Callable[[Store, T], JSON]
    includes: Mapping[str, Include[T]] = field(default_factory=dict)
    filters: tuple[TimeFilter[T], ...] = ()
    # brainstem sort orders by name, and the default `name:direction`; none: `sort_key`.
    sort_orders: Mapping[str, Callable[[T], Any]] = field(default_factory=dict)
    default_order: str = ""

    def ordered(self, store: Store, order: str | None = None) -> list[T]:
        records = self.records(store).values()
        if not self.sort_orders:
            return sorted(records, key=self.sort_key)
        name, direction = _sort_name_and_direction(order, self.default_order, self.sort_orders)
        by_id = sorted(records, key=lambda r: int(r.id))  # the primary-key tie-break
        return sorted(by_id, key=self.sort_orders[name], reverse=direction == "desc")


def _sort_name_and_direction(
    order: str | None, default: str, known: Mapping[str, object]
) -> tuple[str, str]:
    """brainstem's `calculate_sort_name_and_direction`: an unknown name means the default
    (with its direction); a direction other than `desc` means `asc`."""
    name, _, direction = (order or "").partition(":")
    if not name or name not in known:
        name, _, direction = default.partition(":")
    return name, "desc" if direction.split(":")[0] == "desc" else "asc"


def _users(store: Store, *ids: str | None) -> list[User]:
    return [store.data.users[i] for i in ids if i is not None and i in store.data.users]


def _workspaces(store: Store, *ids: str) -> list[Workspace]:
    return [store.data.workspaces[i] for i in ids if i in store.data.workspaces]


def _plain(store: Store, record: Record) -> JSON:
    return record.to_json()


INVOICES = Resource[Invoice](
    key="invoices",
    label="Invoice",
    records=lambda store: store.data.invoices,
    sort_key=lambda i: (-i.invoice_date.toordinal(), -int(i.id)),
    sort_orders={
        "invoice_date": lambda i: (i.invoice_date, int(i.id)),
        "created_at": lambda i: i.created_at,
        "updated_at": lambda i: i.updated_at,
        "id": lambda i: int(i.id),
    },
    default_order="invoice_date:desc",
    to_json=lambda store, i: i.to_json(store.balance_in_cents(i)),
    includes={
        "additional_items": Include(
            "additional_items", "additional_item_ids", lambda s, i: s.additional_items(i)
        ),
        "billing_milestones": Include(
            "billing_milestones",
            "billing_milestone_ids",
            lambda s, i: s.lines(i, "billing_milestone_ids"),
        ),
        "expenses": Include("expenses", "expense_ids", lambda s, i: s.lines(i, "expense_ids")),
        "external_references": Include(
            "external_references",
            "external_reference_ids",
            lambda s, i: s.external_references(i),
        ),
        "fixed_fee_items": Include(
            "fixed_fee_items", "fixed_fee_item_ids", lambda s, i: s.fixed_fee_items(i)
        ),
        "recipient": Include("users", None, lambda s, i: _users(s, i.recipient_id)),
        "time_entries": Include(
            "time_entries", "time_entry_ids", lambda s, i: s.lines(i, "time_entry_ids")
        ),
        "time_adjustments": Include(
            "time_adjustments", "time_adjustment_ids", lambda s, i: s.time_adjustments(i)
        ),
        "user": Include("users", None, lambda s, i: _users(s, i.user_id)),
        "workspaces": Include(
            "workspaces", "workspace_ids", lambda s, i: _workspaces(s, *i.workspace_ids)
        ),
    },
    filters=(
        TimeFilter("created_after", lambda i: i.created_at, after=True),
        TimeFilter("created_before", lambda i: i.created_at, after=False),
        TimeFilter("updated_after", lambda i: i.updated_at, after=True),
    ),
)

USERS = Resource[User](
    key="users",
    label="User",
    records=lambda store: store.data.users,
    sort_key=lambda u: (int(u.id),),
    to_json=_plain,
)

WORKSPACES = Resource[Workspace](
    key="workspaces",
    label="Workspace",
    records=lambda store: store.data.workspaces,
    sort_key=lambda w: (int(w.id),),
    to_json=_plain,
    includes={"creator": Include("users", None, lambda s, w: _users(s, w.creator_id))},
)

TIME_ENTRIES = Resource[TimeEntry](
    key="time_entries",
    label="Time entry",
    records=lambda store: store.data.time_entries,
    sort_key=lambda t: (-t.date_performed.toordinal(), -int(t.id)),
    to_json=_plain,
    includes={
        "user": Include("users", None, lambda s, t: _users(s, t.user_id)),
        "workspace": Include("workspaces", None, lambda s, t: _workspaces(s, t.workspace_id)),
    },
)

EXPENSES = Resource[Expense](
    key="expenses",
    label="Expense",
    records=lambda store: store.data.expenses,
    sort_key=lambda e: (-e.date.toordinal(), -int(e.id)),
    to_json=_plain,
    includes={
        "user": Include("users", None, lambda s, e: _users(s, e.user_id)),
        "workspace": Include("workspaces", None, lambda s, e: _workspaces(s, e.workspace_id)),
    },
)

BILLING_MILESTONES = Resource[BillingMilestone](
    key="billing_milestones",
    label="Billing milestone",
    records=lambda store: store.data.billing_milestones,
    sort_key=lambda m: (int(m.id),),
    to_json=_plain,
    includes={
        "workspace": Include("workspaces", None, lambda s, m: _workspaces(s, m.workspace_id)),
    },
)

TIME_ADJUSTMENTS = Resource[TimeAdjustment](
    key="time_adjustments",
    label="Time adjustment",
    records=lambda store: store.data.time_adjustments,
    sort_key=lambda t: (-t.posted_on_date.toordinal(), -int(t.id)),
    to_json=_plain,
    includes={
        "user": Include("users", None, lambda s, t: _users(s, t.user_id)),
        "workspace": Include("workspaces", None, lambda s, t: _workspaces(s, t.workspace_id)),
    },
)

INDEXED: tuple[Resource[Any], ...] = (
    INVOICES,
    USERS,
    WORKSPACES,
    TIME_ENTRIES,
    EXPENSES,
    BILLING_MILESTONES,
    TIME_ADJUSTMENTS,
)
