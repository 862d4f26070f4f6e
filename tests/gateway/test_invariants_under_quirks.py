"""The gateway's invariants under every sandbox quirk a vendor's documentation allows.

For each quirk (one row of QUIRKS), the same operations run against the default sandbox
and against the quirky one, and:

- nothing wrong is presented as right: every value the quirky run answers equals the
  default run's, or is null with an error at (or above) that path;
- nothing is lost: a write either lands whole (the vendor's final state is the expected
  one) or answers a typed error and leaves the vendor's state as it was;
- a cursor walk visits each invoice once, or stops with a typed error;
- every operation answers within a generous bound (a guard, not a benchmark).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.sandbox.kantata import SANDBOX_TOKEN
from gateway.sandbox.kitchen import SANDBOX_API_KEY
from tests.conftest import Gateway
from tests.gateway.queries import (
    INVOICE_FIELDS,
    KANTATA_DRAFT,
    KANTATA_JPY,
    KITCHEN_DRAFT,
    KITCHEN_JPY,
    NESTED_FIELDS,
)

# (vendor, settings): each behaviour the vendor's docs leave open, as the sandbox plays it.
QUIRKS: list[tuple[str, dict[str, Any]]] = [
    ("kantata", {"omit_id_lists": ["expense_ids"]}),
    ("kantata", {"omit_id_lists": ["time_adjustment_ids"]}),
    ("kantata", {"line_currency": False}),
    ("kantata", {"same_second_updated_at": True}),
    ("kitchen", {"line_currency": False}),
    ("kitchen", {"same_second_updated_at": True}),
    ("kitchen", {"honour_expand": False}),
    ("kantata", {"per_page_max": 5}),
    ("kantata", {"ignore_per_page": True}),
    ("kantata", {"ignore_updated_after": True}),
    ("kitchen", {"per_page_max": 5}),
    ("kitchen", {"ignore_per_page": True}),
    ("kitchen", {"ignore_unknown_list_params": True}),
    ("kantata", {"gzip_answers": True}),
    ("kitchen", {"gzip_answers": True, "pad_answer_bytes": 1000}),
    ("kantata", {"pad_answer_bytes": 5_000_000}),  # past the 4 MB default cap
    ("kitchen", {"echo_credentials_in_errors": True}),
]
CODES = {"UPSTREAM_UNAVAILABLE", "UPSTREAM_REJECTED", "UPSTREAM_TIMEOUT", "RATE_LIMITED"}
BOUND_SECONDS = 20.0  # every operation here takes well under 0.5 s on the sandbox

READ = f"""query($ids: [ID!]!) {{ nodes(ids: $ids) {{ id ... on Invoice {{
  {INVOICE_FIELDS} {NESTED_FIELDS} }} }} }}"""
WALK = """query($vendor: Vendor!, $after: String) {
  invoices(vendor: $vendor, first: 7, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { id } } }"""
FILTERED = """query {
  paid: invoices(vendor: KITCHEN, first: 50, filter: {status: PAID}) { ...page }
  numbered: invoices(vendor: KITCHEN, first: 5, filter: {number: "FP-00017"}) { ...page }
  recent: invoices(vendor: KANTATA, first: 50, filter: {updatedSince: "2025-01-01T00:00:00Z"}) {
    ...page }
  created: invoices(vendor: KANTATA, first: 50, filter: {createdAfter: "2025-01-01T00:00:00Z"}) {
    ...page }
}
fragment page on InvoiceConnection { totalCount pageInfo { hasNextPage } nodes { id } }"""
UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id } userErrors { code message field } } }"""
INVOICES = [KANTATA_DRAFT, KANTATA_JPY, KITCHEN_DRAFT, KITCHEN_JPY]


