"""Many invoices at once: the upstream-call budget stays flat however many rows and nested
fields a query selects."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.conftest import Gateway

NESTED = """createdBy { id name } recipient { id name } workspaces { id title }
  lineItems { id kind amount { amount currency } }"""

PAGE = """query($vendor: Vendor!, $first: Int!, $after: String, $filter: InvoiceFilter) {
  invoices(vendor: $vendor, first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id number status %s } }
  }
}"""


def page(gw: Gateway, vendor: str, first: int, nested: str = "", **variables: Any) -> Any:
    return gw.data(PAGE % nested, {"vendor": vendor, "first": first, **variables})["invoices"]


def vendor_order(gw: Gateway, vendor: str) -> list[str]:
    """Every invoice ID in the order the gateway lists them (Kantata: newest created first,
    which it asks for), asked of the emulator directly."""
    ids: list[str] = []
    number = 1
    while True:
        if vendor == "KANTATA":
            response = gw.http.get(
                "/sandbox/kantata/api/v1/invoices",
                params={"page": number, "per_page": 200, "order": "created_at:desc"},
                headers={"Authorization": "Bearer sandbox-kantata-token"},
            ).json()
            ids += [f"kantata:invoice:{hit['id']}" for hit in response["results"]]
            done = number >= response["meta"]["page_count"]
        else:
            response = gw.http.get(
                "/sandbox/kitchen/demo/api/invoices",
                params={"page": number, "per_page": 100, "state": "all"},
                headers={
                    "Authorization": "Bearer sandbox-kitchen-key",
                    "Accept": "application/json",
                },
            ).json()
            ids += [f"kitchen:invoice:{record['id']}" for record in response["data"]]
            done = number >= response["meta"]["last_page"]
        if done:
            gw.forget_requests()
            return ids
        number += 1


def test_a_page_of_50_kantata_invoices_with_everything_nested_is_one_call(gw: Gateway) -> None:
    result = page(gw, "KANTATA", 50, NESTED)
    assert len(result["edges"]) == 50
    nodes = [edge["node"] for edge in result["edges"]]
    assert all(node["createdBy"]["name"] for node in nodes)
    assert all(node["workspaces"] and node["lineItems"] for node in nodes)
    calls = gw.requests("kantata")
    assert len(calls) == 1
    query = parse_qs(calls[0]["query"])
    assert (query["page"], query["per_page"]) == (["1"], ["50"])


def test_three_aliased_kantata_invoices_are_one_call(gw: Gateway) -> None:
    query = """{
      a: invoice(id: "kantata:invoice:101") { number createdBy { name } }
      b: invoice(id: "kantata:invoice:102") { number lineItems { id } }
      c: invoice(id: "kantata:invoice:103") { number }
    }"""
    data = gw.data(query)
    assert [data[k]["number"] for k in "abc"] == ["17", *[data[k]["number"] for k in "bc"]]
    calls = gw.requests("kantata")
    assert len(calls) == 1
    only = parse_qs(calls[0]["query"])["only"][0].split(",")
    assert sorted(only) == ["101", "102", "103"]


def test_a_page_of_20_kitchen_invoices_with_users_is_one_call(gw: Gateway) -> None:
    result = page(gw, "KITCHEN", 20, "createdBy { id name } recipient { id name }")
    assert len(result["edges"]) == 20
    assert all(edge["node"]["createdBy"]["name"] for edge in result["edges"])
    assert len(gw.requests("kitchen")) == 1


def test_without_expansion_kitchen_costs_one_call_per_distinct_user(gw: Gateway) -> None:
    gw.settings("kitchen", honour_expand=False)
    result = page(gw, "KITCHEN", 20, "createdBy { id name } recipient { id name }")
    nodes = [edge["node"] for edge in result["edges"]]
    creators = {node["createdBy"]["id"] for node in nodes}
    clients = {node["recipient"]["id"] for node in nodes if node["recipient"]}
    calls = gw.requests("kitchen")
    assert len(calls) == 1 + len(creators) + len(clients)
    assert len(creators) + len(clients) < len(nodes)  # the rows share users


@pytest.mark.parametrize("vendor", ["KANTATA", "KITCHEN"])
@pytest.mark.parametrize("first", [7, 20])
def test_walking_the_pages_visits_every_invoice_once_in_order(
    gw: Gateway, vendor: str, first: int
) -> None:
    expected = vendor_order(gw, vendor)
    seen: list[str] = []
    after = None
    while True:
        result = page(gw, vendor, first, after=after)
        assert result["totalCount"] == len(expected)
        seen += [edge["node"]["id"] for edge in result["edges"]]
        assert result["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert seen == expected


def test_a_window_across_two_vendor_pages_is_stitched(gw: Gateway) -> None:
    expected = vendor_order(gw, "KITCHEN")
    first = page(gw, "KITCHEN", 3)
    rest = page(gw, "KITCHEN", 5, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == expected[:8]


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"first": 101}, "INVALID_INPUT", ["first"]),
        ({"first": -1}, "INVALID_INPUT", ["first"]),
        ({"first": 5, "after": "not-a-cursor"}, "INVALID_INPUT", ["after"]),
        ({"first": 5, "after": "a2l0Y2hlbjo0"}, "INVALID_INPUT", ["after"]),  # kitchen:4
        # kantata:3:101:extra, and kantata:3:<a 5,000-digit ID>: not an invoice ID there
        ({"first": 5, "after": "a2FudGF0YTozOjEwMTpleHRyYQ"}, "INVALID_INPUT", ["after"]),
        (
            {"first": 5, "after": base64.urlsafe_b64encode(b"kantata:3:" + b"9" * 5000).decode()},
            "INVALID_INPUT",
            ["after"],
        ),
        ({"first": 5, "after": "!" * 50_000}, "INVALID_INPUT", ["after"]),
        ({"first": 5, "filter": {"status": "PAID"}}, "UNSUPPORTED_FIELD", ["filter", "status"]),
        ({"first": 5, "filter": {"number": "17"}}, "UNSUPPORTED_FIELD", ["filter", "number"]),
        (
            {"first": 5, "filter": {"issuedAfter": "2025-01-01"}},
            "UNSUPPORTED_FIELD",
            ["filter", "issuedAfter"],
        ),
    ],
)
def test_bad_list_arguments_are_typed_errors_with_no_call(
    gw: Gateway, variables: dict[str, Any], code: str, field: list[str]
) -> None:
    body = gw.post(PAGE % "", {"vendor": "KANTATA", **variables})
    assert body["data"] == {"invoices": None}
    assert body["errors"][0]["extensions"] == {"code": code, "field": field}
    assert len(body["errors"][0]["message"]) < 200  # a huge input is not echoed back
    assert gw.requests("kantata") == []


def test_every_unsupported_filter_is_named(gw: Gateway) -> None:
    body = gw.post(
        PAGE % "",
        {
            "vendor": "KITCHEN",
            "first": 5,
            "filter": {"updatedSince": "2025-01-01T00:00:00+00:00", "issuedBefore": "2025-01-01"},
        },
    )
    message = body["errors"][0]["message"]
    assert "updatedSince" in message and "issuedBefore" in message
    assert gw.requests("kitchen") == []


def test_kitchen_filters_by_status_and_number(gw: Gateway) -> None:
    paid = page(gw, "KITCHEN", 100, filter={"status": "PAID"})
    assert len(paid["edges"]) > 1
    assert paid["totalCount"] is None  # `status` is undocumented: its count is not trusted
    assert {edge["node"]["status"] for edge in paid["edges"]} == {"PAID"}
    assert parse_qs(gw.requests("kitchen")[0]["query"])["status"] == ["paid"]
    one = page(gw, "KITCHEN", 5, filter={"number": "FP-00017"})
    assert [edge["node"]["number"] for edge in one["edges"]] == ["FP-00017"]


def test_kitchen_lists_archived_invoices_unless_asked_not_to(gw: Gateway) -> None:
    everything = page(gw, "KITCHEN", 100)["totalCount"]
    active = page(gw, "KITCHEN", 100, filter={"archived": False})["totalCount"]
    archived = page(gw, "KITCHEN", 100, filter={"archived": True})["totalCount"]
    assert active + archived == everything and archived >= 1


def test_kantata_filters_by_update_time(gw: Gateway) -> None:
    everything = page(gw, "KANTATA", 100)
    since = "2030-01-01T00:00:00+00:00"
    none = page(gw, "KANTATA", 100, filter={"updatedSince": since})
    assert none["edges"] == [] and none["totalCount"] is None  # `updated_after` is [code]
    gw.data(
        'mutation { updateInvoice(input: {id: "kantata:invoice:102", notes: "touched"}) '
        "{ userErrors { code } } }"
    )
    recent = page(gw, "KANTATA", 100, filter={"updatedSince": "2026-01-01T00:00:00+00:00"})
    assert "kantata:invoice:102" in [edge["node"]["id"] for edge in recent["edges"]]
    assert len(recent["edges"]) < everything["totalCount"]
    assert "updated_after" in parse_qs(gw.requests("kantata")[-1]["query"])


def test_one_missing_user_fails_only_its_own_field(gw: Gateway) -> None:
    envelope = gw.http.get(
        "/sandbox/kantata/api/v1/invoices",
        params={"page": 1, "per_page": 3, "include": "user"},
        headers={"Authorization": "Bearer sandbox-kantata-token"},
    ).json()
    first = envelope["results"][0]["id"]
    envelope["invoices"][first]["user_id"] = "999999"  # a user the vendor does not have
    gw.forget_requests()
    gw.fault(
        "kantata", method="GET", path="^/api/v1/invoices$", status=200, body=json.dumps(envelope)
    )
    body = gw.post(PAGE % "createdBy { name }", {"vendor": "KANTATA", "first": 3})
    nodes = [edge["node"] for edge in body["data"]["invoices"]["edges"]]
    assert nodes[0]["createdBy"] is None
    assert all(node["createdBy"]["name"] for node in nodes[1:])
    assert [e["path"] for e in body["errors"]] == [["invoices", "edges", 0, "node", "createdBy"]]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    calls = [(c["path"], parse_qs(c["query"]).get("only")) for c in gw.requests("kantata")]
    assert calls == [("/api/v1/invoices", None), ("/api/v1/users", ["999999"])]


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Invoice { number } ... on User { name } ... on Workspace { title } ... on LineItem { kind }
} }"""


