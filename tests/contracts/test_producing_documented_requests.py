"""The gateway produces each documented request: the neutral input that says what the
documented request says, run as a dry run, gives exactly the documented body.

The neutral inputs are written by hand from the documentation; what the neutral input cannot
say, or says in another form, is named below with the reason, never dropped silently.
"""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal
from typing import Any

from gateway.vendors.http import decode_json
from tests.conftest import Gateway
from tests.contracts.documents import body, text

DRY_RUN = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input, dryRun: true) {
  userErrors { code message field }
  dryRun { method url query { name value } headers { name value } body } } }"""


def dry_run(gw: Gateway, fields: dict[str, Any]) -> dict[str, Any]:
    payload = gw.data(DRY_RUN, {"input": fields})["updateInvoice"]
    assert payload["userErrors"] == []
    shown: dict[str, Any] = payload["dryRun"]
    return shown


def sent_body(shown: dict[str, Any]) -> Any:
    return decode_json(shown["body"].encode())


# --- Kantata: "Updating an existing Invoice" -----------------------------------------------

KANTATA_INPUT = {
    "id": "kantata:invoice:101",
    "billables": {
        "timeEntryIds": ["kantata:time_entry:9001", "kantata:time_entry:9002"],
        "expenseIds": ["kantata:expense:9101"],
        "billingMilestoneIds": ["kantata:billing_milestone:9401"],
    },
    "paymentTermsDays": 30,
    "issueDate": "2025-03-10",
    "number": "19",
    "draft": False,
    "notes": "Notes to be displayed on the invoice.",
    "title": "March retainer",
    "purchaseOrder": "PO-2025-031",
    "projectCode": "PRJ-7",
    "externalReference": {
        "serviceName": "jira",
        "serviceModel": "issue",
        "serviceModelRef": "PRJ-123",
        "status": "successful",
        "externalMessage": "Synced from Jira",
        "externalLink": "https://example.atlassian.net/browse/PRJ-123",
        "externalStatus": "Done",
        "locked": False,
    },
}
# Documented request fields the neutral input cannot express: none. Every field of the seed
# page's request has a neutral input (the three ID lists through `billables`).
KANTATA_NOT_EXPRESSIBLE: dict[str, str] = {}


def kantata_documented_fields() -> tuple[set[str], set[str]]:
    """The `invoice.*` and `invoice.external_reference.*` names in the seed page's list."""
    page = text("kantata_put_invoice_request.txt")
    top = set(re.findall(r"^  - `invoice\.([a-z_]+)` \(", page, re.MULTILINE))
    nested = set(re.findall(r"^  - `invoice\.external_reference\.([a-z_]+)`", page, re.MULTILINE))
    return top, nested


def test_kantata_request_fixture_covers_every_documented_field() -> None:
    top, nested = kantata_documented_fields()
    documented = body("kantata_put_invoice_request.json")["invoice"]
    assert len(top) == 12 and len(nested) == 8
    assert set(documented) | set(KANTATA_NOT_EXPRESSIBLE) == top
    assert set(documented["external_reference"]) == nested


def test_kantata_documented_request_is_produced_exactly(gw: Gateway) -> None:
    shown = dry_run(gw, KANTATA_INPUT)
    assert shown["method"] == "PUT"  # PUT /invoices/{id}
    assert shown["url"].endswith("/api/v1/invoices/101")
    assert sent_body(shown) == body("kantata_put_invoice_request.json")
    headers = {h["name"].lower(): h["value"] for h in shown["headers"]}
    assert headers["authorization"].startswith("Bearer ")
    assert headers["content-type"] == "application/json"


# --- Kitchen: "Update an invoice" ----------------------------------------------------------

