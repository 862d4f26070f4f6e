"""The GraphQL surface. Nothing here imports a vendor module."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from gateway.schema.invoice import KantataInvoice, KitchenInvoice
from gateway.schema.operations import Mutation, Query


def _should_mask(error: GraphQLError) -> bool:
    # Our own errors carry a neutral code; anything else is a bug and its text stays inside.
    if error.original_error is None:
        return False
    return not (error.extensions or {}).get("code")


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[KantataInvoice, KitchenInvoice],
        extensions=[
            lambda: MaskErrors(should_mask_error=_should_mask, error_message="Internal error")
        ],
    )


def export_schema() -> str:
    return build_schema().as_str() + "\n"
