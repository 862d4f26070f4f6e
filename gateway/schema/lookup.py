"""Looking objects up by global ID, through the request's loaders."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.types import Info
from strawberry.types.nodes import Selection

from gateway.core.domain import UserKey
from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.ids import InvalidId, Lookup
from gateway.schema import planning
from gateway.schema.context import Context
from gateway.schema.node import Node
from gateway.schema.types import LineItem, User, Workspace
from gateway.schema.vendors import invoice_type


async def find_node(
    info: Info[Context, None], raw_id: str, selections: Sequence[Selection], path: tuple[str, ...]
) -> Node | None:
    """The object behind `raw_id`, or None when the vendor has none; GatewayError else."""
    try:
        gid = info.context.ids.parse(raw_id)
    except InvalidId as exc:
        raise GatewayError.one(ErrorCode.INVALID_INPUT, str(exc), path) from None
    lookup = info.context.ids.shapes(gid.vendor).lookups.get(gid.type)
    if lookup is None:
        # Objects that exist only inside their invoice: no vendor endpoint returns them alone.
        what = f"{gid.vendor.label} {gid.type.replace('_', ' ')}s"
        raise GatewayError.one(
            ErrorCode.INVALID_INPUT,
            f"{what} cannot be looked up alone; read them through their invoice",
            path,
        )
    loaders = info.context.loaders
    try:
        if lookup is Lookup.INVOICE:
            needs = planning.invoice_needs(selections)
            return invoice_type(await loaders.invoices(gid.vendor).load((gid.native, needs)))
        if lookup is Lookup.USER:
            return User.of(await loaders.users(gid.vendor).load(UserKey(gid.native)))
        if lookup is Lookup.WORKSPACE:
            return Workspace.of(await loaders.workspaces(gid.vendor).load(gid.native))
        if lookup is Lookup.LINE_ITEM:
            return LineItem.of(await loaders.line_items(gid.vendor).load(str(gid)))
    except GatewayError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return None
        raise
    raise GatewayError.one(ErrorCode.INVALID_INPUT, f"{raw_id!r} cannot be looked up", path)
