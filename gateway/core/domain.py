"""The neutral vocabulary: what an invoice is, whatever vendor holds it.

Vendor modules translate to and from these types; the GraphQL layer only ever sees these.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Protocol


@dataclass(frozen=True)
class Vendor:
    """A vendor the gateway serves, as its adapter names it (gateway/vendors/registry.py).

    `key` is the vendor in global IDs, cursors, settings, logs and metrics (`kantata`);
    `label` is how messages name it; `name`, the key in capitals, is its GraphQL value.
    """

    key: str
    label: str

    @property
    def name(self) -> str:
        return self.key.upper()


class InvoiceStatus(enum.Enum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAID = "PAID"
    VOID = "VOID"
    UNCOLLECTIBLE = "UNCOLLECTIBLE"
    UNKNOWN = "UNKNOWN"


class InvoiceVisibility(enum.Enum):
    PRIVATE = "private"
    INTERNAL = "internal"
    SHARED = "shared"


class PaymentGateway(enum.Enum):
    CREDIT_CARD = "credit_card"
    STRIPE_ACH = "stripe_ach"
    PAYPAL = "paypal"
    BANK = "bank"


class DiscountType(enum.Enum):
    PERCENTAGE = "percentage"
    FIXED = "fixed"


class LineItemKind(enum.Enum):
    TIME_ENTRY = "time_entry"
    EXPENSE = "expense"
    FIXED_FEE = "fixed_fee_item"
    ADDITIONAL = "additional_item"
    BILLING_MILESTONE = "billing_milestone"
    TIME_ADJUSTMENT = "time_adjustment"
    ITEM = "item"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class User:
    id: str  # global ID
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Workspace:
    id: str  # global ID
    title: str | None


@dataclass(frozen=True)
class LineItem:
    id: str  # global ID
    kind: LineItemKind
    title: str | None
    description: str | None
    # None: the vendor sent null, or the value cannot be known (`unknown` says why).
    quantity: Decimal | None
    unit_price: Money | None
    amount: Money | None
    # Why the money is not shown (no currency anywhere, an undocumented unit): the caller
    # gets null with this as the field's error, never an amount read on a guess.
    unknown: str | None = None


class UserKey(NamedTuple):
    """A user to load. Kitchen keeps members and clients behind different endpoints, so
    the role the invoice names them in travels with the ID; Kantata ignores it."""

    native_id: str
    role: str | None = None


@dataclass(frozen=True)
class ExternalReference:
    id: str
    service_name: str | None
    service_model: str | None
    service_model_ref: str | None
    status: str | None
    external_message: str | None
    external_link: str | None
    external_status: str | None
    locked: bool | None


@dataclass(frozen=True)
class Discount:
    id: str | None
    title: str | None
    amount: Decimal | None
    type: DiscountType | None


@dataclass(frozen=True)
class TaxItem:
    id: str | None
    title: str | None
    rate: Decimal | None


@dataclass(frozen=True)
class DueReminder:
    message: str | None
    send_days: int | None
    send_date: dt.date | None


@dataclass(frozen=True)
class Invoice:
    id: str  # global ID
    vendor: Vendor
    vendor_id: str
    number: str | None
    title: str | None
    status: InvoiceStatus
    vendor_status: str | None
    issue_date: dt.date | None
    due_date: dt.date | None
    payment_terms_days: int | None
    currency: str | None  # None: the vendor's answer named none (money is then unknown)
    notes: str | None
    total: Money | None
    balance: Money | None
    created_by: UserKey | None
    recipient: UserKey | None
    # None: the vendor's answer did not say (the association was not requested).
    workspace_ids: tuple[str, ...] | None
    line_item_ids: tuple[str, ...] | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    # What only this vendor has (its adapter's own type; its schema module reads it).
    details: object
    # Why the invoice's money is null (no currency in the answer): the error on those fields.
    money_unknown: str | None = None


# --- the neutral update -------------------------------------------------------------------


@dataclass(frozen=True)
class LineItemInput:
    title: str
    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class DiscountInput:
    title: str
    amount: Decimal
    type: DiscountType


@dataclass(frozen=True)
class TaxInput:
    title: str
    rate: Decimal


@dataclass(frozen=True)
class DueReminderInput:
    """`message` and/or `sendDays`, only those the caller sent (None is an explicit null)."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class BillablesInput:
    """Each list is a whole new set (Kantata overwrites); a key absent from `lists` is kept."""

    lists: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class ExternalReferenceInput:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class InvoicePatch:
    """A partial update in neutral terms.

    `values` holds only the fields the caller sent, keyed by their neutral name
    (`issue_date`; nested inputs the same way); a value of None is an explicit null.
    Absent means "leave unchanged". Error paths name fields the same way; the GraphQL
    layer shows them as the caller sent them.
    """

    invoice_id: str  # native ID, already validated for the vendor
    values: Mapping[str, Any]
    # The updatedAt the caller last saw: a newer one at the vendor is a CONFLICT.
    expected_updated_at: dt.datetime | None = None


