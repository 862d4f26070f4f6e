"""Nested selections cost one upstream call: includes and expansions carry them, loaders
fill whatever is still missing in one batch per type."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from tests.conftest import Gateway
from tests.gateway.queries import (
    KANTATA_DRAFT,
    KITCHEN_DRAFT,
    NESTED_FIELDS,
    READ,
    UPDATE,
    UPDATE_NESTED,
)

ALL_KANTATA_INCLUDES = {
    "user",
    "recipient",
    "workspaces",
    "time_entries",
    "expenses",
    "fixed_fee_items",
    "additional_items",
    "billing_milestones",
    "time_adjustments",
}


def includes(request: dict[str, Any]) -> set[str]:
    values = parse_qs(request["query"]).get("include", [""])
    return {name for name in values[0].split(",") if name}


def test_kantata_update_with_every_nested_field_is_one_call(gw: Gateway) -> None:
    data = gw.data(UPDATE_NESTED, {"input": {"id": KANTATA_DRAFT, "notes": "one call"}})
    invoice = data["updateInvoice"]["invoice"]
    assert invoice["createdBy"]["id"] == "kantata:user:7"
    assert invoice["recipient"]["id"] == "kantata:user:8"
    assert [w["id"] for w in invoice["workspaces"]] == [
        "kantata:workspace:55",
        "kantata:workspace:56",
    ]
    assert len(invoice["lineItems"]) == 5
    calls = gw.requests("kantata")
    assert len(calls) == 1
    assert calls[0]["method"] == "PUT"
    assert includes(calls[0]) == ALL_KANTATA_INCLUDES


def test_kantata_scalar_update_asks_for_no_include(gw: Gateway) -> None:
    gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "plain"}})
    calls = gw.requests("kantata")
    assert len(calls) == 1 and includes(calls[0]) == set()


def test_kantata_includes_follow_fragments_aliases_and_directives(gw: Gateway) -> None:
    query = """
    query($id: ID!, $withItems: Boolean!, $noUsers: Boolean!) {
      invoice(id: $id) {
        ...Who
        ... on KantataInvoice { lines: lineItems @include(if: $withItems) { id } }
        projects: workspaces @skip(if: $noUsers) { id }
      }
    }
    fragment Who on Invoice { author: createdBy @skip(if: $noUsers) { name } recipient { name } }
    """
    gw.data(query, {"id": KANTATA_DRAFT, "withItems": True, "noUsers": True})
    calls = gw.requests("kantata")
    assert len(calls) == 1
    assert includes(calls[0]) == ALL_KANTATA_INCLUDES - {"user", "workspaces"}


def test_kantata_objects_the_vendor_did_not_sideload_are_fetched_in_one_batch_per_type(
    gw: Gateway,
) -> None:
    # A PUT answer that names its users and workspaces but does not carry them.
    record = {
        "id": "101",
        "title": "Draft Invoice #00017",
        "user_invoice_number": 17,
        "draft": True,
        "status": "new",
        "currency": "USD",
        "currency_base_unit": 100,
        "balance_in_cents": 100,
        "user_id": "7",
        "recipient_id": "8",
        "workspace_ids": ["55", "56"],
    }
    envelope = {
        "count": 1,
        "meta": {},
        "results": [{"key": "invoices", "id": "101"}],
        "invoices": {"101": record},
    }
    gw.fault("kantata", method="PUT", status=200, body=json.dumps(envelope))
    query = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
      invoice { createdBy { name } recipient { name } workspaces { title } }
      userErrors { code } } }"""
    data = gw.data(query, {"input": {"id": KANTATA_DRAFT, "notes": "x"}})
    invoice = data["updateInvoice"]["invoice"]
    assert invoice["createdBy"]["name"] and invoice["recipient"]["name"]
    assert len(invoice["workspaces"]) == 2
    calls = [
        (c["method"], c["path"], parse_qs(c["query"]).get("only")) for c in gw.requests("kantata")
    ]
    assert sorted(calls, key=str) == sorted(
        [
            ("PUT", "/api/v1/invoices/101", None),
            ("GET", "/api/v1/users", ["7,8"]),
            ("GET", "/api/v1/workspaces", ["55,56"]),
        ],
        key=str,
    )


def test_kitchen_update_with_every_nested_field_is_one_call(gw: Gateway) -> None:
    data = gw.data(UPDATE_NESTED, {"input": {"id": KITCHEN_DRAFT, "notes": "one call"}})
    invoice = data["updateInvoice"]["invoice"]
    assert invoice["createdBy"]["name"] and invoice["recipient"]["name"]
    assert invoice["workspaces"] == []
    assert len(invoice["lineItems"]) == 3
    calls = gw.requests("kitchen")
    assert len(calls) == 1
    assert parse_qs(calls[0]["query"])["expand[]"] == ["creator", "client"]


def test_kitchen_without_expansion_loads_each_distinct_user_once(gw: Gateway) -> None:
    gw.settings("kitchen", honour_expand=False)
    query = """query($id: ID!) { invoice(id: $id) {
        createdBy { name } author: createdBy { email } recipient { name } } }"""
    data = gw.data(query, {"id": KITCHEN_DRAFT})
    assert data["invoice"]["createdBy"]["name"] and data["invoice"]["recipient"]["name"]
    paths = sorted(c["path"] for c in gw.requests("kitchen"))
    assert len(paths) == 3  # the invoice, its creator, its client
    assert paths[0].startswith("/demo/api/clients/") and paths[2].startswith("/demo/api/members/")


def test_reading_an_invoice_with_every_nested_field_is_one_call(gw: Gateway) -> None:
    gw.data(READ, {"id": KANTATA_DRAFT})
    gw.data(READ, {"id": KITCHEN_DRAFT})
    assert len(gw.requests("kantata")) == 1
    assert len(gw.requests("kitchen")) == 1


def test_two_differently_selected_reads_of_one_invoice_share_one_call(gw: Gateway) -> None:
    query = f"""query($id: ID!) {{
      invoice(id: $id) {{ id }}
      again: invoice(id: $id) {{ {NESTED_FIELDS} }}
    }}"""
    data = gw.data(query, {"id": KANTATA_DRAFT})
    assert len(data["again"]["lineItems"]) == 5
    calls = gw.requests("kantata")
    assert len(calls) == 1  # one batch, with the union of both selections' includes
    assert includes(calls[0]) == ALL_KANTATA_INCLUDES


def test_vendor_requests_carry_the_documented_headers_and_no_caller_secret(gw: Gateway) -> None:
    gw.data(READ, {"id": KITCHEN_DRAFT})
    gw.data(READ, {"id": KANTATA_DRAFT})
    kitchen, kantata = gw.requests("kitchen")[0], gw.requests("kantata")[0]
    assert kitchen["headers"]["accept"] == "application/json"
    assert kitchen["headers"]["x-requested-with"] == "XMLHttpRequest"
    assert kantata["headers"]["accept"] == "application/json"
    for recorded in (kitchen, kantata):
        assert not any(
            name.startswith("x-kantata") or name.startswith("x-kitchen")
            for name in recorded["headers"]
        )


def test_a_repeated_root_field_plans_for_every_copy(gw: Gateway) -> None:
    query = """query($id: ID!) {
      invoice(id: $id) { id }
      invoice(id: $id) { createdBy { name } lineItems { id } }
    }"""
    data = gw.data(query, {"id": KANTATA_DRAFT})
    assert data["invoice"]["createdBy"]["name"] and len(data["invoice"]["lineItems"]) == 5
    calls = gw.requests("kantata")
    assert len(calls) == 1
    assert {"user", "time_entries"} <= includes(calls[0])
