"""Lists are built from what the vendor answered, never from what was asked: page sizes it
clamps or ignores, filters it ignores, metadata that contradicts its rows, pages that move
while a caller walks them. Real HTTP to the sandbox, its quirks switched per test.

Expected values come from the sandbox's seed (Kantata 63 invoices, Kitchen 32 of which 6
archived and 16 paid) and the vendors' docs (brainstem serves 20 a page by default, Laravel
15), never from the gateway's tables."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.conftest import Gateway

KANTATA_INVOICES, KITCHEN_INVOICES, KITCHEN_ARCHIVED = 63, 32, 6
SEEDED = {"KANTATA": KANTATA_INVOICES, "KITCHEN": KITCHEN_INVOICES}
MAX_CALLS_PER_PAGE = 3  # the planned vendor page, and at most two more at the served size

PAGE = """query($vendor: Vendor!, $first: Int!, $after: String, $filter: InvoiceFilter) {
  invoices(vendor: $vendor, first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id number status } }
  }
}"""

KITCHEN_HEADERS = {
    "Authorization": "Bearer sandbox-kitchen-key",
    "Accept": "application/json",
    "X-Requested-With": "XMLHttpRequest",
}
KANTATA_HEADERS = {"Authorization": "Bearer sandbox-kantata-token"}


def page(gw: Gateway, vendor: str, first: int, **variables: Any) -> Any:
    return gw.data(PAGE, {"vendor": vendor, "first": first, **variables})["invoices"]


def walk(gw: Gateway, vendor: str, first: int, **variables: Any) -> list[str]:
    """Every invoice ID, following endCursor; checks every page's bounds and cost."""
    seen: list[str] = []
    after = None
    for _ in range(200):
        gw.forget_requests()
        result = page(gw, vendor, first, after=after, **variables)
        edges = result["edges"]
        assert len(edges) <= first
        assert 1 <= len(gw.requests(vendor.lower())) <= MAX_CALLS_PER_PAGE
        seen += [edge["node"]["id"] for edge in edges]
        if not result["pageInfo"]["hasNextPage"]:
            return seen
        assert edges, "a page with more to come must move forward"
        after = result["pageInfo"]["endCursor"]
    raise AssertionError("the walk did not end")


@pytest.fixture(scope="module")
def baseline(gateway_url: str) -> dict[str, list[str]]:
    """One walk per vendor under the default sandbox: every seeded invoice, once each."""
    import httpx

    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        gw = Gateway(client)
        gw.reset()
        found = {vendor: walk(gw, vendor, 20) for vendor in SEEDED}
    for vendor, ids in found.items():
        assert len(ids) == len(set(ids)) == SEEDED[vendor]
    return found


QUIRKS: list[dict[str, Any]] = [
    {"per_page_max": 10},  # clamped below what is asked for
    {"per_page_max": 3},
    {"ignore_per_page": True},  # brainstem's 20 or Laravel's 15, whatever is asked
]


@pytest.mark.parametrize("first", [7, 20, 50])
@pytest.mark.parametrize("quirk", QUIRKS, ids=lambda q: ",".join(f"{k}={v}" for k, v in q.items()))
@pytest.mark.parametrize("vendor", ["KANTATA", "KITCHEN"])
def test_a_walk_visits_every_invoice_once_whatever_page_size_the_vendor_serves(
    gw: Gateway, baseline: dict[str, list[str]], vendor: str, quirk: dict[str, Any], first: int
) -> None:
    gw.settings(vendor.lower(), **quirk)
    assert walk(gw, vendor, first) == baseline[vendor]


@pytest.mark.parametrize("vendor", ["KANTATA", "KITCHEN"])
def test_pages_served_as_asked_cost_one_call_each(gw: Gateway, vendor: str) -> None:
    gw.forget_requests()
    result = page(gw, vendor, 7)
    assert len(result["edges"]) == 7 and result["totalCount"] == SEEDED[vendor]
    assert len(gw.requests(vendor.lower())) == 1