def ids(quirks: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [f"{vendor}-{'-'.join(f'{k}={v}' for k, v in s.items())}" for vendor, s in quirks]


def timed(gw: Gateway, query: str, variables: dict[str, Any]) -> Any:
    started = time.monotonic()
    body = gw.post(query, variables)
    assert time.monotonic() - started < BOUND_SECONDS
    return body


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every value by its path; objects and lists appear as markers, then their contents."""
    if isinstance(value, dict):
        yield path, "<object>"
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        yield path, "<list>"
        yield (*path, "#length"), len(value)
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def explained(path: tuple[Any, ...], errors: list[dict[str, Any]]) -> bool:
    """Whether some error sits at `path`, above it or below it."""
    for error in errors:
        at = tuple(error.get("path") or ())
        if path[: len(at)] == at or at[: len(path)] == path:
            assert error["extensions"]["code"] in CODES, error
            return True
    return False


def assert_nothing_wrong(expected: Any, body: dict[str, Any]) -> None:
    """Every leaf of `body`'s data equals `expected`'s, or is null (or missing) with an
    error explaining it."""
    errors = body.get("errors") or []
    for error in errors:
        assert error["extensions"]["code"] in CODES, error
    got = dict(leaves(body.get("data")))
    for path, value in leaves(expected):
        if got.get(path, "<missing>") == value:
            continue
        # A shorter list, a null or a missing branch: only with an error saying why.
        parent = path[:-1] if path[-1] == "#length" else path
        trail = [parent[:i] for i in range(1, len(parent) + 1)]
        nulled = [p for p in trail if got.get(p, "<missing>") in (None, "<missing>")]
        assert nulled and explained(nulled[0], errors), (path, value, got.get(path), errors)


def walk(gw: Gateway, vendor: str) -> tuple[list[str], list[dict[str, Any]]]:
    seen: list[str] = []
    after = None
    for _ in range(200):
        body = timed(gw, WALK, {"vendor": vendor, "after": after})
        if body.get("errors"):
            return seen, body["errors"]
        page = body["data"]["invoices"]
        assert len(page["nodes"]) <= 7
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen, []
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the walk did not end")


@pytest.fixture(scope="module")
def baseline(gateway_url: str) -> dict[str, Any]:
    """The default sandbox's answers, once for the module."""
    import httpx

    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        gw = Gateway(client)
        gw.reset()
        read = gw.data(READ, {"ids": INVOICES})
        filtered = gw.data(FILTERED, {})
        walks = {vendor: walk(gw, vendor) for vendor in ("KANTATA", "KITCHEN")}
    for seen, errors in walks.values():
        assert errors == [] and len(seen) == len(set(seen))
    assert all(page["nodes"] for page in filtered.values())  # each filter finds some
    return {
        "read": read,
        "filtered": filtered,
        "walks": {v: seen for v, (seen, _) in walks.items()},
    }


@pytest.mark.parametrize(("vendor", "quirk"), QUIRKS, ids=ids(QUIRKS))
def test_reads_are_right_or_say_why(
    gw: Gateway, baseline: dict[str, Any], vendor: str, quirk: dict[str, Any]
) -> None:
    gw.settings(vendor, **quirk)
    assert_nothing_wrong(baseline["read"], timed(gw, READ, {"ids": INVOICES}))


@pytest.mark.parametrize(("vendor", "quirk"), QUIRKS, ids=ids(QUIRKS))
def test_filtered_lists_are_right_or_say_why(
    gw: Gateway, baseline: dict[str, Any], vendor: str, quirk: dict[str, Any]
) -> None:
    gw.settings(vendor, **quirk)
    body = timed(gw, FILTERED, {})
    expected = {"data": {}}
    for name, page in baseline["filtered"].items():
        got = (body.get("data") or {}).get(name) or {}
        if got.get("pageInfo", {}).get("hasNextPage") and len(got["nodes"]) < len(page["nodes"]):
            # A shorter page that says more follows is a page (Relay allows fewer than
            # `first`): it must still be the same invoices, in order, as far as it goes.
            page = {
                **page,
                "pageInfo": {"hasNextPage": True},
                "nodes": page["nodes"][: len(got["nodes"])],
            }
        expected["data"][name] = page
    assert_nothing_wrong(expected["data"], body)


@pytest.mark.parametrize(("vendor", "quirk"), QUIRKS, ids=ids(QUIRKS))
def test_a_cursor_walk_visits_each_invoice_once_or_says_why(
    gw: Gateway, baseline: dict[str, Any], vendor: str, quirk: dict[str, Any]
) -> None:
    gw.settings(vendor, **quirk)
    for name in ("KANTATA", "KITCHEN"):
        seen, errors = walk(gw, name)
        if errors:
            assert all(e["extensions"]["code"] in CODES for e in errors), errors
            assert seen == baseline["walks"][name][: len(seen)]
        else:
            assert seen == baseline["walks"][name]


def kantata_lists(gw: Gateway) -> dict[str, Any]:
    answer = gw.http.get(
        "/sandbox/kantata/api/v1/invoices/101",
        params={"include": "time_entries,expenses,billing_milestones,time_adjustments"},
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    ).json()["invoices"]["101"]
    keys = ("time_entry_ids", "expense_ids", "billing_milestone_ids", "time_adjustment_ids")
    return {key: answer.get(key) for key in keys}


def kitchen_items(gw: Gateway) -> list[tuple[str, str, str]]:
    native = KITCHEN_DRAFT.rsplit(":", 1)[1]
    answer = gw.http.get(
        f"/sandbox/kitchen/demo/api/invoices/{native}",
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "Accept": "application/json"},
    ).json()
    return [(i["title"], i["quantity"], str(i["amount"])) for i in answer["items"]]


