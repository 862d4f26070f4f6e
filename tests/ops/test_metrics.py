"""Metrics you can graph, without a server: every label's values bounded by the code, the
schema or the configuration (never by a caller), breakers counted by state, vendor latency
buckets up to the timeout, and no `_created` series."""

from __future__ import annotations

import pytest
from graphql import parse
from prometheus_client.parser import text_string_to_metric_families

from gateway.ops.metrics import Observer, upstream_buckets
from gateway.ops.multiprocess import ENV, SharedMetrics, shared_metrics
from gateway.ops.refusals import Refusal
from gateway.schema import build_schema
from gateway.schema.observe import root_field
from gateway.settings import Limits, Resilience
from gateway.vendors.breaker import Breakers, Outcome, Ticket
from gateway.vendors.registry import default_registry

VENDORS = default_registry().vendors
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(observer: Observer) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(observer.render().decode())
        for sample in family.samples
    }


def labels_of(m: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (sample, labels), value in m.items() if sample == name and value]


def by(m: Samples, name: str, *keys: str) -> dict[tuple[str, ...], float]:
    """The series of `name`: the values of the labels `keys` -> the sample's value."""
    return {
        tuple(dict(labels)[key] for key in keys): value
        for (sample, labels), value in m.items()
        if sample == name
    }


@pytest.mark.parametrize(
    ("document", "name", "label"),
    [
        ('query Read { invoice(id: "x") { id } }', None, "invoice"),
        ('{ a: invoice(id: "x") { id } b: invoice(id: "y") { id } }', None, "invoice"),
        ('{ invoice(id: "x") { id } node(id: "y") { id } }', None, "multiple"),
        ('{ ...F } fragment F on Query { invoices(vendor: KANTATA) { totalCount } }', None,
         "invoices"),
        ('{ ... on Query { ... on Query { nodes(ids: []) { id } } } }', None, "nodes"),
        ("mutation Anything { updateInvoice(input: {}) { invoice { id } } }", None,
         "updateInvoice"),
        ("{ __schema { queryType { name } } }", None, "__schema"),
        ("{ __typename }", None, "__typename"),
        # Names a caller chooses are never a label: not a field the schema lacks, ...
        ("{ secretCustomerName }", None, "none"),
        ('{ secretCustomerName invoice(id: "x") { id } }', None, "invoice"),
        # ... not an operation name that picks no operation, nor a fragment cycle's.
        ("query A { invoices(vendor: KANTATA) { totalCount } } query B { __typename }", "C",
         "none"),
        ("query A { invoices(vendor: KANTATA) { totalCount } } query B { __typename }", "B",
         "__typename"),
        ("{ ...F } fragment F on Query { ...G } fragment G on Query { ...F node(id: 1) { id } }",
         None, "node"),
        ("mutation { invoice }", None, "none"),
    ],
)  # fmt: skip
def test_an_operation_is_labelled_by_the_root_field_it_selects(
    document: str, name: str | None, label: str
) -> None:
    schema = build_schema(vendors=VENDORS)
    assert root_field(schema._schema, parse(document), name) == label


async def test_operation_names_never_become_labels() -> None:
    observer = Observer()
    schema = build_schema(vendors=VENDORS, observer=observer)
    for n in range(300):
        await schema.execute(f"query Caller{n}Chose {{ __typename }}")
    await schema.execute("{ not even parsed")
    m = samples(observer)
    assert labels_of(m, "gateway_operations_total") == [
        {"root_field": "__typename", "type": "query", "outcome": "ok"},
        {"root_field": "none", "type": "unknown", "outcome": "error"},
    ]
    assert "Caller" not in observer.render().decode()


