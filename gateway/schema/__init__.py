"""The GraphQL surface. Nothing here imports a vendor module."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.request_id import current_request_id
from gateway.schema.invoice import KantataInvoice, KitchenInvoice
from gateway.schema.observe import ObserveOperation, OperationObserver
from gateway.schema.operations import Mutation, Query
from gateway.schema.scalars import scalar_map
from gateway.settings import Limits

log = logging.getLogger("gateway")

INTERNAL_MESSAGE = "Internal error"
# Distinct operation texts whose parse and validation are remembered (LRU, per process).
DOCUMENT_CACHE_SIZE = 1024


def _should_mask(error: GraphQLError) -> bool:
    """Only failures inside resolvers (they have a path) can leak internals; ours carry a
    neutral code. Errors about the request itself (a bad variable) keep their message."""
    if error.original_error is None or error.path is None:
        return False
    return not (error.extensions or {}).get("code")


class _MaskWithRequestId(MaskErrors):
    """The generic message plus the request ID, which finds the logged exception."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL", "requestId": current_request_id()},
        )


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what is about to be masked, with its traceback and the request ID; the rest
        (coded errors, bad requests) are the caller's business, and only at DEBUG."""
        for error in errors:
            if _should_mask(error):
                log.error(
                    "unexpected error at %s [request %s]",
                    ".".join(str(p) for p in error.path or ()),
                    current_request_id(),
                    exc_info=error.original_error,
                )
            else:
                log.debug("GraphQL error [request %s]: %s", current_request_id(), error.message)


def build_schema(
    limits: Limits | None = None,
    *,
    introspection: bool = True,
    observer: OperationObserver | None = None,
) -> GatewaySchema:
    limits = limits or Limits()
    extensions: list[Callable[[], SchemaExtension]] = []
    if observer is not None:
        # First, so it leaves last and sees the errors as the caller will (masked).
        extensions.append(lambda: ObserveOperation(observer))
    # The limit rules are classes made once here: strawberry's limiters make a new class per
    # instance, so per-request instances would give every request new validation rules and
    # the validation cache would never hit. Parsing and validating the same operation again
    # was ~45% of a request's CPU (tests/benchmarks profile).
    rules: list[type[ASTValidationRule]] = [
        depth_rule(limits.max_depth, None, None),
        aliases_rule(limits.max_aliases),
    ]
    extensions += [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: _MaskWithRequestId(should_mask_error=_should_mask, error_message=INTERNAL_MESSAGE),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=[KantataInvoice, KitchenInvoice],
        config=StrawberryConfig(
            scalar_map=scalar_map(limits.decimal_max_digits, limits.decimal_max_exponent),
            batching_config={"max_operations": limits.max_batch},
        ),
        extensions=extensions,
    )


def export_schema() -> str:
    return build_schema().as_str() + "\n"
