"""The root resolvers' selections (gateway/schema/selections.py): the same as strawberry's
own `below(info.selected_fields)` for every operation the project sends, whether converted
now or kept from an earlier request."""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, specified_rules
from graphql.execution import Executor
from graphql.pyutils import Path
from strawberry.types import Info

from gateway.schema import build_schema, planning
from gateway.schema.documents import PLAN_FIELDS
from gateway.schema.selections import GatewayInfo
from gateway.vendors.registry import default_registry
from tests.schema.differential import project_documents, requests

SCHEMA = build_schema(vendors=default_registry().vendors)
RULES = tuple(specified_rules)


def _root_infos(document: str, operation_name: str | None, variables: Any) -> list[Any]:
    entry = SCHEMA.documents.parse(document)
    executor = Executor.build(SCHEMA._schema, entry.document, None, None, variables, operation_name)
    if not isinstance(executor, Executor):
        return []  # variables that do not coerce: never executed
    operation: OperationDefinitionNode = executor.operation
    root = SCHEMA._schema.get_root_type(operation.operation)
    assert root is not None
    infos = []
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in root.fields:
            field = root.fields[selection.name.value]
            path = Path(None, selection.name.value, root.name)
            infos.append(executor.build_resolve_info(field, [selection], root, path))
    return infos


def test_selections_below_are_strawberrys_own() -> None:
    compared = kept = 0
    for document in project_documents():
        if len(SCHEMA.documents.check(SCHEMA.documents.parse(document), SCHEMA._schema, RULES)):
            continue
        for operation_name, variables in requests(document):
            for _ in range(2):  # converted, then (when no variable is read) kept
                try:
                    infos = _root_infos(document, operation_name, variables)
                except GraphQLError:
                    continue
                for raw in infos:
                    ours = GatewayInfo(_raw_info=raw, _field=None)  # type: ignore[arg-type]
                    theirs: Info[Any, Any] = Info(_raw_info=raw, _field=None)  # type: ignore[arg-type]
                    expected = planning.below(theirs.selected_fields)
                    assert ours.selections_below == expected, document
                    compared += 1
        entries = SCHEMA.documents._entries.values()
        kept += sum(1 for entry in entries for value in entry.below.values() if value is not None)
    assert compared > 200 and kept > 0
    # What is kept is counted against the cache's pool, as its plans are.
    kept_size = sum(e.kept for e in SCHEMA.documents._entries.values())
    assert kept_size > 0 and SCHEMA.documents.plan_pool.left == PLAN_FIELDS - kept_size