@pytest.mark.parametrize(
    "limits",
    [Limits(max_depth=2), Limits(max_tokens=10)],  # refused when validated; when parsed
    ids=["depth", "tokens"],
)
async def test_a_document_over_its_limits_is_counted_as_a_refusal(limits: Limits) -> None:
    observer = Observer()
    schema = build_schema(limits, vendors=VENDORS, observer=observer)
    result = await schema.execute('{ invoice(id: "x") { lineItems { amount { currency } } } }')
    assert result.errors and result.errors[0].extensions["code"] == "LIMIT_EXCEEDED"
    m = samples(observer)
    assert by(m, "gateway_refusals_total", "reason") == {(r.value,): 0.0 for r in Refusal} | {
        ("limit_exceeded",): 1.0
    }
    assert labels_of(m, "gateway_operations_total")[0]["outcome"] == "error"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breakers_are_counted_by_state_and_whose_host_never_by_the_host() -> None:
    resilience = Resilience(breaker_failures=2, breaker_cooldown=10)
    observer, clock = Observer(), Clock()
    breakers = Breakers(resilience, clock=clock, capacity=4, watch=observer)
    configured = "https://acme.kitchen.co/api"
    acme = breakers.for_host("kitchen", configured, configured)
    acme.record(Ticket.CALL, Outcome.FAILURE)  # one failure to remember: kept longest
    for n in range(10):  # workspaces callers named: 2 kept, the rest forgotten
        breakers.for_host("kitchen", f"https://w{n}.kitchen.co/api", configured)
    breakers.for_host("kantata", "https://api.mavenlink.com/api/v1", None)

    def counts() -> dict[tuple[str, ...], float]:
        series = by(samples(observer), "gateway_circuit_breakers", "vendor", "host", "state")
        return {labels: value for labels, value in series.items() if value}

    assert counts() == {
        ("kitchen", "configured", "closed"): 1,
        ("kitchen", "caller", "closed"): 2,
        ("kantata", "caller", "closed"): 1,
    }
    acme.record(Ticket.CALL, Outcome.FAILURE)
    assert counts()[("kitchen", "configured", "open")] == 1
    assert ("kitchen", "configured", "closed") not in counts()
    clock.now += 10
    probe = acme.admit()
    assert probe is Ticket.PROBE
    assert counts()[("kitchen", "configured", "half-open")] == 1
    acme.record(probe, Outcome.SUCCESS)
    assert counts()[("kitchen", "configured", "closed")] == 1
    assert sum(counts().values()) == 4 == len(list(breakers))
    assert "w9" not in observer.render().decode()


def test_vendor_latency_buckets_reach_the_upstream_timeout() -> None:
    assert upstream_buckets(30) == (
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.4, 0.6, 1, 1.5, 2.5, 4, 6, 10, 15, 20, 30,
    )  # fmt: skip
    assert upstream_buckets(2.5)[-3:] == (1, 1.5, 2.5)
    assert upstream_buckets(0.3)[-1] == 0.3
    assert upstream_buckets(600)[-1] == 600


def test_no_created_series() -> None:
    observer = Observer()
    observer.replayed()
    observer.refused(Refusal.CSRF)
    observer.batch("invoices", "kantata", 3)
    with observer.operation():
        pass
    text = observer.render().decode()
    assert "gateway_refusals_total" in text and "gateway_dataloader_batch_size_sum" in text
    assert not [line for line in text.splitlines() if "_created" in line]


def test_the_workers_directory_is_named_for_them_then_removed() -> None:
    environ = {ENV: "what-was-there"}
    with shared_metrics(environ) as shared:
        assert shared.directory.is_dir()
        assert environ == {ENV: str(shared.directory)}
        assert SharedMetrics.of_worker(environ) == shared
    assert environ == {ENV: "what-was-there"}
    assert not shared.directory.exists()
    assert SharedMetrics.of_worker({}) is None


def test_a_worker_whose_metrics_would_not_be_shared_does_not_start() -> None:
    # This process imported prometheus_client before any directory was named: its values
    # stay in the process, so an app here must not pretend to show every worker's.
    with shared_metrics({}) as shared, pytest.raises(RuntimeError, match=ENV):
        Observer(shared=shared)
