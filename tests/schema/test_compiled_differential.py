"""Compiled operations answer exactly as graphql-core does (tests/schema/differential.py):
the same status, the same bytes (data, errors with their messages, paths, locations and
extensions, key order), and the same vendor calls (so the dataloaders still batch), for
every document the project sends, for hand-picked hard cases with vendor faults, and for
documents hypothesis-graphql generates from the schema."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from tests.gateway import queries as q
from tests.schema.differential import Answer, Pair, pair, project_documents, requests
from tests.schema.test_fuzz import KNOWN_IDS, SCALARS, SDL, with_known_ids

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sides() -> Iterator[Pair]:
    with pair() as both:
        both.reset()
        yield both


def _same(compiled: Answer, generic: Answer, what: str) -> str | None:
    if (compiled.status, compiled.body) != (generic.status, generic.body):
        return (
            f"{what}\n compiled {compiled.status} {compiled.body[:800]!r}\n"
            f" graphql-core {generic.status} {generic.body[:800]!r}"
        )
    if compiled.vendor_calls != generic.vendor_calls:
        return f"{what}\n vendor calls {compiled.vendor_calls} != {generic.vendor_calls}"
    return None


def test_every_document_the_project_sends(sides: Pair) -> None:
    documents = project_documents()
    assert len(documents) > 100  # the sources are still where this looks
    differences = []
    answered_with_data = 0
    for document in documents:
        for operation_name, variables in requests(document):
            compiled, generic = sides.both(document, variables, operation_name)
            difference = _same(compiled, generic, f"{document}\nvariables {variables}")
            if difference:
                differences.append(difference)
            elif compiled.status == 200 and compiled.json().get("data"):
                answered_with_data += 1
    assert not differences, f"{len(differences)} differ; the first:\n" + differences[0]
    assert answered_with_data > 150


INVOICE_AND_NESTED = f"{{ {q.INVOICE_FIELDS} {q.NESTED_FIELDS} }}"
HARD_CASES: list[tuple[str, dict[str, object] | None]] = [
    # Aliases, repeated keys merged, __typename at every level, fragments on the interface
    # and on each type, inline fragments without a type.
    (
        """query Hard($id: ID!) {
          __typename
          a: invoice(id: $id) { __typename id ...Money ... on KantataInvoice { draft } }
          b: invoice(id: $id) { id id number: title ... { vendorId } ...Money }
          node(id: $id) { __typename id ... on Invoice { ...Money createdBy { __typename id } } }
        }
        fragment Money on Invoice { total { amount __typename } balance { currency } }""",
        {"id": q.KANTATA_DRAFT},
    ),
    # @include/@skip with variables and literals, on fields, inline fragments and spreads.
    (
        """query Cond($id: ID!, $yes: Boolean!, $no: Boolean = false) {
          invoice(id: $id) {
            id
            number @include(if: $yes)
            title @skip(if: $yes)
            ... on KitchenInvoice @include(if: $no) { footer }
            ...Nested @skip(if: $no)
            status @include(if: true) @skip(if: false)
          }
        }
        fragment Nested on Invoice {
          lineItems { id kind } workspaces @include(if: $yes) { id }
        }""",
        {"id": q.KITCHEN_DRAFT, "yes": False},
    ),
    (
        """query Cond($id: ID!, $yes: Boolean!) {
          invoice(id: $id) { id number @include(if: $yes) ...F @include(if: $yes) }
        }
        fragment F on Invoice { title }""",
        {"id": q.KANTATA_DRAFT, "yes": True},
    ),
    # The same key under different conditions: graphql-core's way (no plan).
    (
        """query Cond($a: Boolean!) {
          invoice(id: "kantata:invoice:101") { id number @include(if: $a) title number }
        }""",
        {"a": False},
    ),
    # A page with every nested field: one vendor call for the page, however many objects.
    (
        f"""{{ invoices(vendor: KANTATA, first: 5) {{
              edges {{ cursor node {INVOICE_AND_NESTED} }}
              nodes {{ id lineItems {{ id }} }}
              pageInfo {{ hasNextPage endCursor }} totalCount }} }}""",
        None,
    ),
    (
        f"{{ invoices(vendor: KITCHEN, first: 4) {{ nodes {INVOICE_AND_NESTED} }} }}",
        None,
    ),
    # nodes(ids:): list items that fail alone (not found, malformed, another type).
    (
        """query N($ids: [ID!]!) { nodes(ids: $ids) {
              __typename id ... on Invoice { number createdBy { name } }
              ... on User { name email } } }""",
        {
            "ids": [
                q.KANTATA_DRAFT,
                "kantata:invoice:999999",
                "garbage",
                q.KITCHEN_CLIENT,
                q.KITCHEN_PAID,
                "kantata:user:7",
            ]
        },
    ),
    # Mutations: scalar and nested selections, userErrors, dry runs, several root fields.
    (q.UPDATE, {"input": {"id": q.KANTATA_DRAFT, "title": "Hard"}}),
    (q.UPDATE_NESTED, {"input": {"id": q.KITCHEN_DRAFT, "notes": "Hard"}}),
    (q.UPDATE, {"input": {"id": q.KITCHEN_PAID, "title": "Paid already"}}),
    (q.UPDATE, {"input": {"id": "kantata:invoice:999999", "title": "x"}}),
    (q.UPDATE, {"input": {"id": "nope", "title": "x"}}),
    (
        """mutation Two($input: UpdateInvoiceInput!) {
          __typename
          first: updateInvoice(input: $input, dryRun: true) {
            invoice { id } userErrors { code } dryRun { __typename }
          }
          second: updateInvoice(input: $input) {
            invoice { __typename id title updatedAt ... on KantataInvoice { draft } }
            userErrors { code message field retryAfter }
          }
        }""",
        {"input": {"id": q.KANTATA_OPEN, "title": "Twice"}},
    ),
    ("{ vendorCapabilities { vendor updateFields { name limits { maxLength } } } }", None),
    # Request errors never reach an executor; they must still read the same.
    ("query($id: ID!) { invoice(id: $id) { id } }", {"id": 5}),
    ('{ invoice(id: "kantata:invoice:101") { nope } }', None),
    ("{ __schema { queryType { name } } }", None),
]


@pytest.mark.parametrize(("document", "variables"), HARD_CASES)
def test_hard_cases(sides: Pair, document: str, variables: dict[str, object] | None) -> None:
    compiled, generic = sides.both(document, variables)
    assert not _same(compiled, generic, document), _same(compiled, generic, document)


FAULTS = [
    # The vendor down, refusing, rate limiting, answering nonsense. Reads only: a client's
    # health probe (HEAD) comes when it pleases and must not spend a fault on one side.
    {"status": 503, "times": 2},
    {"status": 500, "body": '{"errors": [{"message": "boom"}]}', "times": 1},
    {"status": 429, "headers": {"Retry-After": "7"}, "times": 3},
    {"status": 404, "times": 1},
    # An answer that is not what the vendor documents: the gateway's own error paths.
    {"status": 200, "body": '{"nonsense": true}', "times": 1},
    {"status": 200, "body": "not json", "times": 1},
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f['status']}x{f['times']}")
@pytest.mark.parametrize("vendor", ["kantata", "kitchen"])
def test_vendor_failures(sides: Pair, fault: dict[str, object], vendor: str) -> None:
    invoice = q.KANTATA_DRAFT if vendor == "kantata" else q.KITCHEN_DRAFT
    cases: list[tuple[str, dict[str, object] | None]] = [
        (q.READ, {"id": invoice}),
        (q.UPDATE_NESTED, {"input": {"id": invoice, "title": "Under faults"}}),
        (
            f"{{ invoices(vendor: {vendor.upper()}, first: 3) {{ nodes {INVOICE_AND_NESTED} }} }}",
            None,
        ),
        (
            "query N($ids: [ID!]!) { nodes(ids: $ids) { id ... on Invoice { lineItems { id } } } }",
            {"ids": [invoice, invoice.replace("invoice", "user")]},
        ),
    ]
    for document, variables in cases:
        sides.fault(vendor, method="GET", **fault)
        compiled, generic = sides.both(document, variables)
        difference = _same(compiled, generic, f"{fault} {document} {variables}")
        sides.reset()  # faults not spent by one side must not wait for the next case
        assert not difference, difference


OPERATIONS = st.one_of(
    queries(SDL, custom_scalars=SCALARS),
    mutations(SDL, custom_scalars=SCALARS),
)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(operation=OPERATIONS, pick=st.integers(0, 2 * len(KNOWN_IDS)))
def test_generated_documents(sides: Pair, operation: str, pick: int) -> None:
    operation = with_known_ids(operation, pick)
    compiled, generic = sides.both(operation)
    difference = _same(compiled, generic, operation)
    assert not difference, difference


def _counters(metrics: str) -> list[str]:
    """The counters of /metrics (durations differ by nature; counts must not), less the
    cycle collector's: both gateways share this process, whose collections they count."""
    return sorted(
        line
        for line in metrics.splitlines()
        if line and not line.startswith(("#", "python_gc_")) and "_total" in line.split(" ")[0]
    )


