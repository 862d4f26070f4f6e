"""Generated operations against the running gateway on the sandbox (hypothesis-graphql):
valid queries and mutations from the schema, and ones with one deliberate violation (junk
inputs). Whatever arrives, the gateway answers without a 5xx or a stack trace, every
execution error carries a code, and every userError code is one the schema declares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from gateway.app import export_schema
from gateway.core.errors import ErrorCode

SDL = export_schema()
CODES = {code.value for code in ErrorCode}

# Custom scalars as values the gateway may accept or refuse; both must be answered cleanly.
SCALARS = {
    "Date": st.sampled_from(["2025-01-31", "2025-02-30", "31.01.2025", ""]).map(nodes.String),
    "DateTime": st.sampled_from(["2025-01-31T10:00:00Z", "yesterday"]).map(nodes.String),
    "Decimal": st.sampled_from(["19.99", "-0.001", "1e9", "NaN", "12,5"]).map(nodes.String),
}
# Real IDs now and then, so some operations get past validation to the vendors.
KNOWN_IDS = [
    "kantata:invoice:101",
    "kantata:user:7",
    "kitchen:invoice:in_14b07ae04d0ff853c351b3cc",
    "kantata:time_entry:9001",
]

OPERATIONS = st.one_of(
    queries(SDL, custom_scalars=SCALARS),
    mutations(SDL, custom_scalars=SCALARS),
    queries(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    mutations(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
)


def with_known_ids(operation: str, pick: int) -> str:
    """Swap the first string literal after `id:` for a known ID (cheap, keeps it valid)."""
    marker = 'id: "'
    start = operation.find(marker)
    if start < 0 or pick >= len(KNOWN_IDS):
        return operation
    end = operation.find('"', start + len(marker))
    if end < 0:
        return operation
    return operation[: start + len(marker)] + KNOWN_IDS[pick] + operation[end:]


def user_error_codes(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "userErrors" and isinstance(item, list):
                yield from (e["code"] for e in item if isinstance(e, dict) and "code" in e)
            else:
                yield from user_error_codes(item)
    elif isinstance(value, list):
        for item in value:
            yield from user_error_codes(item)


@pytest.fixture(scope="module")
def client(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        http.post("/sandbox/kantata/_control/reset").raise_for_status()
        http.post("/sandbox/kitchen/_control/reset").raise_for_status()
        yield http
        http.post("/sandbox/kantata/_control/reset").raise_for_status()
        http.post("/sandbox/kitchen/_control/reset").raise_for_status()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(operation=OPERATIONS, pick=st.integers(0, 2 * len(KNOWN_IDS)))
def test_generated_operations_are_answered_cleanly(
    client: httpx.Client, operation: str, pick: int
) -> None:
    operation = with_known_ids(operation, pick)
    response = client.post("/graphql", json={"query": operation})
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"]
    body = response.json()
    for error in body.get("errors") or []:
        if "path" in error:
            # An execution error: always one of ours, with a neutral code.
            assert error.get("extensions", {}).get("code") in CODES, error
        else:
            # Refused before execution: parse, validation, a limit, or a bad variable.
            assert response.status_code in (200, 400) and error["message"], error
    for code in user_error_codes(body.get("data")):
        assert code in CODES, code


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b"[[]]",
        b'{"query": 5}',
        b'{"query": "{ __typename }", "variables": [1]}',
        b'{"query": "{ __typename }", "operationName": 7}',
        b'{"query": "{ __typename }", "extensions": "x"}',
        b'{"query": "query($a: Decimal!) { __typename }", "variables": {"a": {"b": 1}}}',
        b'{"query": "\\u0000"}',
        b"\xff\xfe",
    ],
)
def test_junk_bodies_are_400_or_errors_never_500(client: httpx.Client, body: bytes) -> None:
    response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text
    assert "Traceback" not in response.text
    assert response.json()["errors"]
