"""A schema extension that hands each operation to the app's observer: its name, type,
root field and outcome codes (errors' `extensions.code`, payloads' `userErrors[].code`),
and whether a document limit refused it.

The root field is what metrics label an operation with, because the schema bounds it: the
one root field the operation selects (aliases and fragments seen through), `multiple`
when it selects several, `none` when it selects none the schema has (it did not parse, or
no operation could be chosen). The operation's name is the caller's choice: it goes in the
log line only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from gateway.core.errors import ErrorCode
from gateway.ops.metrics import MULTIPLE, NONE, OperationRecord
from gateway.ops.refusals import Refusal

# An error without a code is about the request itself (it did not parse or validate).
REQUEST_ERROR = "BAD_REQUEST"


class OperationObserver(Protocol):
    def operation(self) -> AbstractContextManager[OperationRecord]: ...


class ObserveOperation(SchemaExtension):
    def __init__(self, observer: OperationObserver) -> None:
        self._observer = observer

    def on_operation(self) -> Iterator[None]:
        with self._observer.operation() as record:
            raised: list[GraphQLError] = []
            try:
                yield
            except GraphQLError as error:
                # Refused while parsing (gateway/schema/documents.py): strawberry answers
                # it only after the operation's extensions have finished.
                raised.append(error)
                raise
            finally:
                self._fill(record, raised)

    def _fill(self, record: OperationRecord, raised: list[GraphQLError]) -> None:
        context = self.execution_context
        record.name = context.operation_name
        try:
            record.type = context.operation_type.value
        except Exception:  # no document, or no operation by that name
            record.type = "unknown"
        result = context.result
        errors: list[GraphQLError] = list(
            (result.errors if result is not None else context.pre_execution_errors) or raised
        )
        record.error_codes = [
            str((e.extensions or {}).get("code") or REQUEST_ERROR) for e in errors
        ]
        # A document limit is a request error (no path); a call budget spent is a field's.
        if any(
            e.path is None and (e.extensions or {}).get("code") == ErrorCode.LIMIT_EXCEEDED.value
            for e in errors
        ):
            record.refusal = Refusal.LIMIT_EXCEEDED
        if result is not None:
            record.user_error_codes = list(_user_error_codes(result.data))
        document = context.graphql_document
        if document is not None:
            record.root_field = root_field(context.schema._schema, document, record.name)


def root_field(schema: GraphQLSchema, document: DocumentNode, name: str | None) -> str:
    """The schema's root field the operation `name` selects, else MULTIPLE or NONE."""
    try:
        operation = get_operation_ast(document, name)
    except GraphQLError:
        return NONE
    if operation is None:
        return NONE
    root = schema.get_root_type(operation.operation)
    if root is None:
        return NONE
    known = set(root.fields) | {"__typename"}
    if operation.operation is OperationType.QUERY:
        known |= {"__schema", "__type"}
    selected = _selected_names(operation, document) & known
    if len(selected) > 1:
        return MULTIPLE
    return selected.pop() if selected else NONE


def _selected_names(operation: OperationDefinitionNode, document: DocumentNode) -> set[str]:
    """The field names an operation selects at its root, through its fragments (each
    fragment read once, so a cycle ends)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                fragment = fragments.get(spread)
                if fragment is not None and spread not in seen:
                    seen.add(spread)
                    pending.append(fragment.selection_set)
    return names


def _user_error_codes(data: dict[str, Any] | None) -> Iterator[str]:
    # userErrors live only on root mutation payloads, so a page of invoices is not walked.
    for value in (data or {}).values():
        if isinstance(value, dict) and isinstance(value.get("userErrors"), list):
            yield from (str(e.get("code")) for e in value["userErrors"] if isinstance(e, dict))
