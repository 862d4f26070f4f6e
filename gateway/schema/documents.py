"""Each distinct operation text is parsed, measured and validated once, and the limits come
first: a document over them is refused before graphql-core's rules see it (some of those
grow faster than the document: OverlappingFieldsCanBeMergedRule compares fields pairwise).

One strawberry extension does what four did (token limit, parser cache, limit rules,
validation cache). Refusals are request errors like any validation error
(docs/errors-and-limits.md, "Limits"): `extensions.code` is LIMIT_EXCEEDED and
`extensions.limit` names the setting.

- parse: at most `MAX_DOCUMENT_CHARS` characters, checked first (graphql-core's lexer
  reads ~10 MB/s, a character at a time: a 1 MB string literal of one token is 120 ms),
  and at most `max_tokens` tokens; graphql-core's parser also stops at 200 levels of
  nesting. Each is refused with the limit named.
- measure and check (gateway/schema/measure.py, limits.py): fragments, depth, aliases,
  fields, field pairs, and the cost when no variable sizes it; then, only within all of
  them, graphql-core's rules. Once per document.
- per request, only when a variable sizes a list (`first: $n`, `ids: $ids`): the cost with
  this request's variables.

The cache keeps at most `size` documents and `text_chars` characters of their text: a
parsed document takes about 60 times the memory of its text (1.9 MB for 3,000 tokens), so
a count alone would let distinct large documents hold gigabytes (1,024 of them did). A
document that parses but breaks a limit is kept too: sent again, it is refused from the
cache.

An entry also keeps the compiled plan of each of its operations (gateway/schema/compiled),
made the first time the operation runs, and the root resolvers' selections (selections.py):
they live and go with their document, so the same bounds hold them. A plan is at most
`plan_budget` field plans (a few per field the limits allow), and all plans together at
most PLAN_FIELDS.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.nodes import Selection

from gateway.schema.compiled import Plan, compile_operation
from gateway.schema.compiled.plan import Budget, Pool
from gateway.schema.limits import cost_error, document_errors, limit_error
from gateway.schema.measure import DocumentMeasure, measure
from gateway.schema.selections import Memo
from gateway.settings import Limits

Rules = tuple[type[ASTValidationRule], ...]

# graphql-core's parser: its refusals for too many tokens and too deep a nesting.
_TOO_MANY_TOKENS = "Document contains more than"
_TOO_DEEP = "Document is nested too deeply"
PARSER_MAX_NESTING = 200  # graphql.language.parser.MAX_NESTING_DEPTH
# The longest operation text parsed; long values belong in variables. As much as one
# persisted query may be (`Limits.apq_max_bytes`' default).
MAX_DOCUMENT_CHARS = 100_000


# Field plans per field the limits allow in an operation: an abstract type's selection is
# compiled again for each of its object types that shows up.
PLAN_FIELDS_PER_FIELD = 4
# Field plans all cached plans may hold together (~600 bytes each: ~30 MB), however their
# documents' fragments multiply them; past it, operations run without a plan.
PLAN_FIELDS = 50_000


class _Entry:
    """A parsed document; its measure and its validation errors (per rule set), once; and
    the plans of its operations (None: not compilable), by operation."""

    __slots__ = ("below", "document", "errors", "kept", "measured", "plans")

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.measured: DocumentMeasure | None = None
        self.errors: dict[Rules, list[GraphQLError]] = {}
        self.plans: dict[int, Plan | None] = {}
        self.below: Memo = {}
        self.kept = 0  # of the pool: the selections in `below`


class DocumentCache:
    """Parsed and checked documents by their text, least recently used first out."""

    def __init__(self, limits: Limits, *, size: int, text_chars: int) -> None:
        self.limits = limits
        self.size = size
        self.text_chars = text_chars
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._chars = 0
        self.hits = 0
        self.misses = 0
        # Each cached document's operations, by identity: the executor knows the operation
        # it runs, not the text it came from.
        self._operations: dict[int, tuple[OperationDefinitionNode, _Entry]] = {}
        self.plan_budget = PLAN_FIELDS_PER_FIELD * limits.max_fields
        self.plan_pool = Pool(PLAN_FIELDS)
        # The schema's strawberry Info class, when its resolvers may be called directly
        # (gateway/schema/compiled/plan.py, `Direct`); None: through strawberry's wrapper.
        self.direct_info: Callable[..., Any] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def parse(self, query: str) -> _Entry:
        if len(query) > MAX_DOCUMENT_CHARS:
            raise limit_error(
                f"the document is {len(query):,} characters long; the limit is "
                f"{MAX_DOCUMENT_CHARS:,}: send long values as variables",
                "MAX_DOCUMENT_CHARS",
                len(query),
                MAX_DOCUMENT_CHARS,
            )
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            self.hits += 1
            return entry
        self.misses += 1
        entry = _Entry(parse_document(query, self.limits))
        if len(query) <= self.text_chars:
            self._entries[query] = entry
            self._chars += len(query)
            self._index(entry, add=True)
            while len(self._entries) > self.size or self._chars > self.text_chars:
                old, evicted = self._entries.popitem(last=False)
                self._chars -= len(old)
                self._index(evicted, add=False)
                for plan in evicted.plans.values():
                    if plan is not None:
                        plan.budget.release()
                self.plan_pool.left += evicted.kept
        return entry

    def _index(self, entry: _Entry, *, add: bool) -> None:
        for definition in entry.document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if add:
                    self._operations[id(definition)] = (definition, entry)
                else:
                    self._operations.pop(id(definition), None)

    def _entry_of(self, operation: OperationDefinitionNode) -> _Entry | None:
        """The cached entry `operation` belongs to (by identity: an id may be reused)."""
        found = self._operations.get(id(operation))
        return found[1] if found is not None and found[0] is operation else None

    def memo(self, operation: OperationDefinitionNode) -> Memo | None:
        """Where the selections below a field of `operation` are kept (selections.py), or
        None when its document is not in the cache."""
        entry = self._entry_of(operation)
        return None if entry is None else entry.below

    def keep(
        self,
        operation: OperationDefinitionNode,
        key: tuple[int, ...],
        selections: list[Selection],
        size: int,
    ) -> None:
        """Keep `selections` in the memo of `operation`'s entry, when the pool has room
        for `size` more."""
        entry = self._entry_of(operation)
        if entry is None or size > self.plan_pool.left:
            return
        entry.below[key] = selections
        entry.kept += size
        self.plan_pool.left -= size

    def plan(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> Plan | None:
        """The plan of `operation`, compiled on its first run; None when its document is
        not in the cache (then nothing bounds a plan's life) or it is not compilable."""
        entry = self._entry_of(operation)
        if entry is None:
            return None
        plans = entry.plans
        key = id(operation)
        if key in plans:
            return plans[key]
        if self.plan_pool.left <= 0:
            return None  # not kept: the pool may have room again by the next request
        budget = Budget(self.plan_budget, self.plan_pool)
        plans[key] = compile_operation(schema, operation, fragments, budget, self.direct_info)
        return plans[key]

    def check(self, entry: _Entry, schema: GraphQLSchema, rules: Rules) -> list[GraphQLError]:
        """The document's limits, then (only within them) graphql-core's rules."""
        errors = entry.errors.get(rules)
        if errors is None:
            if entry.measured is None:
                entry.measured = measure(schema, entry.document, self.limits.max_list_length)
            errors = document_errors(entry.measured, self.limits)
            if not errors:
                errors = validate_document(schema, entry.document, rules)
            entry.errors[rules] = errors
        return errors


def parse_document(query: str, limits: Limits) -> DocumentNode:
    """The parsed document, or a request error naming the limit the text breaks."""
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLSyntaxError as error:
        if _TOO_MANY_TOKENS in error.message:
            setting, value, maximum = "GATEWAY_MAX_TOKENS", limits.max_tokens + 1, limits.max_tokens
            message = (
                f"the document has more than {limits.max_tokens:,} tokens; the limit is "
                f"{limits.max_tokens:,} (GATEWAY_MAX_TOKENS): send a shorter document"
            )
        elif _TOO_DEEP in error.message:
            setting, value, maximum = "GATEWAY_MAX_DEPTH", PARSER_MAX_NESTING + 1, limits.max_depth
            message = (
                f"the document nests more than {PARSER_MAX_NESTING} levels deep; operations "
                f"may nest fields {limits.max_depth:,} deep (GATEWAY_MAX_DEPTH)"
            )
        else:
            raise
        raise limit_error(message, setting, value, maximum, at=error) from None


class CheckedDocuments(SchemaExtension):
    """Parse from the cache, then check the limits and validate (also from the cache)."""

    def __init__(self, cache: DocumentCache) -> None:
        self._cache = cache
        self._entry: _Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:  # strawberry refuses an empty one before parsing
            self._entry = self._cache.parse(context.query)
            context.graphql_document = self._entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        entry = self._entry
        if document is not None:
            if entry is None or entry.document is not document:
                entry = _Entry(document)  # parsed elsewhere: checked, not kept
            schema = context.schema._schema
            errors = self._cache.check(entry, schema, context.validation_rules)
            measured = entry.measured
            if not errors and measured is not None and measured.program:
                # A variable sizes a list somewhere in the document.
                operation = measured.operation(get_operation_ast(document, context.operation_name))
                if operation is not None and not isinstance(operation.measure.cost, int):
                    cost = measured.cost(operation, context.variables)
                    error = cost_error(operation, cost, self._cache.limits)
                    errors = [error] if error is not None else []
            context.pre_execution_errors = list(errors)
        yield
