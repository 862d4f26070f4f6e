"""What associations a selection will read, so one upstream call can carry them all.

Walks the selection as the caller wrote it: through named fragments, inline fragments on
either invoice type, aliases (a field is planned by its name, not its alias), and
`@include`/`@skip` with their variables already resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from gateway.core.domain import Need, Needs

NEEDS_BY_FIELD: dict[str, Need] = {
    "createdBy": Need.CREATED_BY,
    "recipient": Need.RECIPIENT,
    "workspaces": Need.WORKSPACES,
    "lineItems": Need.LINE_ITEMS,
    "externalReferences": Need.EXTERNAL_REFERENCES,
}


def _active(selection: Selection) -> bool:
    directives = selection.directives or {}
    if "skip" in directives and directives["skip"].get("if") is True:
        return False
    return not ("include" in directives and directives["include"].get("if") is False)


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    """Every active field at this level, with fragments flattened."""
    for selection in selections:
        if not _active(selection):
            continue
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def below(fields: Sequence[Selection]) -> list[Selection]:
    """What is selected under a field; GraphQL merges repeated fields of one response key,
    so a root field may come as several nodes whose selections all count."""
    return [s for field in fields if isinstance(field, SelectedField) for s in field.selections]


def children(selections: Sequence[Selection], name: str) -> list[Selection]:
    """The selections under every active field called `name` (aliases included)."""
    return [s for field in _fields(selections) if field.name == name for s in field.selections]


def invoice_needs(selections: Sequence[Selection]) -> Needs:
    """Needs of an invoice selection (the fields selected on an Invoice)."""
    return frozenset(
        NEEDS_BY_FIELD[field.name] for field in _fields(selections) if field.name in NEEDS_BY_FIELD
    )
