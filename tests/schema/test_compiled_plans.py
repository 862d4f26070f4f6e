"""Which operations get a plan (gateway/schema/compiled), and where plans live: in the
document cache's entries, so they go when their document goes."""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from gateway.schema import build_schema
from gateway.schema.compiled import Plan, compile_operation
from gateway.schema.compiled.plan import Budget, Pool
from gateway.schema.documents import PLAN_FIELDS
from gateway.settings import Limits
from gateway.vendors.registry import default_registry
from tests.gateway import queries as q

SCHEMA = build_schema(vendors=default_registry().vendors)


def plan_of(document: str, budget: int = 4_000) -> Plan | None:
    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    return compile_operation(SCHEMA._schema, operation, fragments, Budget(budget))


@pytest.mark.parametrize(
    "document",
    [
        q.UPDATE,
        q.UPDATE_NESTED,
        q.READ,
        "{ invoices(vendor: KANTATA) { edges { node { id lineItems { id } } } } }",
        "query($id: ID!, $a: Boolean!) { node(id: $id) { id ...F @include(if: $a) } } "
        "fragment F on Invoice { number }",
        "mutation { __typename }",
    ],
)
def test_the_common_operations_compile(document: str) -> None:
    assert plan_of(document) is not None


@pytest.mark.parametrize(
    "document",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Invoice") { name } }',
        # One response key under two conditions: where it lands depends on the request.
        "query($a: Boolean!) { vendorCapabilities { vendor @include(if: $a) vendor } }",
        "query($a: Boolean!) { vendorCapabilities { ...F @include(if: $a) ...F } } "
        "fragment F on VendorCapabilities { vendor }",
        "subscription { x }",
    ],
)
def test_what_a_plan_does_not_cover_is_left_to_graphql_core(document: str) -> None:
    assert plan_of(document) is None


def test_a_plan_is_bounded() -> None:
    assert plan_of(q.UPDATE_NESTED, budget=2) is None


def test_all_plans_together_are_bounded_and_give_back_what_they_held() -> None:
    parsed = parse(q.UPDATE)
    operation = parsed.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    pool = Pool(10)
    plan = compile_operation(SCHEMA._schema, operation, {}, Budget(100, pool))
    assert plan is not None and pool.left == 10 - plan.budget.spent
    # The pool runs dry: the next plan is not made, and holds nothing.
    assert compile_operation(SCHEMA._schema, operation, {}, Budget(100, pool)) is None
    assert pool.left == 10 - plan.budget.spent
    plan.budget.release()
    assert pool.left == 10


def test_plans_live_in_the_document_cache_entries() -> None:
    schema = build_schema(Limits(), vendors=default_registry().vendors)
    documents = schema.documents
    assert schema.execution_context_class.plans is documents  # type: ignore[attr-defined]
    entry = documents.parse(q.UPDATE)
    operation = entry.document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    plan = documents.plan(schema._schema, operation, {})
    assert plan is not None and entry.plans[id(operation)] is plan
    assert documents.plan(schema._schema, operation, {}) is plan  # compiled once
    assert documents.plan_pool.left == PLAN_FIELDS - plan.budget.spent
    # Evicted with its document: a plan never outlives the cache's bounds.
    for n in range(documents.size):
        documents.parse(f"{{ __typename a{n}: __typename }}")
    assert documents.plan(schema._schema, operation, {}) is None
    assert documents.plan_pool.left == PLAN_FIELDS
    # A document parsed elsewhere has no plan: graphql-core runs it.
    stray = parse(q.UPDATE).definitions[0]
    assert isinstance(stray, OperationDefinitionNode)
    assert documents.plan(schema._schema, stray, {}) is None


def test_the_setting_turns_plans_off() -> None:
    schema = build_schema(vendors=default_registry().vendors, compiled=False)
    assert schema.execution_context_class.plans is None  # type: ignore[attr-defined]


def test_selections_below_a_field_are_converted_once_per_document() -> None:
    from strawberry.types.nodes import SelectedField

    from gateway.schema.selections import Memo

    schema = build_schema(vendors=default_registry().vendors)
    documents = schema.documents
    entry = documents.parse(q.UPDATE_NESTED)
    operation = entry.document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    memo: Memo | None = documents.memo(operation)
    assert memo == {}
    assert documents.memo(parse(q.UPDATE_NESTED).definitions[0]) is None  # type: ignore[arg-type]
    assert SelectedField  # the objects kept are strawberry's own


def test_resolvers_without_arguments_are_called_directly() -> None:
    from gateway.schema.compiled.plan import direct

    schema = SCHEMA._schema
    kantata = schema.get_type("KantataInvoice")
    query = schema.query_type
    assert kantata is not None and query is not None
    fields = kantata.fields  # type: ignore[attr-defined]
    info_class = SCHEMA.config.info_class
    # `self` only, and `self` with the Info: called as strawberry's wrapper would.
    total = direct(fields["total"], info_class)
    assert total is not None and total.pass_self and total.info_name is None
    items = direct(fields["lineItems"], info_class)
    assert items is not None and items.info_name == "info"
    # Arguments (converted by strawberry), async resolvers, no Info class: the wrapper.
    assert direct(query.fields["invoice"], info_class) is None
    assert direct(query.fields["vendorCapabilities"], info_class) is None
    assert direct(fields["total"], None) is None
