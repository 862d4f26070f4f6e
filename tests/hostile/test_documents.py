"""Hostile documents: fragments that fan out, fields repeated a thousand times, nesting a
thousand deep, aliases by the ten thousand, a megabyte of text, lists that multiply. Each
gets a fast, typed no (LIMIT_EXCEEDED, naming the limit) with no vendor call, while
/healthz keeps answering; then the measures the limits rest on, worked out by hand from
the rules in gateway/schema/measure.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, get_introspection_query, parse

from gateway.schema import build_schema
from gateway.schema.limits import MAX_FIELD_PAIRS, document_errors
from gateway.schema.measure import LIST_ESTIMATE, Measure, measure, repeated_fields
from gateway.settings import Limits
from gateway.vendors.registry import default_registry
from tests.hostile.harness import Gateway, attack, gateway_process

MiB = 2**20
LIMITS = Limits()


VENDORS = default_registry().vendors


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with gateway_process() as gw:
        yield gw


def post(
    gw: Gateway,
    query: str,
    variables: dict[str, Any] | None = None,
    accept: str = "application/json",
) -> httpx.Response:
    return httpx.post(
        f"{gw.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Accept": accept},
        timeout=60,
    )


def vendor_requests(gw: Gateway) -> list[Any]:
    """What the emulators received, but the readiness probes (HEAD)."""
    return [
        request
        for vendor in ("kantata", "kitchen")
        for request in httpx.get(f"{gw.url}/sandbox/{vendor}/_control/requests").json()
        if request["method"] != "HEAD"
    ]


def forget(gw: Gateway) -> None:
    for vendor in ("kantata", "kitchen"):
        httpx.delete(f"{gw.url}/sandbox/{vendor}/_control/requests").raise_for_status()


# --- the documents ----------------------------------------------------------------------


def fan_out(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels `__typename` from ~40 bytes a level."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return "query { ...F0 }\n" + "\n".join(fragments)


def nested(levels: int) -> str:
    return "{" + "a{" * (levels - 1) + "a" + "}" * levels


def repeated(times: int, inner: int) -> str:
    """`invoice` `times` times, each with `lineItems { id }` `inner` times: few fields, but
    every pair of them must be checked to merge."""
    one = 'invoice(id: "kantata:invoice:101") { ' + "lineItems { id } " * inner + "} "
    return "{ " + one * times + "}"


PAGE = "edges { node { id lineItems { id } } }"  # 1 + 1 + 1 + 1 + 10 x 1 = 14 a page entry

ATTACKS = [
    # The issue: 20 levels took 4 s of CPU; 40 never answered, and /healthz stopped too.
    pytest.param(fan_out(20), None, "GATEWAY_MAX_FIELDS", id="fragments fanning out 2^20"),
    pytest.param(fan_out(40), None, "GATEWAY_MAX_FIELDS", id="fragments fanning out 2^40"),
    # 1,000 copies of one aliased field: 3,002 tokens, refused while parsing.
    pytest.param("{ " + "a: __typename " * 1000 + "}", None, "GATEWAY_MAX_TOKENS", id="1000 a:"),
    pytest.param("{ " + "a: __typename " * 900 + "}", None, "GATEWAY_MAX_ALIASES", id="900 a:"),
    # graphql-core compares them pairwise (its own budget stops it after ~60 ms, untyped).
    pytest.param("{ " + "__typename " * 1000 + "}", None, "MAX_FIELD_PAIRS", id="1000 copies"),
    # 820 fields, within every other limit, and 0.7 s of graphql-core's merge checks.
    pytest.param(repeated(20, 20), None, "MAX_FIELD_PAIRS", id="repeated fields 20 x 20"),
    pytest.param(
        "fragment Unused on Query " + repeated(20, 20) + " { __typename }",
        None,
        "MAX_FIELD_PAIRS",
        id="repeated fields in an unused fragment",
    ),
    # The parser stops at 200 levels; under that, the depth limit.
    pytest.param(nested(1000), None, "GATEWAY_MAX_DEPTH", id="nesting 1000 deep"),
    pytest.param(nested(190), None, "GATEWAY_MAX_DEPTH", id="nesting 190 deep"),
    # Too long to lex at all (the lexer reads a character at a time).
    pytest.param(
        "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }",
        None,
        "MAX_DOCUMENT_CHARS",
        id="10000 aliases",
    ),
    pytest.param("{ " + "__typename " * 90_000 + "}", None, "MAX_DOCUMENT_CHARS", id="1 MB"),
    pytest.param(
        '{ invoice(id: "' + "a" * 990_000 + '") { id } }',
        None,
        "MAX_DOCUMENT_CHARS",
        id="1 MB string",
    ),
    pytest.param(
        "{ __typename ...F0 }\n"
        + "\n".join(f"fragment F{i} on Query {{ __typename }}" for i in range(60)),
        None,
        "GATEWAY_MAX_FRAGMENTS",
        id="60 fragments",
    ),
    # 30 x (1 + 100 x 14) = 42,030 objects.
    pytest.param(
        "{ "
        + " ".join(f"i{i}: invoices(vendor: KANTATA, first: 100) {{ {PAGE} }}" for i in range(30))
        + " }",
        None,
        "GATEWAY_MAX_COST",
        id="30 pages of 100",
    ),
    pytest.param(
        f"query($n: Int!) {{ invoices(vendor: KANTATA, first: $n) {{ {PAGE} }} }}",
        {"n": 1_000_000},
        "GATEWAY_MAX_COST",
        id="first from a variable",
    ),
    # 1 + 500 x (id 1 + lineItems (1 + 10 x 3) + workspaces (1 + 10 x 2)) = 26,501.
    pytest.param(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Invoice { "
        "lineItems { id amount { amount } } workspaces { id title } } } }",
        {"ids": [f"kantata:invoice:{i}" for i in range(1, 501)]},
        "GATEWAY_MAX_COST",
        id="500 ids from a variable",
    ),
]


@pytest.mark.parametrize(("document", "variables", "limit"), ATTACKS)
def test_a_hostile_document_gets_a_fast_typed_no(
    gateway: Gateway, document: str, variables: dict[str, Any] | None, limit: str
) -> None:
    forget(gateway)
    measured = attack(
        gateway, lambda: post(gateway, document, variables), seconds=2.0, memory=50 * MiB
    )
    response = measured.result
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body, body
    errors = body["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"LIMIT_EXCEEDED"}, errors
    [error] = [e for e in errors if e["extensions"]["limit"] == limit]
    assert error["extensions"]["value"] > error["extensions"]["maximum"]
    if limit.startswith("GATEWAY_"):
        assert f"({limit})" in error["message"]
    assert vendor_requests(gateway) == []


def test_a_refusal_is_a_request_error_in_the_graphql_response_media_type(
    gateway: Gateway,
) -> None:
    for document in (fan_out(40), "{ " + "__typename " * 90_000 + "}"):
        response = post(gateway, document, accept="application/graphql-response+json")
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/graphql-response+json")
        assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_a_fragment_cycle_is_reported_not_followed(gateway: Gateway) -> None:
    document = "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }"
    measured = attack(gateway, lambda: post(gateway, document), seconds=2.0, memory=50 * MiB)
    [error] = measured.result.json()["errors"]
    assert "Cannot spread fragment 'A' within itself" in error["message"]


def test_the_same_hostile_document_again_and_again_is_refused_from_the_cache(
    gateway: Gateway,
) -> None:
    document = fan_out(40) + "\n# again"

    def run() -> list[httpx.Response]:
        return [post(gateway, document) for _ in range(50)]

    measured = attack(gateway, run, seconds=10.0, memory=20 * MiB)
    assert all(
        r.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED" for r in measured.result
    )


def test_distinct_large_documents_do_not_fill_memory(gateway: Gateway) -> None:
    # 2,902 tokens each, 1.9 MB parsed: 60 of them held 110 MB in a cache of 1,024.
    documents = [f"# {i}\n{{ " + "__typename " * 2900 + "}" for i in range(60)]

    def run() -> list[httpx.Response]:
        return [post(gateway, document) for document in documents]

    measured = attack(gateway, run, seconds=30.0, memory=50 * MiB)
    assert all(r.json()["errors"] for r in measured.result)


def test_a_variable_sizes_the_cost_on_every_request(gateway: Gateway) -> None:
    document = f"query($n: Int!) {{ invoices(vendor: KANTATA, first: $n) {{ {PAGE} }} }}"
    refused = post(gateway, document, {"n": 5_000}).json()
    assert refused["errors"][0]["extensions"]["limit"] == "GATEWAY_MAX_COST"
    assert "about 70,001 objects" in refused["errors"][0]["message"]
    answered = post(gateway, document, {"n": 2}).json()
    assert "errors" not in answered
    assert len(answered["data"]["invoices"]["edges"]) == 2


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(get_introspection_query(descriptions=True), id="GraphiQL's introspection"),
        pytest.param(
            f"{{ invoices(vendor: KANTATA, first: 100) {{ {PAGE} }} }}", id="a page of 100"
        ),
        pytest.param(
            "fragment F on Invoice { id number lineItems { id } }\n{ "
            + " ".join(f'i{i}: invoice(id: "kantata:invoice:101") {{ ...F }}' for i in range(30))
            + " }",
            id="30 aliases spreading a fragment",
        ),
    ],
)
def test_a_large_document_within_the_limits_is_answered(gateway: Gateway, document: str) -> None:
    measured = attack(gateway, lambda: post(gateway, document), seconds=5.0, memory=50 * MiB)
    body = measured.result.json()
    assert "errors" not in body, body["errors"][:2]


# --- the measures, by hand ------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(vendors=VENDORS)._schema


L = LIST_ESTIMATE
COSTS = [
    # document, variables, Measure(depth, aliases, fields, cost)
    ("{ __typename }", None, Measure(0, 0, 1, 1)),
    ('{ invoice(id: "x") { id number } }', None, Measure(1, 0, 3, 1 + 2)),
    # A list field nothing sizes counts LIST_ESTIMATE times.
    ('{ invoice(id: "x") { lineItems { id title } } }', None, Measure(2, 0, 4, 1 + 1 + L * 2)),
    # `first` sizes the page; the connection's lists are the page, counted once.
    (
        "{ invoices(vendor: KANTATA, first: 50) { edges { node { id lineItems { id } } } } }",
        None,
        Measure(4, 0, 6, 1 + 50 * (1 + 1 + 1 + 1 + L)),
    ),
    (
        "{ invoices(vendor: KANTATA) { edges { node { id lineItems { id } } } } }",
        None,
        Measure(4, 0, 6, 1 + 20 * (1 + 1 + 1 + 1 + L)),
    ),
    (
        "{ invoices(vendor: KITCHEN, first: 10) { "
        "totalCount pageInfo { hasNextPage } nodes { id } } }",
        None,
        Measure(2, 0, 6, 1 + 10 * (1 + (1 + 1) + (1 + 1))),
    ),
    ("{ invoices(vendor: KANTATA, first: -3) { totalCount } }", None, Measure(1, 0, 2, 1)),
    # `ids` sizes `nodes`; a type condition does not change the count.
    (
        '{ nodes(ids: ["a", "b", "c"]) { id ... on Invoice { workspaces { id title } } } }',
        None,
        Measure(2, 0, 5, 1 + 3 * (1 + 1 + L * 2)),
    ),
    # Aliases add: each aliased root field counts on its own.
    (
        "{ a: invoices(vendor: KANTATA, first: 100) { totalCount } "
        "b: invoices(vendor: KITCHEN, first: 100) { totalCount } }",
        None,
        Measure(1, 2, 4, 2 * (1 + 100)),
    ),
    # A fragment counts at each spread.
    (
        "fragment F on Invoice { id lineItems { id } }\n"
        '{ a: invoice(id: "1") { ...F } b: invoice(id: "2") { ...F } }',
        None,
        Measure(2, 2, 8, 2 * (1 + 1 + 1 + L)),
    ),
    # Fan-out: 2^4 spreads of one field.
    (
        "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(4))
        + " fragment F4 on Query { __typename }",
        None,
        Measure(0, 0, 16, 16),
    ),
    # Variables: the request's value, else the operation's default, else the argument's.
    (
        "query($n: Int = 5) { invoices(vendor: KANTATA, first: $n) { totalCount } }",
        None,
        Measure(1, 0, 2, 1 + 5),
    ),
    (
        "query($n: Int = 5) { invoices(vendor: KANTATA, first: $n) { totalCount } }",
        {"n": 1000},
        Measure(1, 0, 2, 1 + 1000),
    ),
    (
        "query($n: Int) { invoices(vendor: KANTATA, first: $n) { totalCount } }",
        {},
        Measure(1, 0, 2, 1 + 20),
    ),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 7}, Measure(1, 0, 2, 8)),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": "a"}, Measure(1, 0, 2, 2)),
    # A list longer than GATEWAY_MAX_LIST_LENGTH is refused on its own (INVALID_INPUT).
    (
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": ["a"] * 40_000},
        Measure(1, 0, 2, 1 + LIMITS.max_list_length),
    ),
    # Introspection reads the schema in memory: no depth, no multiplying.
    ("{ __schema { types { fields { name } } } }", None, Measure(0, 0, 4, 4)),
    (
        'mutation { updateInvoice(input: {id: "x"}) { userErrors { code } '
        "invoice { lineItems { id } } } }",
        None,
        Measure(3, 0, 6, 1 + (1 + L) + (1 + 1 + L)),
    ),
    (
        '{ invoice(id: "1") { ... on KitchenInvoice { discounts { id } } } }',
        None,
        Measure(2, 0, 3, 1 + 1 + L),
    ),
]


@pytest.mark.parametrize(("document", "variables", "expected"), COSTS)
def test_measures(
    schema: GraphQLSchema,
    document: str,
    variables: dict[str, Any] | None,
    expected: Measure,
) -> None:
    measured = measure(schema, parse(document))
    [operation] = measured.operations
    m = operation.measure
    assert (m.depth, m.aliases, m.fields) == (expected.depth, expected.aliases, expected.fields)
    assert measured.cost(operation, variables) == expected.cost


def test_the_introspection_query_fits_the_default_limits(schema: GraphQLSchema) -> None:
    measured = measure(schema, parse(get_introspection_query(descriptions=True)))
    assert document_errors(measured, LIMITS) == []


@pytest.mark.parametrize(
    ("document", "pairs"),
    [
        ("{ __typename __typename __typename }", 3),
        # invoice 2 times (1 pair), invoice.lineItems 4 (6), invoice.lineItems.id 4 (6).
        (
            '{ invoice(id: "1") { lineItems { id } lineItems { id } } '
            'invoice(id: "1") { lineItems { id } lineItems { id } } }',
            13,
        ),
        # Aliases make distinct paths.
        ('{ a: invoice(id: "1") { id } b: invoice(id: "1") { id } }', 0),
        # In the fragment (id twice: 1) and where it is spread twice (id 4 times: 6).
        ('fragment F on Invoice { id id } { invoice(id: "1") { ...F ...F } }', 1 + 6),
    ],
)
def test_field_pairs(schema: GraphQLSchema, document: str, pairs: int) -> None:
    measured = measure(schema, parse(document))
    assert repeated_fields(measured, LIMITS.max_fields).pairs == pairs


def test_a_fragment_on_a_cycle_counts_nothing(schema: GraphQLSchema) -> None:
    document = "{ __typename ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    [operation] = measure(schema, parse(document)).operations
    assert operation.measure == Measure(0, 0, 1, 1)


@pytest.mark.parametrize(
    ("limits", "document", "limit"),
    [
        (Limits(max_depth=1), '{ invoice(id: "1") { createdBy { id } } }', "GATEWAY_MAX_DEPTH"),
        (Limits(max_aliases=1), "{ a: __typename b: __typename }", "GATEWAY_MAX_ALIASES"),
        (Limits(max_fields=2), "{ __typename a: __typename b: __typename }", "GATEWAY_MAX_FIELDS"),
        (Limits(max_cost=10), '{ invoice(id: "1") { lineItems { id } } }', "GATEWAY_MAX_COST"),
        (
            Limits(max_fragments=1),
            "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename }",
            "GATEWAY_MAX_FRAGMENTS",
        ),
        (
            Limits(max_fields=2),
            "{ __typename } fragment Unused on Query { a b c }",
            "GATEWAY_MAX_FIELDS",
        ),
        (Limits(), "{ " + "__typename " * 101 + "}", "MAX_FIELD_PAIRS"),
    ],
)
def test_each_limit_names_itself(
    schema: GraphQLSchema, limits: Limits, document: str, limit: str
) -> None:
    [error] = document_errors(measure(schema, parse(document)), limits)
    extensions = error.extensions or {}
    assert (extensions["code"], extensions["limit"]) == ("LIMIT_EXCEEDED", limit)
    if limit == "MAX_FIELD_PAIRS":
        assert extensions["maximum"] == MAX_FIELD_PAIRS
    else:
        assert extensions["maximum"] == getattr(limits, limit.removeprefix("GATEWAY_").lower())
    assert extensions["value"] > extensions["maximum"]