@pytest.mark.parametrize(
    ("global_id", "typename"),
    [
        ("kantata:invoice:101", "KantataInvoice"),
        ("kantata:user:7", "User"),
        ("kantata:workspace:55", "Workspace"),
        ("kantata:time_entry:9001", "LineItem"),
        ("kantata:expense:9101", "LineItem"),
        ("kantata:billing_milestone:9401", "LineItem"),
        ("kitchen:invoice:in_14b07ae04d0ff853c351b3cc", "KitchenInvoice"),
        ("kitchen:user:u_837daa416e0fc9e653b6b549", "User"),  # a member
        ("kitchen:user:u_83abe8d8b418411d9701ce44", "User"),  # a client
    ],
)
def test_node_finds_every_refetchable_type(gw: Gateway, global_id: str, typename: str) -> None:
    node = gw.data(NODE, {"id": global_id})["node"]
    assert (node["__typename"], node["id"]) == (typename, global_id)


@pytest.mark.parametrize(
    "global_id",
    [
        "kantata:fixed_fee_item:9201",
        "kantata:additional_item:9301",
        "kitchen:item:invi_1",
        "kantata:external_reference:9501",
        "kantata:invoice:x",
        "nope",
    ],
)
def test_node_explains_what_it_cannot_look_up(gw: Gateway, global_id: str) -> None:
    body = gw.post(NODE, {"id": global_id})
    assert body["data"] == {"node": None}
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert gw.requests("kantata") == [] and gw.requests("kitchen") == []


def test_nodes_answer_in_order_with_a_null_and_an_error_where_they_must(gw: Gateway) -> None:
    ids = [
        "kantata:invoice:103",
        "kantata:invoice:999999",
        "kitchen:user:u_837daa416e0fc9e653b6b549",
        "kantata:user:7",
        "bad",
        "kantata:invoice:101",
    ]
    body = gw.post("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    nodes = body["data"]["nodes"]
    assert [n["id"] if n else None for n in nodes] == [ids[0], None, ids[2], ids[3], None, ids[5]]
    assert [e["path"] for e in body["errors"]] == [["nodes", 4]]
    kantata_paths = sorted(c["path"] for c in gw.requests("kantata"))
    assert kantata_paths == ["/api/v1/invoices", "/api/v1/users"]  # one batch per type
