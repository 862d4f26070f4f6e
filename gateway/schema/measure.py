"""What an operation asks for, measured in one pass over its document; the limits on the
measures are in gateway/schema/limits.py (docs/errors-and-limits.md, "Limits").

Per operation, every fragment spread counted where it is used, once per use:

- depth: root fields are depth 0; a field with a selection is one deeper than its deepest
  subfield. Introspection fields (`__schema`, `__type`) add no depth, as with strawberry's
  QueryDepthLimiter before.
- aliases: fields with an alias.
- fields: fields selected, `__typename` included.
- cost, about how many objects the operation resolves:
  - every field costs 1;
  - a field with a selection adds the cost of its selection times its size:
    - a field with a `first` argument (`invoices`): `first`, a literal or a variable
      (absent or null: the argument's default, 20 for `invoices`);
    - a field with an `ids` argument (`nodes`): the length of that list, a literal or a
      variable (a single ID counts 1), at most `max_list_length` (a longer list is refused
      on its own, INVALID_INPUT naming GATEWAY_MAX_LIST_LENGTH);
    - a list field of a connection type (`InvoiceConnection.edges`, `.nodes`): 1, since
      `first` sized the page already;
    - any other list field (`lineItems`, `workspaces`, `discounts`, ...): 10;
    - any other field: 1;
  - fields under introspection (`__schema`, `__type`) are not multiplied: they read the
    schema in memory, and graphql-core's MaxIntrospectionDepthRule bounds their nesting;
  - the operation's cost is the sum over its root fields, so aliases add: two aliased
    `invoices(first: 100)` count twice;
  - `@skip` and `@include` are not looked at: a skipped field counts as well.

  `{ invoices(vendor: KANTATA, first: 50) { edges { node { id lineItems { id } } } } }`
  costs 1 + 50 x (edges 1 + node 1 + id 1 + lineItems 1 + 10 x id 1) = 701.

And per document:

- fragments: the fragment definitions in it;
- field pairs: fields that share a place in the response (the same response names from
  the root, fragments and inline fragments merged) must be checked pairwise to merge, so
  a path selected n times adds n x (n - 1) / 2 pairs, summed over the operations and
  fragment definitions. graphql-core's OverlappingFieldsCanBeMergedRule does that work
  (about 5 us a pair here): `invoice` 20 times, each with `lineItems { id }` 20 times,
  is 820 fields but 160,000 pairs and 0.8 s of CPU. Counted only for definitions within
  `max_fields`, so the walk is bounded by it.

Linear time: each fragment is measured once, before the definitions that spread it, and a
spread adds its fragment's measure (counts multiply where a fragment is spread many times,
so they can be huge, but they are computed in one step per spread; counts saturate at
`CAP`). A fragment on a cycle, or spreading one, is never ready and counts as nothing: the
cycle is graphql-core's to report (NoFragmentCyclesRule). Costs that depend on variables
are kept as a short program per document, run per request: one step per selection set
whose cost depends on a variable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    value_from_ast_untyped,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

from gateway.settings import Limits

LIST_ESTIMATE = 10  # objects assumed in a list field nothing sizes
CAP = 10**15  # counts saturate here: past any limit, and exact as a JSON number
_MAX_DIGITS = len(str(CAP))  # a longer integer literal is past CAP (and past int()'s limit)


def _add(a: int, b: int) -> int:
    return min(a + b, CAP)


def _times(a: int, b: int) -> int:
    return min(a * b, CAP)


# --- costs that depend on variables ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Size:
    """A size given by a variable: `first: $n` (the number) or `ids: $ids` (the length)."""

    variable: str
    length: bool
    fallback: int  # the variable absent or null (a value of another type never coerces)
    most: int = CAP

    def value(self, variables: Mapping[str, Any]) -> int:
        value = variables.get(self.variable)
        if self.length:
            return min(len(value), self.most) if isinstance(value, list) else 1
        if isinstance(value, int) and not isinstance(value, bool):
            return max(0, min(value, self.most))
        return self.fallback


@dataclass(frozen=True, slots=True)
class Ref:
    """A cost that depends on variables: step `index` of the document's cost program."""

    index: int


Cost = int | Ref


@dataclass(frozen=True, slots=True)
class _Step:
    """constant + sum(factor x inner), where a factor is a number or a `Size` and an inner
    cost a number or an earlier step."""

    constant: int
    terms: tuple[tuple[int | Size, Cost], ...]


class _CostSum:
    def __init__(self) -> None:
        self.constant = 0
        self.terms: list[tuple[int | Size, Cost]] = []

    def add(self, factor: int | Size, inner: Cost) -> None:
        if isinstance(factor, int) and isinstance(inner, int):
            self.constant = _add(self.constant, _times(factor, inner))
        elif inner != 0 and factor != 0:
            self.terms.append((factor, inner))


