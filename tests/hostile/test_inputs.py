"""Hostile inputs: decimals that would cost gigabytes to write out, lists longer than any
caller needs, and requests that would spend the operator's vendor calls by the thousand.
Each gets a typed refusal, fast, with no vendor call, while /healthz keeps answering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.sandbox.kitchen import seed as kitchen_seed
from tests.hostile.harness import Gateway, attack, gateway_process

MiB = 2**20
UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id } userErrors { code message field } } }"""


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with gateway_process() as gw:
        yield gw


def post(gw: Gateway, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = httpx.post(
        f"{gw.url}/graphql", json={"query": query, "variables": variables}, timeout=60
    )
    assert response.status_code == 200, response.text[:300]
    return response.json()


def vendor_requests(gw: Gateway, vendor: str) -> list[Any]:
    requests: list[Any] = httpx.get(f"{gw.url}/sandbox/{vendor}/_control/requests").json()
    return requests


def forget(gw: Gateway) -> None:
    for vendor in ("kantata", "kitchen"):
        httpx.delete(f"{gw.url}/sandbox/{vendor}/_control/requests").raise_for_status()


HUGE = "1e900000000"
# Every Decimal input: item quantity and price, discount amount (percentage and fixed),
# tax rate, each sent in a variable (a string) and written in the document (a number).
DECIMAL_INPUTS = [
    ("lineItems", [{"title": "t", "quantity": HUGE, "unitPrice": "1.00"}]),
    ("lineItems", [{"title": "t", "quantity": "1", "unitPrice": HUGE}]),
    ("discounts", [{"title": "d", "amount": HUGE, "type": "PERCENTAGE"}]),
    ("discounts", [{"title": "d", "amount": "-" + HUGE, "type": "FIXED"}]),
    ("taxes", [{"title": "x", "rate": HUGE}]),
    ("lineItems", [{"title": "t", "quantity": "1", "unitPrice": "1" * 31}]),
    ("lineItems", [{"title": "t", "quantity": "1", "unitPrice": "1e-31"}]),
    ("lineItems", [{"title": "t", "quantity": "1", "unitPrice": "9" * 5000}]),
]


@pytest.mark.parametrize(("field", "value"), DECIMAL_INPUTS)
def test_an_absurd_decimal_is_refused_before_any_arithmetic(
    gateway: Gateway, field: str, value: list[dict[str, Any]]
) -> None:
    invoice = f"kitchen:invoice:{kitchen_seed.IN_DRAFT}"
    forget(gateway)

    def send() -> Any:
        return post(gateway, UPDATE, {"input": {"id": invoice, field: value}})

    measured = attack(gateway, send, seconds=2.0, memory=50 * MiB)
    body = measured.result
    # A variable that does not coerce is a request error: no data, nothing executed.
    assert body.get("data") is None, body
    [error] = body["errors"]
    # Typed, naming the limit it broke: the digits, the exponent, or the text's length.
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert error["extensions"]["limit"] in {
        "GATEWAY_DECIMAL_MAX_DIGITS",
        "GATEWAY_DECIMAL_MAX_EXPONENT",
        "MAX_DECIMAL_TEXT",
    }
    assert error["extensions"]["value"] > error["extensions"]["maximum"]
    assert vendor_requests(gateway, "kitchen") == []


def test_an_absurd_decimal_literal_is_refused_too(gateway: Gateway) -> None:
    invoice = f"kitchen:invoice:{kitchen_seed.IN_DRAFT}"
    query = (
        f'mutation {{ updateInvoice(input: {{id: "{invoice}", lineItems: [{{title: "t", '
        f"quantity: 1, unitPrice: {HUGE}}}]}}) {{ userErrors {{ code }} }} }}"
    )
    measured = attack(gateway, lambda: post(gateway, query), seconds=2.0, memory=50 * MiB)
    body = measured.result
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert error["extensions"]["limit"] == "GATEWAY_DECIMAL_MAX_EXPONENT"
    assert error["locations"], error  # the literal's place in the document


def test_a_large_but_sane_price_is_a_typed_answer_not_internal(gateway: Gateway) -> None:
    invoice = f"kitchen:invoice:{kitchen_seed.IN_DRAFT}"
    items = [{"title": "t", "quantity": "1", "unitPrice": "1e30"}]
    body = post(gateway, UPDATE, {"input": {"id": invoice, "lineItems": items}})
    errors = body["data"]["updateInvoice"]["userErrors"]
    assert errors and errors[0]["code"] in {"INVALID_INPUT", "UPSTREAM_REJECTED"}, body


def test_a_literal_decimal_keeps_every_digit(gateway: Gateway) -> None:
    invoice = f"kitchen:invoice:{kitchen_seed.IN_DRAFT}"
    query = (
        f'mutation {{ updateInvoice(input: {{id: "{invoice}", lineItems: [{{title: "t", '
        "quantity: 1.12345678901234567, unitPrice: 2}]}, dryRun: true) "
        "{ dryRun { body } } }"
    )
    body = post(gateway, query)
    sent = json.loads(body["data"]["updateInvoice"]["dryRun"]["body"], parse_float=str)
    assert sent["items"][0]["quantity"] == "1.12345678901234567"


def test_a_list_input_past_the_limit_is_refused_before_its_entries_are_read(
    gateway: Gateway,
) -> None:
    invoice = f"kitchen:invoice:{kitchen_seed.IN_DRAFT}"
    items = [{"title": "t", "quantity": "1", "unitPrice": "1.00"}] * 501
    body = post(gateway, UPDATE, {"input": {"id": invoice, "lineItems": items}})
    [error] = body["data"]["updateInvoice"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["input", "lineItems"])
    ids = [f"kantata:time_entry:{n}" for n in range(1, 502)]
    body = post(
        gateway,
        UPDATE,
        {"input": {"id": "kantata:invoice:101", "addBillables": {"timeEntryIds": ids}}},
    )
    [error] = body["data"]["updateInvoice"]["userErrors"]
    assert error["field"] == ["input", "addBillables", "timeEntryIds"]


NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


def test_tens_of_thousands_of_ids_are_refused_at_once_by_the_variables_size(
    gateway: Gateway,
) -> None:
    ids = [f"kantata:invoice:{n}" for n in range(1, 40_001)]  # ~900 KB, under the body limit
    forget(gateway)

    def send() -> httpx.Response:
        return httpx.post(
            f"{gateway.url}/graphql", json={"query": NODES, "variables": {"ids": ids}}
        )

    measured = attack(gateway, send, seconds=3.0, memory=100 * MiB)
    response = measured.result
    assert response.status_code == 413, response.text[:300]
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "GATEWAY_MAX_VARIABLES_BYTES" in error["message"]
    assert vendor_requests(gateway, "kantata") == []


def test_thousands_of_ids_within_the_variables_size_are_refused_by_the_list_length(
    gateway: Gateway,
) -> None:
    ids = [f"kantata:invoice:{n}" for n in range(1, 4_001)]  # ~80 KB
    forget(gateway)
    measured = attack(
        gateway, lambda: post(gateway, NODES, {"ids": ids}), seconds=3.0, memory=50 * MiB
    )
    body = measured.result
    assert body["data"] is None or body["data"]["nodes"] is None, str(body)[:300]
    assert body["errors"][0]["extensions"]["code"] in {"INVALID_INPUT", "LIMIT_EXCEEDED"}
    assert "500" in body["errors"][0]["message"]
    assert vendor_requests(gateway, "kantata") == []


def test_the_variables_size_is_measured_per_operation_and_over_get_too() -> None:
    with gateway_process({"GATEWAY_MAX_VARIABLES_BYTES": "1000"}) as gw:
        big = {"ids": ["kantata:invoice:1"] * 100}  # ~2 KB of variables
        small = {"ids": ["kantata:invoice:101"]}
        url = f"{gw.url}/graphql"
        get = httpx.get(
            url,
            params={"query": NODES, "variables": json.dumps(big)},
            headers={"GraphQL-Require-Preflight": "1"},
        )
        assert get.status_code == 413, get.text
        assert get.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        batch = [{"query": NODES, "variables": small}, {"query": NODES, "variables": big}]
        assert httpx.post(url, json=batch).status_code == 413
        # A long document with small variables is not the variables' fault.
        padded = NODES + " " * 5_000 + "# padding"
        answer = httpx.post(url, json={"query": padded, "variables": small})
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["nodes"] == [{"id": "kantata:invoice:101"}]


def test_hundreds_of_kitchen_ids_would_spend_the_vendor_budget_and_are_refused_up_front(
    gateway: Gateway,
) -> None:
    # Kitchen has no batch endpoint: 400 invoices would be 400 calls on the operator's key.
    ids = [f"kitchen:invoice:in_{n:024x}" for n in range(400)]
    forget(gateway)
    measured = attack(
        gateway, lambda: post(gateway, NODES, {"ids": ids}), seconds=3.0, memory=50 * MiB
    )
    body = measured.result
    assert body["data"] is None  # nodes is a non-null list: the refusal nulls the answer
    [error] = body["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "GATEWAY_MAX_VENDOR_CALLS" in error["message"]
    assert vendor_requests(gateway, "kitchen") == []


def test_the_vendor_call_budget_holds_while_running() -> None:
    # Kitchen without expand: a page of invoices costs one call, then one per distinct
    # user; with a budget of 3, the rest are refused and say so, and nothing else breaks.
    env = {
        "GATEWAY_MAX_VENDOR_CALLS": "3",
        "GATEWAY_SANDBOX_QUIRKS": json.dumps({"kitchen": {"honour_expand": False}}),
    }
    with gateway_process(env) as gw:
        query = """{ invoices(vendor: KITCHEN, first: 20) {
          nodes { id createdBy { id } recipient { id } } } }"""
        body = post(gw, query)
        assert len(body["data"]["invoices"]["nodes"]) == 20
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes == {"LIMIT_EXCEEDED"}
        assert len(vendor_requests(gw, "kitchen")) == 3