KITCHEN_INPUT = {
    "id": "kitchen:invoice:in_31d435a7f94fd8d87c36ecfd",
    "recipientId": "kitchen:user:u_62988d0392da49247a831d35",
    "currency": "USD",
    "discounts": [{"title": "The discount item title", "amount": "50.54", "type": "PERCENTAGE"}],
    "paymentTermsDays": 8,
    "dueReminder": {"message": "The reminder message", "sendDays": 2},
    "footer": None,
    "issueDate": "2024-07-12",
    "lineItems": [
        {
            "title": "The invoice item title",
            "description": "The invoice item description",
            "quantity": "1.00",
            "unitPrice": "675.65",
        }
    ],
    "language": "en_US",
    "notes": None,
    "number": "PREFIX-00018",
    "paymentGateways": [],
    "taxes": [{"title": "The tax item title", "rate": "46.3"}],
    "visibility": "SHARED",
}
# Documented parameters the neutral input cannot express (none has a value in the fixture).
KITCHEN_NOT_EXPRESSIBLE = {
    "folder": "a conversation folder for the invoice; the gateway has no such idea",
    "grand_total": "applies only to external invoices, which the gateway does not write",
}
# Keys of the fixture's list entries the gateway does not send: an entry's currency is
# always the invoice's, so the neutral line, discount and tax inputs have none.
KITCHEN_NOT_SENT = [("items", "currency"), ("discounts", "currency"), ("tax_items", "currency")]
# Same meaning, another JSON form. The fixture takes its values from the page's response
# (the page shows no request body), so these are the response's forms; the request forms
# are not documented.
KITCHEN_OTHER_FORM = {
    # The neutral issue date is a date; the response shows a date-time at midnight UTC.
    ("issue_date",): ("2024-07-12T00:00:00+00:00", "2024-07-12"),
    # The gateway sends a quantity as a JSON number; the response shows a string.
    ("items", 0, "quantity"): ("1.00", Decimal("1.00")),
}


def kitchen_documented_parameters() -> set[str]:
    """The parameter names of the seed page: a name line, then its type line."""
    page = text("kitchen_put_invoice_request.txt")
    section = page[page.index("Parameters\n") : page.index("\nReturns\n")]
    lines = section.splitlines()
    kind = re.compile(r"(nullable )?(string|number|enum|associative array)")
    return {
        name
        for name, after in itertools.pairwise(lines)
        if re.fullmatch(r"[a-z_]+", name) and kind.fullmatch(after)
    }


def test_kitchen_request_fixture_covers_every_documented_parameter() -> None:
    documented = body("kitchen_put_invoice_request.json")
    parameters = kitchen_documented_parameters()
    assert len(parameters) == 17
    assert set(documented) | set(KITCHEN_NOT_EXPRESSIBLE) == parameters
    assert not set(documented) & set(KITCHEN_NOT_EXPRESSIBLE)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def test_kitchen_documented_request_is_produced_exactly(gw: Gateway) -> None:
    shown = dry_run(gw, KITCHEN_INPUT)
    assert shown["method"] == "PUT"  # PUT /api/invoices/{id}
    assert shown["url"].endswith("/api/invoices/in_31d435a7f94fd8d87c36ecfd")
    sent = sent_body(shown)
    expected = body("kitchen_put_invoice_request.json")
    for list_key, key in KITCHEN_NOT_SENT:
        for entry in expected[list_key]:
            del entry[key]
    for path, (documented, produced) in KITCHEN_OTHER_FORM.items():
        assert _at(expected, path) == documented
        assert _at(sent, path) == produced
        assert type(_at(sent, path)) is type(produced)
        _at(expected, path[:-1])[path[-1]] = produced
    assert sent == expected
    # Exact decimal text, as the page writes it: no float noise, no lost digits.
    assert '"amount":675.65' in shown["body"] and '"amount":46.3' in shown["body"]


def test_kitchen_request_carries_the_documented_headers(gw: Gateway) -> None:
    shown = dry_run(gw, {"id": KITCHEN_INPUT["id"], "number": "PREFIX-00018"})
    headers = {h["name"].lower(): h["value"] for h in shown["headers"]}
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["x-requested-with"] == "XMLHttpRequest"
    assert headers["authorization"].startswith("Bearer ")
    assert json.loads(shown["body"]) == {"number": "PREFIX-00018"}
