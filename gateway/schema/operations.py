"""The root fields: one query and one mutation, thin over the vendor clients."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.ids import GlobalId, IdParser, InvalidId
from gateway.core.service import update_invoice
from gateway.schema import planning
from gateway.schema.capabilities import VendorCapabilities, vendor_capabilities
from gateway.schema.connection import InvoiceConnection, connection, resume, window
from gateway.schema.context import Context
from gateway.schema.enums import Vendor
from gateway.schema.errors import UserError, field_error, user_errors
from gateway.schema.filters import InvoiceFilter, filter_paths, filter_values
from gateway.schema.inputs import UpdateInvoiceInput, input_paths, to_patch
from gateway.schema.invoice import Invoice
from gateway.schema.lookup import find_node
from gateway.schema.node import Node
from gateway.schema.preview import VendorRequestPreview
from gateway.schema.selections import selections_below
from gateway.schema.vendors import invoice_type


def _invoice_id(ids: IdParser, value: str, path: tuple[str, ...]) -> GlobalId:
    try:
        return ids.parse(value, "invoice")
    except InvalidId as exc:
        raise GatewayError.one(ErrorCode.INVALID_INPUT, str(exc), path) from None


@strawberry.type
class UpdateInvoicePayload:
    invoice: Invoice | None
    user_errors: list[UserError]
    dry_run: VendorRequestPreview | None = strawberry.field(
        default=None, description="With dryRun: the request that would have been sent."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Which update fields and list filters each vendor accepts, with limits."
    )
    def vendor_capabilities(
        self, info: Info[Context, None], vendor: Vendor | None = None
    ) -> list[VendorCapabilities]:
        return [
            vendor_capabilities(capabilities)
            for key, capabilities in info.context.capabilities.items()
            if vendor is None or key is vendor
        ]

    @strawberry.field(description="One invoice by global ID; null when the vendor has none.")
    async def invoice(self, info: Info[Context, None], id: strawberry.ID) -> Invoice | None:
        try:
            gid = _invoice_id(info.context.ids, id, ("id",))
            needs = planning.invoice_needs(selections_below(info))
            invoice = await info.context.loaders.invoices(gid.vendor).load((gid.native, needs))
        except GatewayError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise field_error(exc) from None
        return invoice_type(invoice)

    @strawberry.field(
        description="A vendor's invoices, newest first, as a Relay connection. `first` is at "
        "most 100; a page has fewer only when the vendor's own pages could not fill it in a "
        "few calls (hasNextPage then says more follow). Nested fields of the whole page cost "
        "one upstream call."
    )
    async def invoices(
        self,
        info: Info[Context, None],
        vendor: Vendor,
        first: int = 20,
        after: str | None = None,
        filter: InvoiceFilter | None = None,
    ) -> InvoiceConnection | None:
        below = selections_below(info)
        nodes = planning.children(planning.children(below, "edges"), "node")
        needs = planning.invoice_needs(nodes + planning.children(below, "nodes"))
        try:
            wanted = window(info.context.ids.shapes(vendor), first, after)
            client = info.context.client(vendor)
            start, limit = wanted.fetch
            try:
                bundle = await client.list_invoices(filter_values(filter), start, limit, needs)
            except GatewayError as exc:
                raise filter_paths(exc) from None
            total = bundle.total or 0
            has_next = start + len(bundle.invoices) < total
            invoices, offset = resume(wanted, bundle.invoices, has_next)
        except GatewayError as exc:
            raise field_error(exc) from None
        info.context.loaders.prime(vendor, bundle)
        shown = total if bundle.total_trusted else None
        return connection(vendor, invoices, offset, shown, has_next)

    @strawberry.field(description="Any object by its global ID; null when the vendor has none.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        try:
            return await find_node(info, id, selections_below(info), ("id",))
        except GatewayError as exc:
            raise field_error(exc) from None

    @strawberry.field(
        description="Several objects by global ID, in the order asked; each one that cannot "
        "be found is null, with an error at its position when something went wrong."
    )
    def nodes(self, info: Info[Context, None], ids: list[strawberry.ID]) -> list[Node | None]:
        context = info.context
        try:
            if len(ids) > context.limits.max_list_length:
                raise GatewayError.one(
                    ErrorCode.INVALID_INPUT,
                    f"asks for {len(ids)} objects; at most {context.limits.max_list_length} "
                    "(GATEWAY_MAX_LIST_LENGTH)",
                    ("ids",),
                )
            context.budget.check(_planned_calls(context, ids))
        except GatewayError as exc:
            raise field_error(exc) from None
        selections = selections_below(info)

        async def one(index: int, raw_id: str) -> Node | None:
            try:
                return await find_node(info, raw_id, selections, ("ids", str(index)))
            except GatewayError as exc:
                raise field_error(exc) from None

        # Awaitables as list items: each fails on its own, and their loads batch together.
        return [one(i, raw_id) for i, raw_id in enumerate(ids)]  # type: ignore[misc]


def _planned_calls(context: Context, ids: list[strawberry.ID]) -> int:
    """The vendor calls `nodes(ids:)` needs at least, by how each vendor batches (Kitchen
    fetches one object a call); IDs that do not parse cost nothing (they fail alone)."""
    counts: dict[tuple[Vendor, str], int] = {}
    for raw in ids:
        try:
            gid = context.ids.parse(raw)
        except InvalidId:
            continue
        counts[(gid.vendor, gid.type)] = counts.get((gid.vendor, gid.type), 0) + 1
    planned = 0
    for (vendor, type_), count in counts.items():
        try:
            planned += context.client(vendor).calls_for(type_, count)
        except GatewayError:
            continue  # no credentials for that vendor: its objects fail one by one
    return planned


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Change an invoice at its vendor. Problems come back in userErrors, typed; "
        "nothing is sent to the vendor when the input has any."
    )
    async def update_invoice(
        self,
        info: Info[Context, None],
        input: UpdateInvoiceInput,
        dry_run: Annotated[
            bool,
            strawberry.argument(
                description="Validate and translate, then answer with the vendor request "
                "instead of sending it. Nothing is written; the invoice is read only when the "
                "update depends on it (billable changes, expectedUpdatedAt)."
            ),
        ] = False,
    ) -> UpdateInvoicePayload:
        try:
            gid = _invoice_id(info.context.ids, input.id, ("id",))
            selections = planning.children(selections_below(info), "invoice")
            needs = planning.invoice_needs(selections)
            context = info.context
            client = context.client(gid.vendor)
            patch = to_patch(input, gid.native, context.limits.max_list_length)
            done = await update_invoice(client, patch, needs, context.writers, preview=dry_run)
        except GatewayError as exc:
            return UpdateInvoicePayload(invoice=None, user_errors=user_errors(input_paths(exc)))
        if done.preview is not None:
            preview = VendorRequestPreview.of(done.preview)
            return UpdateInvoicePayload(invoice=None, user_errors=[], dry_run=preview)
        assert done.bundle is not None
        info.context.loaders.prime(gid.vendor, done.bundle)
        return UpdateInvoicePayload(invoice=invoice_type(done.bundle.invoice), user_errors=[])