@pytest.mark.parametrize(("vendor", "quirk"), QUIRKS, ids=ids(QUIRKS))
def test_writes_land_whole_or_leave_the_vendor_as_it_was(
    gw: Gateway, vendor: str, quirk: dict[str, Any]
) -> None:
    # Read the vendor's state with the default sandbox (a quirk may hide some of it).
    before = kantata_lists(gw)
    gw.settings(vendor, **quirk)
    body = timed(
        gw,
        UPDATE,
        {
            "input": {
                "id": KANTATA_DRAFT,
                "addBillables": {"timeEntryIds": ["kantata:time_entry:9002"]},
            }
        },
    )
    errors = body["data"]["updateInvoice"]["userErrors"]
    gw.reset_settings(vendor)
    after = kantata_lists(gw)
    if errors:
        assert {e["code"] for e in errors} <= CODES, errors
        assert after == before
    else:
        assert after == {**before, "time_entry_ids": [*before["time_entry_ids"], "9002"]}

    gw.settings(vendor, **quirk)
    items = [{"title": "Design review", "quantity": "2", "unitPrice": "150.00"}]
    body = timed(gw, UPDATE, {"input": {"id": KITCHEN_DRAFT, "lineItems": items}})
    errors = body["data"]["updateInvoice"]["userErrors"]
    gw.reset_settings(vendor)
    if errors:
        assert {e["code"] for e in errors} <= CODES, errors
    else:
        assert kitchen_items(gw) == [("Design review", "2.00", "150")]


@pytest.mark.parametrize(("vendor", "quirk"), QUIRKS, ids=ids(QUIRKS))
def test_two_concurrent_add_billables_both_land_or_say_why(
    gw: Gateway, vendor: str, quirk: dict[str, Any]
) -> None:
    import threading

    import httpx

    before = kantata_lists(gw)
    gw.settings(vendor, **quirk)
    gw.settings("kantata", latency_ms=50)  # both reads would overlap without the lock
    base = str(gw.http.base_url).rstrip("/")
    additions = ["kantata:time_entry:9002", "kantata:time_entry:9003"]
    outcomes: list[list[dict[str, Any]]] = [[], []]
    start = threading.Barrier(2)

    def send(index: int) -> None:
        change = {"id": KANTATA_DRAFT, "addBillables": {"timeEntryIds": [additions[index]]}}
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            answer = client.post("/graphql", json={"query": UPDATE, "variables": {"input": change}})
            outcomes[index] = answer.json()["data"]["updateInvoice"]["userErrors"]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    gw.reset_settings("kantata")
    gw.reset_settings(vendor)
    landed = [
        native.rsplit(":", 1)[1]
        for native, errors in zip(additions, outcomes, strict=True)
        if not errors
    ]
    for errors in outcomes:
        assert {e["code"] for e in errors} <= CODES, errors
    after = kantata_lists(gw)
    assert after == {**before, "time_entry_ids": [*before["time_entry_ids"], *landed]}
