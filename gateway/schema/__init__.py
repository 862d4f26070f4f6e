"""The GraphQL surface. Nothing here imports a vendor module."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig

from gateway.schema.invoice import KantataInvoice, KitchenInvoice
from gateway.schema.operations import Mutation, Query
from gateway.schema.scalars import SCALAR_MAP


def _should_mask(error: GraphQLError) -> bool:
    """Only failures inside resolvers (they have a path) can leak internals; ours carry a
    neutral code. Errors about the request itself (a bad variable) keep their message."""
    if error.original_error is None or error.path is None:
        return False
    return not (error.extensions or {}).get("code")


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[KantataInvoice, KitchenInvoice],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            lambda: MaskErrors(should_mask_error=_should_mask, error_message="Internal error")
        ],
    )


def export_schema() -> str:
    return build_schema().as_str() + "\n"