# --- the measures ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: Cost = 0


@dataclass(frozen=True)
class OperationMeasure:
    node: OperationDefinitionNode
    measure: Measure
    # Variable defaults the operation declares, for sizes given by variables.
    defaults: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"operation {self.node.name.value}" if self.node.name else "the operation"


@dataclass(frozen=True)
class FragmentMeasure:
    node: FragmentDefinitionNode
    measure: Measure


@dataclass(frozen=True)
class DocumentMeasure:
    fragment_count: int  # definitions, whatever they hold
    # Measured, each after those it spreads; one on a cycle is not.
    fragments: tuple[FragmentMeasure, ...]
    operations: tuple[OperationMeasure, ...]
    program: tuple[_Step, ...] = field(default=())

    def operation(self, node: OperationDefinitionNode | None) -> OperationMeasure | None:
        return next((op for op in self.operations if op.node is node), None)

    def cost(self, operation: OperationMeasure, variables: Mapping[str, Any] | None) -> int:
        """The operation's cost with these variables (the operation's defaults else)."""
        cost = operation.measure.cost
        if isinstance(cost, int):
            return cost
        values = {**operation.defaults, **(variables or {})}
        results: list[int] = []
        for step in self.program[: cost.index + 1]:
            total = step.constant
            for factor, inner in step.terms:
                size = factor if isinstance(factor, int) else factor.value(values)
                total = _add(
                    total, _times(size, inner if isinstance(inner, int) else results[inner.index])
                )
            results.append(total)
        return results[cost.index]


def measure(
    schema: GraphQLSchema, document: DocumentNode, max_list_length: int = Limits.max_list_length
) -> DocumentMeasure:
    """Every operation of `document` measured, in time linear in the document's size."""
    return _Walk(schema, document, max_list_length).run()


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, max_list_length: int) -> None:
        self.schema = schema
        self.document = document
        self.max_list_length = max_list_length
        self.program: list[_Step] = []
        self.fragments: dict[str, Measure] = {}

    def run(self) -> DocumentMeasure:
        definitions = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        fragments = []
        for fragment in _ready_order(definitions):
            condition = self.schema.get_type(fragment.type_condition.name.value)
            measured = self.selection_set(fragment.selection_set, condition)
            self.fragments[fragment.name.value] = measured
            fragments.append(FragmentMeasure(fragment, measured))
        operations = tuple(
            OperationMeasure(
                node,
                self.selection_set(node.selection_set, self.schema.get_root_type(node.operation)),
                _defaults(node),
            )
            for node in self.document.definitions
            if isinstance(node, OperationDefinitionNode)
        )
        count = sum(isinstance(d, FragmentDefinitionNode) for d in self.document.definitions)
        return DocumentMeasure(count, tuple(fragments), operations, tuple(self.program))

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> Measure:
        """One call per nesting level: the parser allows at most 200 levels in a definition
        (graphql-core's MAX_NESTING_DEPTH), and fragments are measured one at a time."""
        depth = aliases = fields = 0
        cost = _CostSum()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                fields = _add(fields, 1)
                if selection.alias is not None:
                    aliases = _add(aliases, 1)
                cost.add(1, 1)
                if selection.selection_set is None:
                    continue
                definition = _field(self.schema, parent, name)
                inner = self.selection_set(
                    selection.selection_set,
                    get_named_type(definition.type) if definition else None,
                )
                if not name.startswith("__"):
                    depth = max(depth, inner.depth + 1)
                factor = _factor(parent, definition, selection, self.max_list_length)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.selection_set(
                    selection.selection_set,
                    self.schema.get_type(condition.name.value) if condition else parent,
                )
                depth = max(depth, inner.depth)
                factor = 1
            else:
                assert isinstance(selection, FragmentSpreadNode)
                spread = self.fragments.get(selection.name.value)
                if spread is None:  # unknown, or on a cycle: validation says so
                    continue
                inner = spread
                depth = max(depth, inner.depth)
                factor = 1
            aliases = _add(aliases, inner.aliases)
            fields = _add(fields, inner.fields)
            cost.add(factor, inner.cost)
        return Measure(depth, aliases, fields, self._finish(cost))

    def _finish(self, cost: _CostSum) -> Cost:
        if not cost.terms:
            return cost.constant
        self.program.append(_Step(cost.constant, tuple(cost.terms)))
        return Ref(len(self.program) - 1)