# --- what an adapter answers, and what it must do --------------------------------------


class Need(enum.Enum):
    """Associations the GraphQL selection will read, so one upstream call can carry them."""

    CREATED_BY = "created_by"
    RECIPIENT = "recipient"
    WORKSPACES = "workspaces"
    LINE_ITEMS = "line_items"
    EXTERNAL_REFERENCES = "external_references"


Needs = frozenset[Need]


@dataclass
class Bundle:
    """Invoices and every related object the same vendor answers carried.

    One shape serves a single read or update (one invoice), a batch and a page; `total`
    is set for a page: how many invoices the vendor counts for the list request in all.
    `total_trusted` is False when a filter is in effect that the vendor does not document:
    its count may then ignore the filter (the rows are checked; a count cannot be).
    """

    invoices: list[Invoice] = field(default_factory=list)
    users: dict[UserKey, User] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    line_items: dict[str, LineItem] = field(default_factory=dict)
    external_references: dict[str, ExternalReference] = field(default_factory=dict)
    total: int | None = None
    total_trusted: bool = True

    @property
    def invoice(self) -> Invoice:
        return self.invoices[0]

    def merge(self, other: Bundle) -> None:
        self.invoices.extend(other.invoices)
        self.users.update(other.users)
        self.workspaces.update(other.workspaces)
        self.line_items.update(other.line_items)
        self.external_references.update(other.external_references)


@dataclass(frozen=True)
class VendorRequest:
    """An upstream request, fully translated (no credentials in it)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    body: Any


@dataclass(frozen=True)
class RequestPreview:
    """A vendor request exactly as it would be sent, for a dry run; credentials redacted."""

    method: str
    url: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: str | None


# --- what each vendor can do (derived from its translation tables) ------------------------


@dataclass(frozen=True)
class FieldLimits:
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    values: tuple[str, ...] = ()
    format: str | None = None
    integer_only: bool = False
    replaces_whole_list: bool = False


class Source(enum.Enum):
    """How we know a vendor serves something: its documentation, its own code or client
    libraries, or our inference (see VENDORS.md)."""

    DOC = "doc"
    CODE = "code"
    GUESS = "guess"


@dataclass(frozen=True)
class FieldCapability:
    name: str  # the neutral name (`payment_terms_days`)
    vendor_fields: tuple[str, ...]  # what it becomes at the vendor (`footer_notes`)
    clearable: bool  # whether an explicit null is accepted
    limits: FieldLimits
    source: Source | None = None  # for list filters: how we know the vendor serves it


@dataclass(frozen=True)
class Capabilities:
    vendor: Vendor
    update_fields: tuple[FieldCapability, ...]
    filters: tuple[FieldCapability, ...]


class VendorClient(Protocol):
    """One vendor, bound to one request's credentials."""

    vendor: Vendor

    @property
    def scope(self) -> str:
        """Where this client's invoices live (the base URL: each Kitchen workspace has its
        own), so the same invoice ID at two places is two invoices."""
        ...

    def preview(self, request: VendorRequest) -> RequestPreview:
        """`request` as it would go on the wire, with no credential in it."""
        ...

    def calls_for(self, type_: str, count: int) -> int:
        """The fewest vendor calls that fetching `count` objects of `type_` takes."""
        ...

    def needs_current(self, patch: InvoicePatch) -> bool:
        """Whether the update can only be written knowing the invoice as it is now."""
        ...

    def check_update(self, patch: InvoicePatch) -> None:
        """Raises GatewayError naming every problem of `patch` that shows without knowing
        the invoice as it is (before a read that `needs_current` asks for)."""
        ...

    def build_update(
        self, patch: InvoicePatch, needs: Needs, current: Invoice | None = None
    ) -> VendorRequest:
        """The vendor request for `patch`; raises GatewayError naming every problem.
        `current` is the invoice as it is, where `needs_current` holds."""
        ...

    async def update_invoice(self, request: VendorRequest, native_id: str) -> Bundle: ...

    async def fetch_invoices(self, native_ids: Sequence[str], needs: Needs) -> Bundle:
        """The invoices that exist among `native_ids` (a missing one is simply absent)."""
        ...

    async def list_invoices(
        self, filters: Mapping[str, Any], offset: int, limit: int, needs: Needs
    ) -> Bundle:
        """At most `limit` invoices from position `offset` of the vendor's own order, with
        `total` (fewer only when the vendor's pages could not fill the window in a bounded
        number of calls; `total` then says more follow). `filters` are neutral (`status`,
        `updatedSince`, ...); one the vendor cannot serve raises UNSUPPORTED_FIELD before
        any call, and one the vendor ignored raises UPSTREAM_REJECTED naming it."""
        ...

    async def fetch_users(self, keys: Sequence[UserKey]) -> Mapping[UserKey, User]: ...

    async def fetch_workspaces(self, native_ids: Sequence[str]) -> Mapping[str, Workspace]: ...

    async def fetch_line_items(self, global_ids: Sequence[str]) -> Mapping[str, LineItem]: ...
