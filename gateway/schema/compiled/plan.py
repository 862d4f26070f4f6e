"""An operation compiled once: what each selection resolves and how each value is shaped.

graphql-core works an operation out again on every request: it collects the fields of
every selection set (fragments, `@skip`/`@include`), looks each field up, builds a
resolve info for it, then walks the return type's wrappers to complete the value. A plan
does the looking up once per (document, operation), keeping for every field its
definition, its resolver, whether that resolver needs an info (strawberry's basic fields,
plain attributes, do not), and its return type unwrapped into a chain of completions.

What a plan keeps to graphql-core's own order and merging rules: fields are grouped by
response key in the order collect_fields would find them. `@skip`/`@include` stay
conditions, checked per request; a response key whose fields are under different
conditions (its place in the answer could move) makes the operation not compilable, as
do introspection fields and any directive other than those two. Sub-selections of an
abstract type are compiled per runtime type, when that type first shows up.

The compile is bounded: the document already passed the limits (max_fields counts every
fragment spread where it is used), and a plan stops at its `Budget` of field plans, which
also draws on the document cache's `Pool` (all its plans together: fragments make a plan
grow faster than its text, ~600 bytes a field plan); past either the operation, or the
one value, is left to graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    does_fragment_condition_match,
    get_field_entry_key,
)
from strawberry.types.field import StrawberryField

_SKIP = "skip"
_INCLUDE = "include"
TYPENAME = "__typename"


class Unsupported(Exception):
    """Something a plan does not cover: graphql-core executes it instead."""


class Pool:
    """Field plans that all the plans of one document cache may still make."""

    def __init__(self, size: int) -> None:
        self.left = size


class Budget:
    """Field plans one plan may still make, drawn from its pool too; given back to the
    pool when the plan goes (`release`), after which the plan makes no more."""

    def __init__(self, most: int, pool: Pool | None = None) -> None:
        self.left = most
        self.pool = pool
        self.spent = 0

    def spend(self) -> None:
        if self.left <= 0 or (self.pool is not None and self.pool.left <= 0):
            raise Unsupported("over the budget of field plans")
        self.left -= 1
        self.spent += 1
        if self.pool is not None:
            self.pool.left -= 1

    def release(self) -> None:
        if self.pool is not None:
            self.pool.left += self.spent
        self.pool = None
        self.left = self.spent = 0


@dataclass(frozen=True, slots=True)
class Condition:
    """An `@skip` or `@include` on a field, or on a fragment on the way to it."""

    skip: bool
    variable: str | None  # `if: $variable`; else `literal`
    literal: bool

    def holds(self, variables: Mapping[str, Any]) -> bool:
        value = self.literal if self.variable is None else variables[self.variable]
        return not value if self.skip else bool(value)


Conditions: TypeAlias = tuple[Condition, ...]


@dataclass(slots=True)
class Leaf:
    type: GraphQLLeafType


@dataclass(slots=True)
class Object:
    type: GraphQLObjectType
    selection: Selection


@dataclass(slots=True)
class Abstract:
    """Sub-selections compiled per runtime type, when the type first shows up (None: that
    type's selection was over the budget, and graphql-core completes it)."""

    type: GraphQLAbstractType
    nodes: tuple[FieldNode, ...]
    compiler: Compiler
    by_type: dict[str, Object | None] = field(default_factory=dict)

    def for_type(self, runtime: GraphQLObjectType) -> Object | None:
        try:
            return self.by_type[runtime.name]
        except KeyError:
            pass
        try:
            compiled: Object | None = Object(runtime, self.compiler.selection(runtime, self.nodes))
        except (Unsupported, RecursionError):
            compiled = None
        self.by_type[runtime.name] = compiled
        return compiled


@dataclass(slots=True)
class ListOf:
    type: GraphQLList[GraphQLOutputType]
    item: Completion
    item_type: GraphQLOutputType


@dataclass(slots=True)
class NonNull:
    inner: Completion
    # graphql-core's words when a non-null field completes to null.
    message: str


Completion: TypeAlias = Leaf | Object | Abstract | ListOf | NonNull


@dataclass(frozen=True, slots=True)
class Direct:
    """A resolver without arguments or field extensions, called as strawberry's wrapper
    would call it (`get_arguments`, `StrawberryField.get_result`) without the wrapper's
    per-call work: the source as `self` and/or as its root/parent parameter, and a
    strawberry Info only when the resolver asks for one."""

    call: Callable[..., Any]
    pass_self: bool
    source_names: tuple[str, ...]
    info_name: str | None
    field: StrawberryField
    info_class: Callable[..., Any]


def direct(definition: GraphQLField, info_class: Callable[..., Any] | None) -> Direct | None:
    """How to call the field's resolver directly, or None for strawberry's wrapper."""
    field = (definition.extensions or {}).get("strawberry-definition")
    if info_class is None or not isinstance(field, StrawberryField) or definition.args:
        return None
    resolver = field.base_resolver
    if (
        resolver is None
        or field.extensions
        or field.is_async
        or field.arguments
        or type(field).get_result is not StrawberryField.get_result
        or not callable(resolver.wrapped_func)
    ):
        return None
    source_names = tuple(
        p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
    )
    info = resolver.info_parameter
    return Direct(
        call=resolver.wrapped_func,
        pass_self=resolver.self_parameter is not None,
        source_names=source_names,
        info_name=info.name if info is not None else None,
        field=field,
        info_class=info_class,
    )


@dataclass(slots=True)
class FieldPlan:
    key: str  # the response key (alias or name)
    name: str
    parent: GraphQLObjectType
    definition: GraphQLField
    details: list[FieldDetails]  # as graphql-core groups them: errors name every node
    nodes: list[FieldNode]
    conditions: Conditions
    typename: bool  # `__typename`: the parent's name, nothing to resolve
    resolve: Callable[..., Any] | None  # None: the executor's default field resolver
    basic: bool  # strawberry's plain attribute: no info, no arguments
    has_args: bool
    completion: Completion
    # The completion needs a resolve info (abstract types, objects' is_type_of).
    needs_info: bool
    # A basic field of a scalar or enum type (or its non-null): that type, for the
    # shortest way (executor.py, `_leaf`); None for any other field.
    leaf: GraphQLLeafType | None = None
    non_null: bool = False
    direct: Direct | None = None


@dataclass(slots=True)
class Selection:
    fields: tuple[FieldPlan, ...]
    conditional: bool  # some field has a condition to check per request


@dataclass(slots=True)
class Plan:
    root: GraphQLObjectType
    selection: Selection
    serially: bool  # a mutation's root fields run one after another
    # Variables the conditions read: each must be a boolean in this request.
    condition_variables: frozenset[str]
    budget: Budget  # what it spent, and may still spend on runtime types

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        return all(type(variables.get(name)) is bool for name in self.condition_variables)


def compile_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    budget: Budget,
    info_class: Callable[..., Any] | None = None,
) -> Plan | None:
    """The plan for `operation`, or None when it uses something a plan does not cover.
    With `info_class` (the schema's strawberry Info class; only for a schema with no
    exception handlers, which strawberry's wrapper would apply), resolvers without
    arguments are called directly (`Direct`)."""
    if operation.operation is OperationType.SUBSCRIPTION or operation.directives:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    compiler = Compiler(schema, fragments, budget, info_class)
    try:
        variables = compiler.condition_variables(operation)
        selection = compiler.collect_root(root, operation.selection_set)
    except (Unsupported, RecursionError):
        budget.release()
        return None
    return Plan(
        root=root,
        selection=selection,
        serially=operation.operation is OperationType.MUTATION,
        condition_variables=variables,
        budget=budget,
    )


class Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        budget: Budget,
        info_class: Callable[..., Any] | None = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.budget = budget
        self.info_class = info_class

    def condition_variables(self, operation: OperationDefinitionNode) -> frozenset[str]:
        """The variables of every `@skip`/`@include` the operation can reach."""
        names: set[str] = set()
        seen: set[str] = set()
        pending = [operation.selection_set]
        while pending:
            for selection in pending.pop().selections:
                for condition in _conditions(selection):
                    if condition.variable is not None:
                        names.add(condition.variable)
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is not None and fragment.name.value not in seen:
                        seen.add(fragment.name.value)
                        pending.append(fragment.selection_set)
                elif (
                    isinstance(selection, FieldNode | InlineFragmentNode)
                    and selection.selection_set is not None
                ):
                    pending.append(selection.selection_set)
        return frozenset(names)

    def collect_root(self, root: GraphQLObjectType, selection_set: SelectionSetNode) -> Selection:
        groups: dict[str, tuple[list[FieldNode], Conditions]] = {}
        self._visit(root, selection_set, (), groups, {})
        return self._selection(root, groups)

    def selection(self, parent: GraphQLObjectType, nodes: Sequence[FieldNode]) -> Selection:
        """The fields under `nodes` (one response key's fields, merged) on `parent`."""
        groups: dict[str, tuple[list[FieldNode], Conditions]] = {}
        visited: dict[str, Conditions] = {}
        for node in nodes:
            if node.selection_set is not None:
                self._visit(parent, node.selection_set, (), groups, visited)
        return self._selection(parent, groups)

    def _selection(
        self, parent: GraphQLObjectType, groups: dict[str, tuple[list[FieldNode], Conditions]]
    ) -> Selection:
        fields = tuple(
            self._field(parent, key, nodes, conditions)
            for key, (nodes, conditions) in groups.items()
        )
        return Selection(fields, any(f.conditions for f in fields))

    def _visit(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        conditions: Conditions,
        groups: dict[str, tuple[list[FieldNode], Conditions]],
        visited: dict[str, Conditions],
    ) -> None:
        """graphql-core's collect_fields, with the conditions kept instead of checked."""
        for selection in selection_set.selections:
            here = conditions + _conditions(selection)
            if isinstance(selection, FieldNode):
                key = get_field_entry_key(selection)
                group = groups.get(key)
                if group is None:
                    groups[key] = ([selection], here)
                elif group[1] != here:
                    raise Unsupported(f"{key} is selected under different conditions")
                else:
                    group[0].append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if does_fragment_condition_match(self.schema, selection, parent):
                    self._visit(parent, selection.selection_set, here, groups, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or not does_fragment_condition_match(
                    self.schema, fragment, parent
                ):
                    continue
                # graphql-core visits a fragment once per collection: the first spread
                # that is included. Spreads under other conditions could change which.
                if name in visited:
                    if visited[name] != here:
                        raise Unsupported(f"...{name} is spread under different conditions")
                    continue
                visited[name] = here
                self._visit(parent, fragment.selection_set, here, groups, visited)

    def _field(
        self,
        parent: GraphQLObjectType,
        key: str,
        nodes: list[FieldNode],
        conditions: Conditions,
    ) -> FieldPlan:
        self.budget.spend()
        name = nodes[0].name.value
        details = [FieldDetails(node, None, None) for node in nodes]
        if name == TYPENAME:
            definition = self.schema.get_field(parent, name)
            assert definition is not None
            return FieldPlan(
                key, name, parent, definition, details, nodes, conditions,
                typename=True, resolve=None, basic=True, has_args=False,
                completion=Leaf(GraphQLString),
                needs_info=False,
            )  # fmt: skip
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise Unsupported(f"{parent.name}.{name} is not a field")
        resolve = definition.resolve
        basic = bool(getattr(resolve, "_is_default", False))
        has_args = bool(definition.args or any(node.arguments for node in nodes[:1]))
        completion = self._completion(definition.type, parent, name, nodes)
        plan = FieldPlan(
            key, name, parent, definition, details, nodes, conditions,
            typename=False, resolve=resolve, basic=basic and not has_args, has_args=has_args,
            completion=completion, needs_info=_needs_info(completion),
        )  # fmt: skip
        inner = completion.inner if isinstance(completion, NonNull) else completion
        if plan.basic and isinstance(inner, Leaf):
            plan.leaf = inner.type
            plan.non_null = inner is not completion
        elif not plan.basic and not has_args:
            plan.direct = direct(definition, self.info_class)
        return plan

    def _completion(
        self,
        type_: GraphQLOutputType,
        parent: GraphQLObjectType,
        name: str,
        nodes: list[FieldNode],
    ) -> Completion:
        if is_non_null_type(type_):
            assert isinstance(type_, GraphQLNonNull)
            inner = self._completion(type_.of_type, parent, name, nodes)
            return NonNull(inner, f"Cannot return null for non-nullable field {parent}.{name}.")
        if is_list_type(type_):
            assert isinstance(type_, GraphQLList)
            item = self._completion(type_.of_type, parent, name, nodes)
            return ListOf(type_, item, type_.of_type)
        if is_leaf_type(type_):
            return Leaf(type_)
        if is_abstract_type(type_):
            return Abstract(type_, tuple(nodes), self)
        if is_object_type(type_):
            assert isinstance(type_, GraphQLObjectType)
            return Object(type_, self.selection(type_, nodes))
        raise Unsupported(f"the type {type_}")


def _needs_info(completion: Completion) -> bool:
    while isinstance(completion, NonNull | ListOf):
        completion = completion.inner if isinstance(completion, NonNull) else completion.item
    if isinstance(completion, Abstract):
        return True
    return isinstance(completion, Object) and completion.type.is_type_of is not None


def _conditions(selection: Any) -> Conditions:
    directives: tuple[DirectiveNode, ...] = tuple(selection.directives or ())
    found: list[Condition] = []
    # graphql-core checks @skip first, then @include; a node fails on either.
    for directive in sorted(directives, key=lambda d: d.name.value != _SKIP):
        kind = directive.name.value
        if kind not in (_SKIP, _INCLUDE):
            raise Unsupported(f"the directive @{kind}")
        arguments = directive.arguments or ()
        if len(arguments) != 1 or arguments[0].name.value != "if":
            raise Unsupported(f"@{kind} without one `if`")
        value = arguments[0].value
        if isinstance(value, VariableNode):
            found.append(Condition(kind == _SKIP, value.name.value, False))
        elif isinstance(value, BooleanValueNode):
            found.append(Condition(kind == _SKIP, None, value.value))
        else:
            raise Unsupported(f"@{kind}(if:) neither a variable nor a boolean")
    return tuple(found)