def _ready_order(
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Iterator[FragmentDefinitionNode]:
    """The fragments, each after those it spreads (Kahn's algorithm, no recursion); one on
    a cycle, or spreading one, never becomes ready and is left out."""
    waiting = {
        name: {s for s in _spreads(fragment.selection_set) if s in fragments}
        for name, fragment in fragments.items()
    }
    users: dict[str, list[str]] = {name: [] for name in fragments}
    for name, needs in waiting.items():
        for need in needs:
            users[need].append(name)
    ready = [name for name, needs in waiting.items() if not needs]
    while ready:
        name = ready.pop()
        yield fragments[name]
        for user in users[name]:
            waiting[user].discard(name)
            if not waiting[user]:
                ready.append(user)


def _spreads(selection_set: SelectionSetNode) -> set[str]:
    names: set[str] = set()
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.add(selection.name.value)
            elif (
                isinstance(selection, (FieldNode, InlineFragmentNode))
                and selection.selection_set is not None
            ):
                stack.append(selection.selection_set)
    return names


def _field(
    schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str
) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is not None and parent is schema.query_type:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None  # a union's fields, or an unknown field: validation says so


def _factor(
    parent: GraphQLNamedType | None,
    definition: GraphQLField | None,
    node: FieldNode,
    max_list_length: int,
) -> int | Size:
    """How many times a field's selection counts (the rules in the module docstring)."""
    if definition is None or parent is None or parent.name.startswith("__"):
        return 1
    if "first" in definition.args:
        default = definition.args["first"].default_value
        fallback = default if isinstance(default, int) else LIST_ESTIMATE
        return _size(node, "first", length=False, fallback=fallback, most=CAP)
    if "ids" in definition.args:
        return _size(node, "ids", length=True, fallback=1, most=max_list_length)
    if not isinstance(get_nullable_type(definition.type), GraphQLList):
        return 1
    if parent.name.endswith("Connection"):
        return 1
    return LIST_ESTIMATE


def _size(node: FieldNode, argument: str, *, length: bool, fallback: int, most: int) -> int | Size:
    value = next((a.value for a in node.arguments or () if a.name.value == argument), None)
    if value is None or isinstance(value, NullValueNode):
        return fallback
    if isinstance(value, VariableNode):
        return Size(value.name.value, length, fallback, most)
    if length:
        return min(len(value.values), most) if isinstance(value, ListValueNode) else 1
    if isinstance(value, IntValueNode):
        if len(value.value) > _MAX_DIGITS:
            return 0 if value.value.startswith("-") else CAP
        return max(0, min(int(value.value), CAP))
    return fallback  # not an integer: validation says so


def _defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    return {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }


# --- repeated fields -------------------------------------------------------------------

Paths = dict[tuple[str, ...], int]


@dataclass(frozen=True)
class Repeats:
    pairs: int  # pairs of fields sharing a response path, over the document
    path: tuple[str, ...]  # the path selected most often, and how often
    times: int


def repeated_fields(document: DocumentMeasure, max_fields: int) -> Repeats:
    """Fields sharing a response path, over the operations and fragment definitions with
    at most `max_fields` fields (the others are refused for their size, and a definition
    spreading one is over it too): work bounded by `max_fields` per definition."""
    known: dict[str, Paths] = {}
    pairs, most = 0, 0
    worst: tuple[str, ...] = ()
    definitions: list[tuple[OperationDefinitionNode | FragmentDefinitionNode, Measure]] = [
        (f.node, f.measure) for f in document.fragments
    ]
    definitions += [(o.node, o.measure) for o in document.operations]
    for node, measured in definitions:
        if measured.fields > max_fields:
            continue
        paths = _paths(node.selection_set, known)
        if isinstance(node, FragmentDefinitionNode):
            known[node.name.value] = paths
        for path, times in paths.items():
            pairs += times * (times - 1) // 2
            if times > most:
                worst, most = path, times
    return Repeats(pairs, worst, most)


def _paths(selection_set: SelectionSetNode, known: Mapping[str, Paths]) -> Paths:
    """How often each response path below `selection_set` is selected (one call per
    nesting level, as `_Walk.selection_set`)."""
    paths: Paths = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = ((selection.alias or selection.name).value,)
            paths[key] = paths.get(key, 0) + 1
            if selection.selection_set is None:
                continue
            inner = {
                key + path: times for path, times in _paths(selection.selection_set, known).items()
            }
        elif isinstance(selection, InlineFragmentNode):
            inner = _paths(selection.selection_set, known)
        else:
            assert isinstance(selection, FragmentSpreadNode)
            inner = known.get(selection.name.value, {})
        for path, times in inner.items():
            paths[path] = paths.get(path, 0) + times
    return paths
