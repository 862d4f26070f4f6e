"""The GraphQL surface. Nothing here imports a vendor module."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.core.domain import Vendor
from gateway.core.request_id import current_request_id
from gateway.schema.compiled import executor_class
from gateway.schema.documents import CheckedDocuments, DocumentCache
from gateway.schema.enums import use_vendors
from gateway.schema.observe import ObserveOperation, OperationObserver
from gateway.schema.operations import Mutation, Query
from gateway.schema.scalars import scalar_map
from gateway.schema.selections import GatewayInfo
from gateway.schema.vendors import vendor_types
from gateway.settings import Limits

log = logging.getLogger("gateway")

INTERNAL_MESSAGE = "Internal error"
# Distinct operation texts whose parse and validation are remembered (LRU, per schema),
# and the most characters of text they may hold together (gateway/schema/documents.py).
DOCUMENT_CACHE_SIZE = 1024
DOCUMENT_CACHE_CHARS = 500_000  # ~30 MB of parsed documents at most


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
    documents: DocumentCache  # parsed and checked operations (set by build_schema)

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
    vendors: Sequence[Vendor],
    introspection: bool = True,
    observer: OperationObserver | None = None,
    compiled: bool = True,
) -> GatewaySchema:
    limits = limits or Limits()
    extensions: list[Callable[[], SchemaExtension]] = []
    if observer is not None:
        # First, so it leaves last and sees the errors as the caller will (masked).
        extensions.append(lambda: ObserveOperation(observer))
    # Parse, the document limits and validation, once per distinct operation text: they
    # cost more than executing a typical operation (docs/benchmarks.md).
    documents = DocumentCache(limits, size=DOCUMENT_CACHE_SIZE, text_chars=DOCUMENT_CACHE_CHARS)
    extensions += [
        lambda: CheckedDocuments(documents),
        lambda: _MaskWithRequestId(should_mask_error=_should_mask, error_message=INTERNAL_MESSAGE),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=vendor_types(vendors),
        config=StrawberryConfig(
            scalar_map=scalar_map(limits.decimal_max_digits, limits.decimal_max_exponent),
            batching_config={"max_operations": limits.max_batch},
            # Root resolvers' selections converted once per document (selections.py).
            info_class=GatewayInfo,
        ),
        extensions=extensions,
        # Inside every extension: an operation is parsed, checked, observed and masked
        # the same way whether a plan runs it or graphql-core does.
        execution_context_class=executor_class(documents if compiled else None),
    )
    use_vendors(schema._schema, vendors)
    # No exception handlers are configured: strawberry's per-call resolver wrapper has
    # nothing to add for a resolver without arguments, so a plan may call it directly.
    documents.direct_info = schema.config.info_class
    schema.documents = documents
    return schema
