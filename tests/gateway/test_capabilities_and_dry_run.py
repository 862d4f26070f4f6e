"""vendorCapabilities agrees with what updates actually accept (one source, checked by
behaviour), and a dry run shows exactly the request a real run sends, sending nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_CLIENT, KITCHEN_DRAFT

TARGETS = {"KANTATA": KANTATA_DRAFT, "KITCHEN": KITCHEN_DRAFT}
# A valid value for every UpdateInvoiceInput field (per vendor where they differ).
SAMPLES: dict[str, Any] = {
    "number": {"KANTATA": "42", "KITCHEN": "FP-TEST-1"},
    "title": "Spring retainer",
    "issueDate": "2025-05-01",
    "paymentTermsDays": 30,
    "notes": "Thanks",
    "footer": "Bank details",
    "draft": False,
    "purchaseOrder": "PO-1",
    "projectCode": "PC-1",
    "currency": "EUR",
    "recipientId": KITCHEN_CLIENT,
    "language": "de_DE",
    "visibility": "SHARED",
    "paymentGateways": ["BANK"],
    "dueReminder": {"message": "Reminder"},
    "lineItems": [{"title": "Work", "unitPrice": "10.00"}],
    "discounts": [{"title": "Loyal", "amount": "5", "type": "PERCENTAGE"}],
    "taxes": [{"title": "VAT", "rate": "20"}],
    "billables": {"expenseIds": ["kantata:expense:9101"]},
    "addBillables": {"expenseIds": ["kantata:expense:9102"]},
    "removeBillables": {"expenseIds": ["kantata:expense:9101"]},
    "externalReference": {"serviceName": "jira", "serviceModel": "issue", "serviceModelRef": "X-1"},
}
ALWAYS = {"id", "expectedUpdatedAt"}

CAPABILITIES = """query { vendorCapabilities {
  vendor
  updateFields {
    name vendorFields clearable limits { maxLength minimum maximum values integerOnly }
  }
  filters { name vendorFields }
} }"""
DRY_RUN = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input, dryRun: true) {
  invoice { id } userErrors { code message field }
  dryRun { method url query { name value } headers { name value } body } } }"""


def capabilities(gw: Gateway) -> dict[str, dict[str, Any]]:
    return {v["vendor"]: v for v in gw.data(CAPABILITIES)["vendorCapabilities"]}


def input_fields(gw: Gateway, type_name: str) -> set[str]:
    query = "query($t: String!) { __type(name: $t) { inputFields { name } } }"
    return {f["name"] for f in gw.data(query, {"t": type_name})["__type"]["inputFields"]}


def sample(name: str, vendor: str) -> Any:
    value = SAMPLES[name]
    return value[vendor] if isinstance(value, dict) and vendor in value else value


