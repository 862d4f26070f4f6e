"""What a resolver's field selects, as strawberry's selection objects, converted once per
document rather than once per request.

The root resolvers plan their vendor calls from what is selected below their field
(gateway/schema/planning.py). strawberry's `Info.selected_fields` converts the field and
everything under it on every request, arguments and all (the mutation's whole `input`
included): 2-4% of a request's CPU. Below the field, a selection that reads no variable
is the same for every request, so it is converted once and kept with its document in the
document cache, which counts what it keeps against the same pool as its plans (fragments
expand here too). One that reads a variable is converted per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionNode,
    ValueNode,
    VariableNode,
)
from strawberry.types import Info
from strawberry.types.nodes import Selection, convert_selections

# Per document: what is below a group of field nodes (by their identities, which the
# document keeps alive), or None when a variable is read there.
Memo = dict[tuple[int, ...], list[Selection] | None]


class GatewayInfo(Info[Any, Any]):
    """strawberry's Info (`StrawberryConfig(info_class=)`), plus `selections_below`."""

    @property
    def selections_below(self) -> list[Selection]:
        """`planning.below(self.selected_fields)`: the selections under this field."""
        raw = self._raw_info
        nodes: Sequence[FieldNode] = raw.field_nodes
        documents = getattr(self.schema, "documents", None)
        memo: Memo | None = documents.memo(raw.operation) if documents is not None else None
        if documents is None or memo is None:
            return _convert(raw, nodes)
        key = tuple(id(node) for node in nodes)
        if key in memo:
            cached = memo[key]
            return _convert(raw, nodes) if cached is None else cached
        converted = _convert(raw, nodes)
        if _reads_variables(_below(nodes), raw.fragments, set()):
            memo[key] = None
        else:
            documents.keep(raw.operation, key, converted, size(converted))
        return converted


def size(selections: Iterable[Selection]) -> int:
    """Selections in all, fragments counted where they are spread."""
    return sum(1 + size(s.selections) for s in selections)


def selections_below(info: Info[Any, Any]) -> list[Selection]:
    if isinstance(info, GatewayInfo):
        return info.selections_below
    return _convert(info._raw_info, info._raw_info.field_nodes)


def _below(nodes: Iterable[FieldNode]) -> list[SelectionNode]:
    return [s for node in nodes if node.selection_set for s in node.selection_set.selections]


def _convert(raw: Any, nodes: Iterable[FieldNode]) -> list[Selection]:
    # strawberry's annotation says field nodes; it converts fragments as well.
    return convert_selections(raw, cast("list[FieldNode]", _below(nodes)))


def _reads_variables(
    selections: Iterable[SelectionNode],
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> bool:
    for selection in selections:
        if any(
            _has_variable(a.value) for d in selection.directives or () for a in d.arguments or ()
        ):
            return True
        if isinstance(selection, FieldNode):
            if any(_has_variable(a.value) for a in selection.arguments or ()):
                return True
            if selection.selection_set and _reads_variables(
                selection.selection_set.selections, fragments, seen
            ):
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _reads_variables(selection.selection_set.selections, fragments, seen):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None:
                return True  # not ours to judge: converted per request
            if name not in seen:
                seen.add(name)
                if _reads_variables(fragment.selection_set.selections, fragments, seen):
                    return True
    return False


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False
