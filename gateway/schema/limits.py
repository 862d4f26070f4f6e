"""The limits on what a document asks for (`Limits`; docs/errors-and-limits.md, "Limits"),
checked on its measures (gateway/schema/measure.py, which defines them and the cost):
fragments per document; per operation depth, aliases, fields and cost; fields per fragment
definition; and field pairs per document. Each refusal is a request error, as a validation
error is, with `extensions.code` LIMIT_EXCEEDED, `extensions.limit` the setting (or the
constant when the limit has none), `value` and `maximum`.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from gateway.core.errors import ErrorCode
from gateway.schema.measure import CAP, DocumentMeasure, OperationMeasure, repeated_fields
from gateway.settings import Limits

# Pairs of fields that share a response path, per document: graphql-core checks that each
# pair merges, so its OverlappingFieldsCanBeMergedRule costs in proportion
# (docs/errors-and-limits.md, "Limits").
MAX_FIELD_PAIRS = 5_000
MAX_ERRORS = 10  # a document over its limits many times is told the first few


def _count(n: int) -> str:
    return f"{n:,}" if n < CAP else f"at least {CAP:,}"


def limit_error(
    message: str,
    limit: str,
    value: int,
    maximum: int,
    nodes: Any = None,
    *,
    at: GraphQLError | None = None,
) -> GraphQLError:
    """A request error (the document does not parse or validate) that names the limit (its
    setting, or the constant when it has none), at `nodes` or where the error `at` was."""
    return GraphQLError(
        message,
        nodes,
        source=at.source if at else None,
        positions=at.positions if at else None,
        extensions={
            "code": ErrorCode.LIMIT_EXCEEDED.value,
            "limit": limit,
            "value": value,
            "maximum": maximum,
        },
    )


def document_errors(document: DocumentMeasure, limits: Limits) -> list[GraphQLError]:
    """The limits a document breaks whatever its variables: fragments; per operation depth,
    aliases, fields, and the cost when no variable sizes it; fields per fragment definition
    (one no operation spreads is still validated); then field pairs."""
    errors = []
    if document.fragment_count > limits.max_fragments:
        errors.append(
            limit_error(
                f"the document defines {document.fragment_count:,} fragments; the limit is "
                f"{limits.max_fragments:,} (GATEWAY_MAX_FRAGMENTS): spread fewer, larger "
                "fragments",
                "GATEWAY_MAX_FRAGMENTS",
                document.fragment_count,
                limits.max_fragments,
            )
        )
    for operation in document.operations:
        errors += _operation_errors(operation, limits)
    if not errors:
        for fragment in document.fragments:
            if fragment.measure.fields > limits.max_fields:
                errors.append(
                    _fields_error(
                        f"fragment {fragment.node.name.value}",
                        fragment.measure.fields,
                        limits,
                        fragment.node,
                    )
                )
    if not errors:
        repeats = repeated_fields(document, limits.max_fields)
        if repeats.pairs > MAX_FIELD_PAIRS:
            errors.append(
                limit_error(
                    f"the document selects {'.'.join(repeats.path)} {repeats.times:,} times at "
                    "one place in the response (fragments included): checking that repeated "
                    f"fields merge takes {repeats.pairs:,} comparisons; the limit is "
                    f"{MAX_FIELD_PAIRS:,}: select each field once where it appears",
                    "MAX_FIELD_PAIRS",
                    repeats.pairs,
                    MAX_FIELD_PAIRS,
                )
            )
    return errors[:MAX_ERRORS]


def _operation_errors(operation: OperationMeasure, limits: Limits) -> list[GraphQLError]:
    m, label, node = operation.measure, operation.label, operation.node
    errors = []
    if m.depth > limits.max_depth:
        errors.append(
            limit_error(
                f"{label} nests fields {m.depth:,} deep; the limit is "
                f"{limits.max_depth:,} (GATEWAY_MAX_DEPTH): ask for less nested data",
                "GATEWAY_MAX_DEPTH",
                m.depth,
                limits.max_depth,
                node,
            )
        )
    if m.aliases > limits.max_aliases:
        errors.append(
            limit_error(
                f"{label} uses {_count(m.aliases)} aliases, counting a fragment at each "
                f"spread; the limit is {limits.max_aliases:,} (GATEWAY_MAX_ALIASES): "
                "fetch many objects with nodes(ids:) instead",
                "GATEWAY_MAX_ALIASES",
                m.aliases,
                limits.max_aliases,
                node,
            )
        )
    if m.fields > limits.max_fields:
        errors.append(_fields_error(label, m.fields, limits, node))
    if isinstance(m.cost, int):
        error = cost_error(operation, m.cost, limits)
        if error is not None:
            errors.append(error)
    return errors


def _fields_error(label: str, fields: int, limits: Limits, node: Any) -> GraphQLError:
    return limit_error(
        f"{label} selects {_count(fields)} fields, counting a fragment at each spread; "
        f"the limit is {limits.max_fields:,} (GATEWAY_MAX_FIELDS): select fewer fields",
        "GATEWAY_MAX_FIELDS",
        fields,
        limits.max_fields,
        node,
    )


def cost_error(operation: OperationMeasure, cost: int, limits: Limits) -> GraphQLError | None:
    if cost <= limits.max_cost:
        return None
    about = f"about {cost:,}" if cost < CAP else _count(cost)
    return limit_error(
        f"{operation.label} would resolve {about} objects; the limit is "
        f"{limits.max_cost:,} (GATEWAY_MAX_COST): ask for fewer, or page with first/after",
        "GATEWAY_MAX_COST",
        cost,
        limits.max_cost,
        operation.node,
    )