def test_a_page_the_vendor_serves_in_small_pieces_comes_back_shorter(gw: Gateway) -> None:
    # Kantata serving its default 20 a page: 100 asked, three pages of 20 within the bound.
    gw.settings("kantata", ignore_per_page=True)
    first = page(gw, "KANTATA", 100)
    assert len(first["edges"]) == 60 and first["pageInfo"]["hasNextPage"] is True
    assert first["totalCount"] == KANTATA_INVOICES
    calls = [parse_qs(c["query"]) for c in gw.requests("kantata")]
    assert [(c["page"], c["per_page"]) for c in calls] == [
        (["1"], ["100"]),
        (["2"], ["20"]),
        (["3"], ["20"]),
    ]
    rest = page(gw, "KANTATA", 100, after=first["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == KANTATA_INVOICES - 60
    assert rest["pageInfo"]["hasNextPage"] is False


def test_kantata_is_asked_for_newest_invoice_date_first(gw: Gateway) -> None:
    page(gw, "KANTATA", 5)
    assert parse_qs(gw.requests("kantata")[0]["query"])["order"] == ["created_at:desc"]


# --- filters the vendor ignores -------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "quirk", "name", "value"),
    [
        ("KITCHEN", {"ignore_unknown_list_params": True}, "status", "PAID"),
        ("KITCHEN", {"ignore_unknown_list_params": True}, "number", "FP-00017"),
        ("KANTATA", {"ignore_updated_after": True}, "updatedSince", "2030-01-01T00:00:00Z"),
    ],
)
def test_an_ignored_filter_is_a_typed_error_and_no_rows(
    gw: Gateway, vendor: str, quirk: dict[str, Any], name: str, value: Any
) -> None:
    gw.settings(vendor.lower(), **quirk)
    body = gw.post(PAGE, {"vendor": vendor, "first": 20, "filter": {name: value}})
    assert body["data"] == {"invoices": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_REJECTED", "field": ["filter", name]}
    assert f"ignored the {name} filter" in error["message"]


@pytest.mark.parametrize(
    ("vendor", "name", "value"),
    [
        ("KITCHEN", "status", "PAID"),
        ("KITCHEN", "number", "FP-00017"),
        ("KANTATA", "updatedSince", "2000-01-01T00:00:00Z"),
    ],
)
def test_an_undocumented_filter_leaves_the_count_unknown(
    gw: Gateway, vendor: str, name: str, value: Any
) -> None:
    result = page(gw, vendor, 100, filter={name: value})
    assert result["edges"] and result["totalCount"] is None


def test_a_documented_filter_keeps_its_count(gw: Gateway) -> None:
    archived = page(gw, "KITCHEN", 100, filter={"archived": True})
    assert archived["totalCount"] == len(archived["edges"]) == KITCHEN_ARCHIVED
    created = page(gw, "KANTATA", 100, filter={"createdAfter": "2000-01-01T00:00:00Z"})
    assert created["totalCount"] == KANTATA_INVOICES


def test_a_row_outside_a_documented_filter_is_a_typed_error(gw: Gateway) -> None:
    # Kantata answering every invoice to `created_after`: the rows say it was ignored.
    unfiltered = gw.http.get(
        "/sandbox/kantata/api/v1/invoices", params={"per_page": 20}, headers=KANTATA_HEADERS
    ).json()
    gw.fault("kantata", path="^/api/v1/invoices$", status=200, body=json.dumps(unfiltered))
    body = gw.post(
        PAGE,
        {"vendor": "KANTATA", "first": 20, "filter": {"createdAfter": "2025-01-01T00:00:00Z"}},
    )
    assert body["data"] == {"invoices": None}
    assert body["errors"][0]["extensions"] == {
        "code": "UPSTREAM_REJECTED",
        "field": ["filter", "createdAfter"],
    }


# --- answers that contradict themselves ---------------------------------------------------


def _kitchen_page(gw: Gateway, **params: Any) -> Any:
    return gw.http.get(
        "/sandbox/kitchen/demo/api/invoices",
        params={"state": "all", **params},
        headers=KITCHEN_HEADERS,
    ).json()


def _serve(gw: Gateway, vendor: str, body: Any) -> None:
    path = "^/api/v1/invoices$" if vendor == "kantata" else "^/demo/api/invoices$"
    gw.fault(vendor, path=path, status=200, body=json.dumps(body), times=None)


def _no_meta(body: Any) -> Any:
    return {key: value for key, value in body.items() if key != "meta"}


def _meta(**changes: Any) -> Any:
    def change(body: Any) -> Any:
        return {**body, "meta": {**body["meta"], **changes}}

    return change


@pytest.mark.parametrize(
    ("params", "change", "message"),
    [
        ({"per_page": 20}, _no_meta, "without its page metadata"),
        ({"per_page": 20}, _meta(per_page=5, last_page=7, to=5), "20 invoices"),  # meta lies
        ({"per_page": 20}, _meta(per_page=25, last_page=2), "should hold 25"),  # short page
    ],
)
def test_kitchen_metadata_that_contradicts_the_rows_is_a_typed_error(
    gw: Gateway, params: dict[str, Any], change: Any, message: str
) -> None:
    _serve(gw, "kitchen", change(_kitchen_page(gw, **params)))
    body = gw.post(PAGE, {"vendor": "KITCHEN", "first": 20})
    assert body["data"] == {"invoices": None}
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert message in body["errors"][0]["message"]


def test_kitchen_answering_the_whole_list_at_once_is_cut_to_first(
    gw: Gateway, baseline: dict[str, list[str]]
) -> None:
    whole = _meta(per_page=15, last_page=3, to=15)(_kitchen_page(gw, per_page=100))
    assert len(whole["data"]) == KITCHEN_INVOICES  # more rows than its own page size
    _serve(gw, "kitchen", whole)
    result = page(gw, "KITCHEN", 5)
    assert [e["node"]["id"] for e in result["edges"]] == baseline["KITCHEN"][:5]
    assert result["pageInfo"]["hasNextPage"] is True


def test_kitchen_serving_another_page_than_asked_is_a_typed_error(gw: Gateway) -> None:
    _serve(gw, "kitchen", _kitchen_page(gw, per_page=10))  # always page 1
    after = base64.urlsafe_b64encode(b"kitchen:19").decode().rstrip("=")  # from position 20
    body = gw.post(PAGE, {"vendor": "KITCHEN", "first": 10, "after": after})
    assert body["data"] == {"invoices": None}
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "served page 1 when asked for page 3" in body["errors"][0]["message"]


def test_kantata_ignoring_the_order_is_a_typed_error(gw: Gateway) -> None:
    envelope = gw.http.get(
        "/sandbox/kantata/api/v1/invoices", params={"per_page": 5}, headers=KANTATA_HEADERS
    ).json()
    envelope["results"].reverse()  # oldest invoice date first
    _serve(gw, "kantata", envelope)
    body = gw.post(PAGE, {"vendor": "KANTATA", "first": 5})
    assert body["data"] == {"invoices": None}
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "ignored order=created_at:desc" in body["errors"][0]["message"]


# --- the list changing between two pages --------------------------------------------------


def _create_kitchen_invoice(gw: Gateway) -> str:
    response = gw.http.post(
        "/sandbox/kitchen/demo/api/invoices", json={"memo": "new"}, headers=KITCHEN_HEADERS
    )
    assert response.status_code == 201, response.text
    return f"kitchen:invoice:{response.json()['id']}"


def test_invoices_created_between_two_pages_neither_repeat_nor_skip_one(
    gw: Gateway, baseline: dict[str, list[str]]
) -> None:
    first = page(gw, "KITCHEN", 7)
    seen = [edge["node"]["id"] for edge in first["edges"]]
    new = [_create_kitchen_invoice(gw), _create_kitchen_invoice(gw)]  # newest first: in front
    after = first["pageInfo"]["endCursor"]
    second = page(gw, "KITCHEN", 7, after=after)
    assert len(second["edges"]) == 7 - len(new)  # resumed after the cursor's invoice
    seen += [edge["node"]["id"] for edge in second["edges"]]
    while second["pageInfo"]["hasNextPage"]:
        second = page(gw, "KITCHEN", 7, after=second["pageInfo"]["endCursor"])
        seen += [edge["node"]["id"] for edge in second["edges"]]
    assert seen == baseline["KITCHEN"]
    assert second["totalCount"] == KITCHEN_INVOICES + len(new)


def test_an_invoice_removed_in_front_of_the_cursor_is_a_conflict(gw: Gateway) -> None:
    created = _create_kitchen_invoice(gw)
    first = page(gw, "KITCHEN", 5)
    assert first["edges"][0]["node"]["id"] == created
    native = created.rsplit(":", 1)[1]
    gw.http.delete(
        f"/sandbox/kitchen/demo/api/invoices/{native}", headers=KITCHEN_HEADERS
    ).raise_for_status()
    body = gw.post(PAGE, {"vendor": "KITCHEN", "first": 5, "after": first["pageInfo"]["endCursor"]})
    assert body["data"] == {"invoices": None}
    assert body["errors"][0]["extensions"] == {"code": "CONFLICT", "field": ["after"]}


def test_a_full_page_after_a_cursor_spans_two_vendor_pages(
    gw: Gateway, baseline: dict[str, list[str]]
) -> None:
    # 100 after the first invoice: the cursor's own row and 100 more, past Kitchen's 100.
    first = page(gw, "KITCHEN", 1)
    gw.forget_requests()
    rest = page(gw, "KITCHEN", 100, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == baseline["KITCHEN"][1:]
    assert len(gw.requests("kitchen")) == 2


def test_capabilities_say_how_each_filter_is_known(gw: Gateway) -> None:
    # VENDORS.md: Kantata documents created_after/created_before, its own connector sends
    # updated_after; Kitchen documents only `state`.
    query = "{ vendorCapabilities { vendor filters { name vendorFields source } } }"
    found = {
        (caps["vendor"], f["name"]): (f["vendorFields"], f["source"])
        for caps in gw.data(query)["vendorCapabilities"]
        for f in caps["filters"]
    }
    assert found == {
        ("KANTATA", "createdAfter"): (["created_after"], "DOC"),
        ("KANTATA", "createdBefore"): (["created_before"], "DOC"),
        ("KANTATA", "updatedSince"): (["updated_after"], "CODE"),
        ("KITCHEN", "status"): (["status"], "GUESS"),
        ("KITCHEN", "number"): (["number"], "GUESS"),
        ("KITCHEN", "archived"): (["state"], "DOC"),
    }