def test_metrics_count_the_same(sides: Pair) -> None:
    for document, variables in HARD_CASES[:3] + HARD_CASES[7:11]:
        sides.both(document, variables)
    compiled, generic = sides.metrics()
    assert _counters(compiled) == _counters(generic)
    assert any("update_invoice" in line or "updateInvoice" in line for line in _counters(compiled))


def _operation_logs(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, dict[str, Any]]]:
    """The operation log lines, with what they carry, less the time taken."""
    lines = []
    for record in caplog.records:
        if record.name == "gateway.operation":
            carried = {
                key: getattr(record, key)
                for key in ("request_id", "operation", "outcome", "error_codes", "upstream")
            }
            for call in carried["upstream"]:
                call.pop("duration_ms", None)
                call.pop("took", None)
            # Calls in flight together are logged as they finish, in no set order.
            carried["upstream"] = sorted(carried["upstream"], key=repr)
            message = re.sub(r"in [0-9.]+ ms", "in _ ms", record.getMessage())
            lines.append((record.levelname, message, carried))
    caplog.clear()
    return lines


def test_operation_logs_read_the_same(sides: Pair, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.operation")
    for number, (document, variables) in enumerate(HARD_CASES[6:12]):
        body = {"query": document, "variables": variables}
        caplog.clear()
        sides.compiled.send(body, f"logs-{number}")
        compiled = _operation_logs(caplog)
        sides.generic.send(body, f"logs-{number}")
        generic = _operation_logs(caplog)
        assert compiled and compiled == generic, document