def dry_run(gw: Gateway, fields: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = gw.data(DRY_RUN, {"input": fields})["updateInvoice"]
    return payload


def test_capabilities_name_exactly_the_fields_each_vendor_accepts(gw: Gateway) -> None:
    fields = input_fields(gw, "UpdateInvoiceInput") - ALWAYS
    assert fields == set(SAMPLES), "add a sample for every new input field"
    for vendor, caps in capabilities(gw).items():
        supported = {f["name"]: f for f in caps["updateFields"]}
        assert set(supported) < fields
        for name in sorted(fields):
            errors = dry_run(gw, {"id": TARGETS[vendor], name: sample(name, vendor)})["userErrors"]
            if name in supported:
                assert errors == [], (vendor, name, errors)
            else:
                assert [(e["code"], e["field"]) for e in errors] == [
                    ("UNSUPPORTED_FIELD", ["input", name])
                ], (vendor, name)
            nulled = dry_run(gw, {"id": TARGETS[vendor], name: None})["userErrors"]
            if name in supported and supported[name]["clearable"]:
                assert nulled == [], (vendor, name, nulled)
            elif name in supported:
                assert [e["code"] for e in nulled] == ["INVALID_INPUT"], (vendor, name)


def test_the_limits_shown_are_the_limits_enforced(gw: Gateway) -> None:
    checked = 0
    for vendor, caps in capabilities(gw).items():
        for field in caps["updateFields"]:
            limits, name = field["limits"], field["name"]
            target = {"id": TARGETS[vendor]}
            if limits["maxLength"]:
                at_limit = "x" * limits["maxLength"]
                assert dry_run(gw, {**target, name: at_limit})["userErrors"] == []
                too_long = dry_run(gw, {**target, name: at_limit + "x"})["userErrors"]
                assert [e["code"] for e in too_long] == ["INVALID_INPUT"], (vendor, name)
                checked += 1
            if limits["maximum"] is not None:
                above = limits["maximum"] + 1
                value: Any = str(above) if limits["integerOnly"] else above
                errors = dry_run(gw, {**target, name: value})["userErrors"]
                assert [e["code"] for e in errors] == ["INVALID_INPUT"], (vendor, name)
                checked += 1
            if limits["integerOnly"]:
                errors = dry_run(gw, {**target, name: "A-12"})["userErrors"]
                assert [e["code"] for e in errors] == ["INVALID_INPUT"], (vendor, name)
                checked += 1
    assert checked >= 5


def test_capabilities_name_exactly_the_filters_each_vendor_serves(gw: Gateway) -> None:
    values = {
        "status": "PAID",
        "number": "17",
        "issuedAfter": "2025-01-01",
        "issuedBefore": "2025-01-01",
        "updatedSince": "2025-01-01T00:00:00+00:00",
        "createdAfter": "2025-01-01T00:00:00+00:00",
        "createdBefore": "2025-01-01T00:00:00+00:00",
        "archived": False,
    }
    assert input_fields(gw, "InvoiceFilter") == set(values)
    query = """query($v: Vendor!, $f: InvoiceFilter) {
      invoices(vendor: $v, first: 1, filter: $f) { totalCount } }"""
    for vendor, caps in capabilities(gw).items():
        served = {f["name"] for f in caps["filters"]}
        for name, value in values.items():
            body = gw.post(query, {"v": vendor, "f": {name: value}})
            if name in served:
                assert "errors" not in body, (vendor, name, body)
            else:
                assert body["errors"][0]["extensions"]["code"] == "UNSUPPORTED_FIELD", (
                    vendor,
                    name,
                )


@pytest.mark.parametrize(
    ("vendor", "fields"),
    [
        (
            "kantata",
            {
                "id": KANTATA_DRAFT,
                "number": "18",
                "notes": "Net 30",
                "billables": {"expenseIds": []},
            },
        ),
        (
            "kitchen",
            {
                "id": KITCHEN_DRAFT,
                "footer": "IBAN",
                "lineItems": [{"title": "Work", "quantity": "2", "unitPrice": "19.99"}],
            },
        ),
    ],
)
def test_a_dry_run_sends_nothing_and_shows_what_a_real_run_sends(
    gw: Gateway, vendor: str, fields: dict[str, Any]
) -> None:
    # Billables need the invoice's current lists: the one read a dry run makes.
    preview = dry_run(gw, fields)
    assert preview["userErrors"] == [] and preview["invoice"] is None
    assert [r["method"] for r in gw.requests(vendor)] in ([], ["GET"])
    shown = preview["dryRun"]
    gw.forget_requests()

    real = gw.data(DRY_RUN.replace(", dryRun: true", ""), {"input": fields})["updateInvoice"]
    assert real["userErrors"] == []
    [sent] = [r for r in gw.requests(vendor) if r["method"] == "PUT"]
    assert shown["method"] == "PUT"
    assert shown["url"].endswith(sent["path"])
    assert [(q["name"], q["value"]) for q in shown["query"]] == parse_qsl(sent["query"])
    assert shown["body"] == sent["body"]
    assert json.loads(shown["body"])  # valid JSON, exact text
    headers = {h["name"].lower(): h["value"] for h in shown["headers"]}
    assert headers["authorization"] == "Bearer [redacted]"
    for name, value in headers.items():
        if name != "authorization":
            assert sent["headers"][name] == value
    assert "sandbox-kantata-token" not in json.dumps(preview)
    assert "sandbox-kitchen-key" not in json.dumps(preview)


def test_a_dry_run_of_bad_input_answers_the_same_errors(gw: Gateway) -> None:
    payload = dry_run(gw, {"id": KANTATA_DRAFT, "footer": "x", "number": "A-1"})
    assert [e["code"] for e in payload["userErrors"]] == ["UNSUPPORTED_FIELD", "INVALID_INPUT"]
    assert payload["dryRun"] is None
    assert gw.requests("kantata") == []
