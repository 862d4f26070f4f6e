"""The executor strawberry hands each operation to (`Schema(execution_context_class=)`):
graphql-core's own, which runs an operation's plan when it has one.

It still is graphql-core's executor: the variables are coerced, the response built and
the errors collected by its code, and whatever a plan does not cover is completed by its
methods (`complete_value` and friends), from the exact place the plan stopped. What the
plan does itself mirrors graphql-core step for step, so an answer is the same either way:
the same data in the same key order, the same errors (located by graphql-core's
`handle_field_error`, null propagating to the nearest nullable parent) in the same order.

A plan runs only in a plain execution: no abort signal, no execution hooks, no resolve
middleware (a strawberry extension with a `resolve` hook), and every variable a
`@skip`/`@include` reads is a boolean. Anything else runs graphql-core's way throughout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, ClassVar, Protocol, TypeAlias, cast

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
)
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema.compiled.plan import (
    Abstract,
    Completion,
    FieldPlan,
    Leaf,
    ListOf,
    NonNull,
    Object,
    Plan,
    Selection,
)

Info: TypeAlias = GraphQLResolveInfo[Any]


class Plans(Protocol):
    """Where an executor finds the plan of the operation it runs (the document cache)."""

    def plan(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> Plan | None: ...


def executor_class(plans: Plans | None) -> type[CompiledExecutor]:
    """The executor of one schema, reading the plans of its document cache (None: the
    fast path is off, and this is graphql-core's executor, as strawberry's is)."""
    return type("GatewayExecutor", (CompiledExecutor,), {"plans": plans})


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    plans: ClassVar[Plans | None] = None

    def _plan(self) -> Plan | None:
        if (
            self.plans is None
            or self.abort_signal is not None
            or self.hooks is not None
            or (self.middleware_manager is not None and self.middleware_manager.middlewares)
        ):
            return None
        plan = self.plans.plan(self.schema, self.operation, self.fragment_definitions)
        if plan is None or not plan.accepts(self.variable_values.coerced):
            return None
        return plan

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan() if serially is None else None
        if plan is None:
            return super().execute_operation(serially)
        # graphql-core's execute_operation, with the plan's root selection.
        try:
            data = (self._serially if plan.serially else self._selection)(
                plan.selection, plan.root, self.root_value, None
            )
            if self.is_awaitable(data):
                return self._await_response(data)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(cast("dict[str, Any]", data)))

    async def _await_response(self, data: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            value = await data
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return cast("ExecutionResult", self.build_response(None))
        except Exception:
            await self.cancel_incremental_work()
            self.run_async_work_finished_hook()
            raise
        return cast("ExecutionResult", self.build_response(value))

    # --- selections -------------------------------------------------------------------

    def _active(self, selection: Selection) -> Iterable[FieldPlan]:
        if not selection.conditional:
            return selection.fields
        variables = self.variable_values.coerced
        return [f for f in selection.fields if all(c.holds(variables) for c in f.conditions)]

    def _selection(
        self, selection: Selection, parent: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        """graphql-core's execute_fields: every field started, then the awaitable ones
        awaited together."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        pending: list[str] = []
        try:
            for plan in self._active(selection):
                if plan.typename:
                    results[plan.key] = parent.name
                    continue
                result = self._field(plan, parent, source, path)
                results[plan.key] = result
                if is_awaitable(result):
                    pending.append(plan.key)
        except Exception:
            if pending:
                self.settle_in_background([results[key] for key in pending])
            raise
        if not pending:
            return results
        return self._gather(results, pending)

    @staticmethod
    async def _gather(
        values: dict[str, Any] | list[Any], pending: list[Any]
    ) -> dict[str, Any] | list[Any]:
        """`values` with its awaitables (at the keys or indices `pending`) awaited together."""
        if len(pending) == 1:
            values[pending[0]] = await values[pending[0]]
        else:
            awaited = await gather_with_cancel(*(values[key] for key in pending))
            for key, value in zip(pending, awaited, strict=True):
                values[key] = value
        return values

    def _serially(
        self, selection: Selection, parent: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        """graphql-core's execute_fields_serially: each field finished before the next."""
        results: dict[str, Any] = {}
        fields = list(self._active(selection))
        for index, plan in enumerate(fields):
            if plan.typename:
                results[plan.key] = parent.name
                continue
            result = self._field(plan, parent, source, path)
            if self.is_awaitable(result):
                return self._serially_rest(results, plan.key, result, fields[index + 1 :], parent)
            results[plan.key] = result
        return results

    async def _serially_rest(
        self,
        results: dict[str, Any],
        key: str,
        awaiting: Awaitable[Any],
        rest: Sequence[FieldPlan],
        parent: GraphQLObjectType,
    ) -> dict[str, Any]:
        results[key] = await awaiting
        for plan in rest:
            if plan.typename:
                results[plan.key] = parent.name
                continue
            result = self._field(plan, parent, self.root_value, None)
            results[plan.key] = (await result) if self.is_awaitable(result) else result
        return results

    # --- fields -----------------------------------------------------------------------

    def _field(
        self, plan: FieldPlan, parent: GraphQLObjectType, source: Any, at: Path | None
    ) -> Any:
        """graphql-core's execute_field, without its lookups: the plan made them."""
        if plan.leaf is not None:
            return self._leaf(plan, parent, source, at)
        path = Path(at, plan.key, parent.name)
        info: Info | None = None
        try:
            if plan.direct is not None:
                direct = plan.direct
                kwargs = dict.fromkeys(direct.source_names, source)
                if direct.info_name is not None or plan.needs_info:
                    info = self.build_resolve_info(plan.definition, plan.nodes, parent, path)
                    if direct.info_name is not None:
                        kwargs[direct.info_name] = direct.info_class(
                            _raw_info=info, _field=direct.field
                        )
                if direct.pass_self:
                    result = direct.call(source, **kwargs)
                else:
                    result = direct.call(**kwargs)
            elif plan.basic:
                result = plan.resolve(source, None)  # type: ignore[misc]
                if plan.needs_info:
                    info = self.build_resolve_info(plan.definition, plan.nodes, parent, path)
            else:
                info = self.build_resolve_info(plan.definition, plan.nodes, parent, path)
                args = (
                    get_argument_values(
                        plan.definition,
                        plan.nodes[0],
                        self.variable_values,
                        None,
                        self.hide_suggestions,
                    )
                    if plan.has_args
                    else {}
                )
                resolve = plan.resolve or self.field_resolver
                result = resolve(source, info, **args)
            return self._resolved(plan, info, path, result)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.definition.type, plan.details, path)
            return None

    def _leaf(
        self, plan: FieldPlan, parent: GraphQLObjectType, source: Any, at: Path | None
    ) -> Any:
        """A plain attribute holding a scalar or an enum, most of any answer: no path, no
        info, unless something other than a value to coerce comes back."""
        try:
            result = plan.resolve(source, None)  # type: ignore[misc]
            if result is None:
                if not plan.non_null:
                    return None
            elif not isinstance(result, Exception) and not self.is_awaitable(result):
                coerced = plan.leaf.coerce_output_value(result)  # type: ignore[union-attr]
                if coerced is not None and coerced is not Undefined:
                    return coerced
            # Null for a non-null field, an awaitable, a value that does not coerce: the
            # general way, which raises or awaits as graphql-core would.
            return self._resolved(plan, None, Path(at, plan.key, parent.name), result)
        except Exception as raw_error:
            path = Path(at, plan.key, parent.name)
            self.handle_field_error(raw_error, plan.definition.type, plan.details, path)
            return None

    def _resolved(self, plan: FieldPlan, info: Info | None, path: Path, result: Any) -> Any:
        """A field's resolved value completed; raises what the caller's handler takes."""
        if self.is_awaitable(result):
            return self._complete_awaitable(plan, info, path, result)
        completed = self._complete(plan.completion, plan, info, path, result)
        if self.is_awaitable(completed):
            return self._await_completed(plan, completed, path)
        return completed

    async def _complete_awaitable(
        self, plan: FieldPlan, info: Info | None, path: Path, result: Any
    ) -> Any:
        try:
            resolved = await result
            completed = self._complete(plan.completion, plan, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.definition.type, plan.details, path)
            return None
        return completed

    async def _await_completed(self, plan: FieldPlan, completed: Awaitable[Any], path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.definition.type, plan.details, path)
            return None

    def _info(self, plan: FieldPlan, info: Info | None, path: Path) -> Info:
        if info is not None:
            return info
        return self.build_resolve_info(plan.definition, plan.nodes, plan.parent, path)

    # --- values -----------------------------------------------------------------------

    def _complete(
        self,
        completion: Completion,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        """graphql-core's complete_value, the type's wrappers already taken apart."""
        if isinstance(result, Exception):
            raise result
        if isinstance(completion, NonNull):
            completed = self._complete(completion.inner, plan, info, path, result)
            if completed is None:
                raise TypeError(completion.message)
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(completion, Leaf):
            return self.complete_leaf_value(completion.type, result)
        if isinstance(completion, Object):
            return self._object(completion, plan, self._info(plan, info, path), path, result)
        if isinstance(completion, Abstract):
            return self._abstract(completion, plan, self._info(plan, info, path), path, result)
        return self._list(completion, plan, info, path, result)

    def _object(
        self,
        completion: Object,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
    ) -> Any:
        type_ = completion.type
        if type_.is_type_of is not None:
            is_type_of = type_.is_type_of(result, info)
            if self.is_awaitable(is_type_of):
                # graphql-core asks again, and awaits its own answer.
                _close(is_type_of)
                return self.complete_object_value(type_, plan.details, info, path, result, None)
            if not is_type_of:
                raise invalid_return_type_error(type_, result, plan.details)
        return self._selection(completion.selection, type_, result, path)

    def _abstract(
        self,
        completion: Abstract,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
    ) -> Any:
        abstract = completion.type
        if abstract.resolve_type is None:
            return self.complete_abstract_value(abstract, plan.details, info, path, result, None)
        runtime_name = abstract.resolve_type(result, info, abstract)
        if self.is_awaitable(runtime_name):
            return self._abstract_later(completion, plan, info, path, result, runtime_name)
        runtime = self.ensure_valid_runtime_type(runtime_name, abstract, plan.details, info, result)
        compiled = completion.for_type(runtime)
        if compiled is None:
            return self.complete_object_value(runtime, plan.details, info, path, result, None)
        return self._object(compiled, plan, info, path, result)

    async def _abstract_later(
        self,
        completion: Abstract,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
        runtime_name: Awaitable[Any],
    ) -> Any:
        runtime = self.ensure_valid_runtime_type(
            await runtime_name, completion.type, plan.details, info, result
        )
        value = self.complete_object_value(runtime, plan.details, info, path, result, None)
        return (await value) if self.is_awaitable(value) else value

    def _list(
        self,
        completion: ListOf,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        """graphql-core's complete_iterable_value, for lists and tuples; anything else
        (an async iterable, something not iterable) is graphql-core's to complete."""
        if not isinstance(result, list | tuple):
            full = self._info(plan, info, path)
            return self.complete_list_value(completion.type, plan.details, full, path, result, None)
        item_type = completion.item_type
        item_completion = completion.item
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        pending: list[int] = []
        index = 0
        try:
            for index, item in enumerate(result):
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    full = self._info(plan, info, path)
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, plan.details, full, item_path, None
                        )
                    )
                    pending.append(index)
                    continue
                try:
                    value = self._complete(item_completion, plan, info, item_path, item)
                    if is_awaitable(value):
                        completed.append(self._await_item(value, item_type, plan, item_path))
                        pending.append(index)
                    else:
                        completed.append(value)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, plan.details, item_path)
                    completed.append(None)
        except Exception:
            awaitables = [completed[i] for i in pending]
            awaitables += [item for item in result[index + 1 :] if is_awaitable(item)]
            if awaitables:
                self.settle_in_background(awaitables)
            raise
        if not pending:
            return completed
        return self._gather(completed, pending)

    async def _await_item(
        self, value: Awaitable[Any], item_type: GraphQLOutputType, plan: FieldPlan, path: Path
    ) -> Any:
        try:
            return await value
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, plan.details, path)
            return None


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
