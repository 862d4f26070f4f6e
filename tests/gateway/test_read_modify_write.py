"""Read-modify-write never acts on an unknown: every `*_ids` list it sends or counts must be
in Kantata's answer, and concurrent writers through the gateway lose nothing.

Kantata documents that `time_entry_ids`, `expense_ids` and `billing_milestone_ids`
overwrite the whole set, and that at least one line must remain [doc: seed page]; its
client gem lists `time_adjustment_ids` as a sixth billable list [code]. `*_ids` appear only
for associations the answer includes, and brainstem may leave one out for an account
[code]: the sandbox's `omit_id_lists` quirk does exactly that.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import httpx
import pytest

from gateway.core.domain import (
    BillablesInput,
    Invoice,
    InvoicePatch,
    InvoiceStatus,
    Vendor,
)
from gateway.core.errors import ErrorCode, GatewayError
from gateway.sandbox import create_sandbox_app
from gateway.sandbox.kantata import SANDBOX_TOKEN
from gateway.sandbox.kitchen import SANDBOX_API_KEY, SANDBOX_WORKSPACE
from gateway.settings import Settings
from gateway.vendors.base import VendorConfig
from gateway.vendors.kantata import translate
from gateway.vendors.kantata.details import KantataDetails
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT
from tests.server import serve, serve_gateway

UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id lineItems { id } } userErrors { code message field } } }"""

# Every `*_ids` list Kantata answers for an invoice's lines, from the docs and the gem.
ID_LISTS = [
    "time_entry_ids",
    "expense_ids",
    "fixed_fee_item_ids",
    "additional_item_ids",
    "billing_milestone_ids",
    "time_adjustment_ids",
]

LINE_INCLUDES = (
    "time_entries,expenses,fixed_fee_items,additional_items,billing_milestones,time_adjustments"
)

# Each read-modify-write the gateway offers on Kantata invoice 101 (seed: time entry 9001,
# expense 9101, fixed fee item 9201, additional item 9301, milestone 9401).
WRITES = [
    ("addBillables", {"addBillables": {"timeEntryIds": ["kantata:time_entry:9002"]}}),
    ("removeBillables", {"removeBillables": {"expenseIds": ["kantata:expense:9101"]}}),
    ("billables", {"billables": {"billingMilestoneIds": []}}),
]


def kantata_invoice(gw: Gateway, native: str) -> dict[str, Any]:
    """Invoice `native` as the emulator holds it, with every line list."""
    response = gw.http.get(
        f"/sandbox/kantata/api/v1/invoices/{native}",
        params={"include": LINE_INCLUDES},
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    )
    response.raise_for_status()
    record: dict[str, Any] = response.json()["invoices"][native]
    return record


def puts(gw: Gateway) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in gw.requests("kantata") if r["method"] == "PUT"]


@pytest.mark.parametrize("omitted", ID_LISTS)
@pytest.mark.parametrize(("field", "change"), WRITES, ids=[w[0] for w in WRITES])
def test_a_list_left_out_of_the_answer_is_a_typed_error_and_nothing_is_written(
    gw: Gateway, omitted: str, field: str, change: dict[str, Any]
) -> None:
    before = kantata_invoice(gw, "101")
    gw.settings("kantata", omit_id_lists=[omitted])
    gw.forget_requests()
    payload = gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, **change}})["updateInvoice"]
    assert payload["invoice"] is None
    [error] = payload["userErrors"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["field"] == ["input", field]
    assert omitted in error["message"]
    assert puts(gw) == []
    gw.settings("kantata", omit_id_lists=[])
    assert kantata_invoice(gw, "101") == before  # the vendor's final state: untouched


def test_line_items_left_out_read_as_an_error_never_as_none(gw: Gateway) -> None:
    gw.settings("kantata", omit_id_lists=["expense_ids"])
    body = gw.post(
        "query($id: ID!) { invoice(id: $id) { id lineItems { id } } }", {"id": KANTATA_DRAFT}
    )
    assert body["data"]["invoice"] is None or body["data"]["invoice"]["lineItems"] is None
    [error] = body["errors"]
    assert error["path"][-1] == "lineItems"
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"


def test_the_same_writes_go_through_when_every_list_is_answered(gw: Gateway) -> None:
    for _, change in WRITES:
        gw.reset()
        payload = gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, **change}})["updateInvoice"]
        assert payload["userErrors"] == []


KANTATA = Vendor("kantata", "Kantata")


def _invoice(line_item_ids: tuple[str, ...] | None, unlisted: tuple[str, ...] = ()) -> Invoice:
    return Invoice(
        id="kantata:invoice:1", vendor=KANTATA, vendor_id="1", number="1", title=None,
        status=InvoiceStatus.DRAFT, vendor_status="new", issue_date=None, due_date=None,
        payment_terms_days=30, currency="USD", notes=None, total=None, balance=None,
        created_by=None, recipient=None, workspace_ids=(), line_item_ids=line_item_ids,
        created_at=None, updated_at=None,
        details=KantataDetails(draft=True, purchase_order=None, project_code=None,
                               tax_rate=None, external_reference_ids=(), unlisted=unlisted),
    )  # fmt: skip


