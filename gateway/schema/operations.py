"""The root fields: one query and one mutation, thin over the vendor clients."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.context import Context
from gateway.errors import ErrorCode, GatewayError
from gateway.ids import GlobalId, InvalidId, parse_id
from gateway.schema import planning
from gateway.schema.errors import UserError, field_error, user_errors
from gateway.schema.inputs import UpdateInvoiceInput, to_patch
from gateway.schema.invoice import Invoice, invoice_type


def _invoice_id(value: str, path: tuple[str, ...]) -> GlobalId:
    try:
        return parse_id(value, "invoice")
    except InvalidId as exc:
        raise GatewayError.one(ErrorCode.INVALID_INPUT, str(exc), path) from None


@strawberry.type
class UpdateInvoicePayload:
    invoice: Invoice | None
    user_errors: list[UserError]


@strawberry.type
class Query:
    @strawberry.field(description="One invoice by global ID; null when the vendor has none.")
    async def invoice(self, info: Info[Context, None], id: strawberry.ID) -> Invoice | None:
        try:
            gid = _invoice_id(id, ("id",))
            needs = planning.invoice_needs(planning.below(info.selected_fields))
            bundle = await info.context.loaders.invoices(gid.vendor).load((gid.native, needs))
        except GatewayError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise field_error(exc) from None
        return invoice_type(bundle.invoice)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Change an invoice at its vendor. Problems come back in userErrors, typed; "
        "nothing is sent to the vendor when the input has any."
    )
    async def update_invoice(
        self, info: Info[Context, None], input: UpdateInvoiceInput
    ) -> UpdateInvoicePayload:
        try:
            gid = _invoice_id(input.id, ("input", "id"))
            selections = planning.children(planning.below(info.selected_fields), "invoice")
            client = info.context.client(gid.vendor)
            request = client.build_update(
                to_patch(input, gid.native), planning.invoice_needs(selections)
            )
            bundle = await client.update_invoice(request, gid.native)
        except GatewayError as exc:
            return UpdateInvoicePayload(invoice=None, user_errors=user_errors(exc))
        info.context.loaders.prime(bundle)
        return UpdateInvoicePayload(invoice=invoice_type(bundle.invoice), user_errors=[])