def _remove_time_entry(current: Invoice) -> dict[str, Any]:
    patch = {"remove_billables": BillablesInput({"time_entry_ids": ["kantata:time_entry:5"]})}
    return translate.update_body(InvoicePatch("1", patch).values, current)


def test_a_time_adjustment_counts_as_a_remaining_line() -> None:
    # Kantata keeps at least one line [doc]; a time adjustment is one [code: gem].
    current = _invoice(("kantata:time_entry:5", "kantata:time_adjustment:6"))
    assert _remove_time_entry(current) == {"invoice": {"time_entry_ids": []}}


def test_the_last_line_is_kept_without_a_time_adjustment() -> None:
    with pytest.raises(GatewayError) as caught:
        _remove_time_entry(_invoice(("kantata:time_entry:5",)))
    assert caught.value.code is ErrorCode.INVALID_INPUT


def test_unknown_lists_are_never_counted_as_empty() -> None:
    with pytest.raises(GatewayError) as caught:
        _remove_time_entry(_invoice(None, unlisted=("time_adjustment_ids",)))
    assert caught.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "time_adjustment_ids" in caught.value.problems[0].message


def _add_concurrently(base_urls: list[str], additions: list[str]) -> list[dict[str, Any]]:
    """One `addBillables` per addition, all sent at once (one thread each)."""
    results: list[dict[str, Any]] = [{} for _ in additions]
    start = threading.Barrier(len(additions))

    def send(index: int) -> None:
        mutation = {
            "query": UPDATE,
            "variables": {
                "input": {
                    "id": KANTATA_DRAFT,
                    "addBillables": {"timeEntryIds": [additions[index]]},
                }
            },
        }
        url = base_urls[index % len(base_urls)]
        with httpx.Client(base_url=url, timeout=30) as client:
            start.wait()
            results[index] = client.post("/graphql", json=mutation).json()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(additions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


ADDITIONS = ["kantata:time_entry:9002", "kantata:time_entry:9003"]


def test_two_concurrent_add_billables_on_one_invoice_both_land(gw: Gateway) -> None:
    # Each vendor call takes 100 ms, so both reads would see the same list without the lock.
    gw.settings("kantata", latency_ms=100)
    base = str(gw.http.base_url).rstrip("/")
    results = _add_concurrently([base, base], ADDITIONS)
    for result in results:
        assert result["data"]["updateInvoice"]["userErrors"] == [], result
    assert kantata_invoice(gw, "101")["time_entry_ids"] == ["9001", "9002", "9003"]


def test_concurrent_add_billables_through_two_replicas_sharing_redis_both_land(
    redis_url: str,
) -> None:
    with serve(create_sandbox_app({"kantata": {"latency_ms": 100}})) as sandbox:
        settings = Settings(
            sandbox=False,
            vendors={
                "kantata": VendorConfig(f"{sandbox}/kantata/api/v1", SANDBOX_TOKEN),
                "kitchen": VendorConfig(
                    f"{sandbox}/kitchen/{{workspace}}/api",
                    SANDBOX_API_KEY,
                    {"workspace": SANDBOX_WORKSPACE},
                ),
            },
            redis_url=redis_url,
        )
        with serve_gateway(settings) as one, serve_gateway(settings) as two:
            results = _add_concurrently([one, two], ADDITIONS)
        for result in results:
            assert result["data"]["updateInvoice"]["userErrors"] == [], result
        with httpx.Client(base_url=sandbox) as client:
            answer = client.get(
                "/kantata/api/v1/invoices/101",
                params={"include": "time_entries"},
                headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
            ).json()
        assert answer["invoices"]["101"]["time_entry_ids"] == ["9001", "9002", "9003"]


def test_an_expected_updated_at_check_and_its_write_are_one_step(gw: Gateway) -> None:
    # Two writers that read the same updatedAt: the second must see the first's write.
    stamp = gw.data("query($id: ID!) { invoice(id: $id) { updatedAt } }", {"id": KANTATA_DRAFT})[
        "invoice"
    ]["updatedAt"]
    gw.settings("kantata", latency_ms=100)
    base = str(gw.http.base_url).rstrip("/")
    outcomes: list[Any] = [None, None]
    start = threading.Barrier(2)

    def send(index: int) -> None:
        variables = {"input": {"id": KANTATA_DRAFT, "notes": f"writer {index}",
                               "expectedUpdatedAt": stamp}}  # fmt: skip
        with httpx.Client(base_url=base, timeout=30) as client:
            start.wait()
            body = client.post("/graphql", json={"query": UPDATE, "variables": variables})
            outcomes[index] = body.json()["data"]["updateInvoice"]["userErrors"]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(e[0]["code"] if e else "OK" for e in outcomes)
    assert codes == ["CONFLICT", "OK"]


def test_the_lock_is_free_again_after_a_failed_write(gw: Gateway) -> None:
    gw.fault("kantata", method="PUT", status=422, body='{"errors": [{"type": "validation", '
             '"message": "nope", "field": "base"}]}')  # fmt: skip
    first = gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "a"}})["updateInvoice"]
    assert first["userErrors"][0]["code"] == "UPSTREAM_REJECTED"
    started = dt.datetime.now()
    second = gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "b"}})["updateInvoice"]
    assert second["userErrors"] == []
    assert (dt.datetime.now() - started).total_seconds() < 5
