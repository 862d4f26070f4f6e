"""The Kantata OX emulator, over real HTTP on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.sandbox.kantata import READONLY_TOKEN, SANDBOX_TOKEN, create_kantata_emulator
from tests.server import serve

NOW = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
ALL_INCLUDES = (
    "additional_items,billing_milestones,expenses,external_references,fixed_fee_items,"
    "recipient,time_entries,user,workspaces"
)
INDEX_KEYS = ("invoices", "users", "workspaces", "time_entries", "expenses", "billing_milestones")
SEEDED = 63  # invoices in the seed: the six anchors and 57 generated ones ("201"-"257")
ANCHORS = ["106", "101", "105", "104", "102", "103"]  # newest first; all generated are older
LINE_IDS = {"time_entries": "time_entry_ids", "expenses": "expense_ids",
            "fixed_fee_items": "fixed_fee_item_ids", "additional_items": "additional_item_ids",
            "billing_milestones": "billing_milestone_ids"}  # fmt: skip


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serve(create_kantata_emulator(clock=lambda: NOW)) as url:
        yield url


@pytest.fixture
def control(origin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{origin}/_control") as client:
        client.post("/reset").raise_for_status()
        yield client


@pytest.fixture
def api(origin: str, control: httpx.Client) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{origin}/api/v1", headers=AUTH) as client:
        yield client


def invoice(api: httpx.Client, invoice_id: str, include: str = "") -> dict[str, Any]:
    response = api.get(f"/invoices/{invoice_id}", params={"include": include})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["invoices"][invoice_id]
    return found


def put(
    api: httpx.Client, invoice_id: str, fields: dict[str, Any], **params: str
) -> httpx.Response:
    return api.put(f"/invoices/{invoice_id}", json={"invoice": fields}, params=params)


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


# Envelope and seed.


@pytest.mark.parametrize(
    ("method", "path", "body", "key", "ids"),
    [
        ("GET", "/invoices?per_page=3", None, "invoices", ["106", "101", "105"]),
        ("GET", "/invoices/101", None, "invoices", ["101"]),
        ("GET", "/users/me", None, "users", ["7"]),
        ("PUT", "/invoices/101", {"invoice": {"message": "Hi"}}, "invoices", ["101"]),
        ("PUT", "/invoices/102/cancel", None, "invoices", ["102"]),
        (
            "POST",
            "/invoices",
            {"invoice": {"workspace_ids": [55], "time_entry_ids": [9002]}},
            "invoices",
            ["20001"],
        ),
    ],
)
def test_every_success_uses_the_envelope(
    api: httpx.Client, method: str, path: str, body: Any, key: str, ids: list[str]
) -> None:
    response = api.request(method, path, json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["results"] == [{"key": key, "id": i} for i in ids]
    assert set(data[key]) == set(ids)
    assert all(data[key][i]["id"] == i for i in ids)
    assert data["count"] == data["meta"]["count"]
    assert set(data["meta"]) == {"count", "page_count", "page_number", "page_size"}


def test_invoice_has_exactly_the_documented_fields(api: httpx.Client) -> None:
    assert set(invoice(api, "101")) == {
        "id", "created_at", "updated_at", "invoice_date", "due_date", "title",
        "user_invoice_number", "user_invoice_title", "message", "purchase_order",
        "project_code", "draft", "status", "balance_in_cents", "currency", "currency_symbol",
        "currency_base_unit", "payment_schedule", "tax_rate", "user_id", "recipient_id",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("invoice_id", "expected"),
    [
        ("101", {"currency": "USD", "currency_base_unit": 100, "draft": True, "user_id": "7",
                 "recipient_id": "8", "balance_in_cents": 818619, "title": "Draft Invoice #00017"}),
        ("102", {"currency": "USD", "draft": False, "status": "new", "recipient_id": None,
                 "balance_in_cents": 101250}),
        ("103", {"currency": "EUR", "status": "accepted payment", "balance_in_cents": 0}),
        ("104", {"currency": "JPY", "currency_base_unit": 1, "currency_symbol": "¥",
                 "status": "new", "balance_in_cents": 492000}),
        ("105", {"status": "cancelled", "balance_in_cents": 0}),
        # additional item, milestone, its 8.875 % tax, and a 30 min time adjustment at 120.00/h
        ("106", {"draft": True, "balance_in_cents": 120000 + 450000 + 10650 + 6000}),
    ],
)  # fmt: skip
def test_seed_anchors(api: httpx.Client, invoice_id: str, expected: dict[str, Any]) -> None:
    shown = invoice(api, invoice_id)
    assert {k: shown[k] for k in expected} == expected


def test_invoice_101_holds_one_of_each_kind(api: httpx.Client) -> None:
    shown = invoice(api, "101", ALL_INCLUDES)
    assert shown["time_entry_ids"] == ["9001"]
    assert shown["expense_ids"] == ["9101"]
    assert shown["fixed_fee_item_ids"] == ["9201"]
    assert shown["additional_item_ids"] == ["9301"]
    assert shown["billing_milestone_ids"] == ["9401"]
    assert shown["external_reference_ids"] == ["9501"]
    assert shown["workspace_ids"] == ["55", "56"]


def test_every_id_in_a_response_is_a_string(api: httpx.Client) -> None:
    data = api.get("/invoices", params={"include": ALL_INCLUDES}).json()
    for key, records in data.items():
        if isinstance(records, dict) and key != "meta":
            for record_id, record in records.items():
                assert isinstance(record_id, str)
                for name, value in record.items():
                    if name == "id" or (name.endswith("_id") and value is not None):
                        assert isinstance(value, str), (key, name)
                    if name.endswith("_ids"):
                        assert all(isinstance(v, str) for v in value), (key, name)


def test_a_page_of_50_comes_with_its_users_workspaces_and_lines(api: httpx.Client) -> None:
    data = api.get("/invoices", params={"per_page": 50, "include": ALL_INCLUDES}).json()
    invoices = [data["invoices"][r["id"]] for r in data["results"]]
    assert len(invoices) == 50
    for shown in invoices:
        assert sum(len(shown[ids]) for ids in LINE_IDS.values()) >= 1, shown["id"]
        assert shown["user_id"] in data["users"]
        assert shown["recipient_id"] is None or shown["recipient_id"] in data["users"]
        assert set(shown["workspace_ids"]) <= set(data["workspaces"])
    assert len({i["user_id"] for i in invoices}) >= 3
    assert len({i["recipient_id"] for i in invoices if i["recipient_id"]}) >= 5
    assert sum(i["recipient_id"] is None for i in invoices) >= 3
    assert len({w for i in invoices for w in i["workspace_ids"]}) >= 8
    assert {i["status"] for i in invoices} == {"new", "accepted payment", "cancelled"}
    assert sum(i["draft"] for i in invoices) >= 4
    currencies = [i["currency"] for i in invoices]
    assert currencies.count("USD") > currencies.count("EUR") > currencies.count("JPY") > 0
    assert len({i["created_at"] for i in invoices}) >= 45
    assert len({i["updated_at"] for i in invoices}) >= 45


def test_every_seeded_record_fits_its_one_invoice(api: httpx.Client) -> None:
    data = api.get("/invoices", params={"per_page": 200, "include": ALL_INCLUDES}).json()
    assert len(data["results"]) == SEEDED
    holder: dict[tuple[str, str], str] = {}
    for invoice_id, shown in data["invoices"].items():
        base_unit = {"USD": 100, "EUR": 100, "JPY": 1}[shown["currency"]]
        assert shown["currency_base_unit"] == base_unit
        for workspace_id in shown["workspace_ids"]:
            assert data["workspaces"][workspace_id]["currency"] == shown["currency"]
        for kind, ids_field in LINE_IDS.items():
            for record_id in shown[ids_field]:
                record = data[kind][record_id]
                assert record["currency"] == shown["currency"], (invoice_id, kind, record_id)
                assert record["workspace_id"] in shown["workspace_ids"], (invoice_id, record_id)
                assert holder.setdefault((kind, record_id), invoice_id) == invoice_id
    generated = [i for i in data["invoices"].values() if int(i["id"]) >= 201]
    assert max(i["invoice_date"] for i in generated) < "2024-12-20"  # older than "103"
    numbers = [i["user_invoice_number"] for i in data["invoices"].values()]
    assert max(numbers) == 18  # so POST still numbers the next one 19


# Includes.


def test_include_sideloads_every_association(api: httpx.Client) -> None:
    data = api.get("/invoices/101", params={"include": ALL_INCLUDES}).json()
    assert set(data["users"]) == {"7", "8"}
    assert set(data["workspaces"]) == {"55", "56"}
    assert data["time_entries"]["9001"]["time_in_minutes"] == 90
    assert data["time_entries"]["9001"]["rate_in_cents"] == 15000
    assert set(data["fixed_fee_items"]) == {"9201"}
    assert set(data["additional_items"]) == {"9301"}
    assert set(data["expenses"]) == {"9101"}
    assert set(data["billing_milestones"]) == {"9401"}
    assert data["external_references"]["9501"]["service_name"] == "quickbooks"


def test_empty_includes_still_get_their_key(api: httpx.Client) -> None:
    data = api.get(
        "/invoices/102", params={"include": "recipient,fixed_fee_items,external_references"}
    ).json()
    assert data["users"] == {}
    assert data["fixed_fee_items"] == {}
    assert data["external_references"] == {}
    assert data["invoices"]["102"]["fixed_fee_item_ids"] == []
    assert data["invoices"]["102"]["recipient_id"] is None


def test_unknown_include_is_ignored(api: httpx.Client) -> None:
    data = api.get("/invoices/101", params={"include": "nonsense, user ,"}).json()
    assert set(data) == {"count", "meta", "results", "invoices", "users"}
    assert set(data["users"]) == {"7"}


def test_ids_arrays_only_when_included(api: httpx.Client) -> None:
    shown = invoice(api, "101", "time_entries")
    assert "time_entry_ids" in shown
    assert not {"expense_ids", "workspace_ids", "fixed_fee_item_ids"} & set(shown)
    assert shown["user_id"] == "7"


def test_include_on_an_index_merges_related_records(api: httpx.Client) -> None:
    data = api.get("/invoices", params={"include": "recipient", "only": ",".join(ANCHORS)}).json()
    assert set(data["users"]) == {"8", "11", "12"}


# Index endpoints: only, pagination, sort order.


@pytest.mark.parametrize(
    ("path", "only", "expected"),
    [
        ("/invoices", "105,101,abc,999", ["101", "105"]),
        ("/invoices", "102,104", ["104", "102"]),
        ("/users", "10, 7,x,08", ["7", "8", "10"]),
        ("/time_entries", "9001,9003", ["9003", "9001"]),
        ("/expenses", "9101,9102", ["9102", "9101"]),
        ("/workspaces", "57,55", ["55", "57"]),
        ("/billing_milestones", "9402,9401", ["9401", "9402"]),
        ("/users", "abc", []),
    ],
)
def test_only(api: httpx.Client, path: str, only: str, expected: list[str]) -> None:
    data = api.get(path, params={"only": only, "per_page": 1, "page": 3}).json()
    assert [r["id"] for r in data["results"]] == expected
    assert data["count"] == len(expected)
    assert data["meta"]["page_count"] == (1 if expected else 0)


@pytest.mark.parametrize(
    ("params", "ids", "meta"),
    [
        ({"per_page": "4"}, ANCHORS[:4], (SEEDED, 16, 1, 4)),
        ({"per_page": "4", "page": "2"}, ["102", "103", "257", "256"], (SEEDED, 16, 2, 4)),
        ({"per_page": "4", "page": "16"}, ["203", "202", "201"], (SEEDED, 16, 16, 4)),
        ({"per_page": "4", "page": "17"}, [], (SEEDED, 16, 17, 4)),
        ({"per_page": "31", "page": "3"}, ["201"], (SEEDED, 3, 3, 31)),
    ],
)
def test_pagination(
    api: httpx.Client, params: dict[str, str], ids: list[str], meta: tuple[int, ...]
) -> None:
    data = api.get("/invoices", params=params).json()
    assert [r["id"] for r in data["results"]] == ids
    assert list(data["invoices"]) == ids
    got = data["meta"]
    assert (got["count"], got["page_count"], got["page_number"], got["page_size"]) == meta


@pytest.mark.parametrize(
    ("params", "length", "meta"),
    [
        ({}, 20, (SEEDED, 4, 1, 20)),
        ({"per_page": "50"}, 50, (SEEDED, 2, 1, 50)),
        ({"per_page": "50", "page": "2"}, SEEDED - 50, (SEEDED, 2, 2, 50)),
        ({"per_page": "500"}, SEEDED, (SEEDED, 1, 1, 200)),
        ({"per_page": "0", "page": "x"}, 20, (SEEDED, 4, 1, 20)),
    ],
)
def test_pagination_of_long_pages(
    api: httpx.Client, params: dict[str, str], length: int, meta: tuple[int, ...]
) -> None:
    data = api.get("/invoices", params=params).json()
    ids = [r["id"] for r in data["results"]]
    assert len(ids) == len(set(ids)) == length
    if params.get("page") != "2":
        assert ids[:6] == ANCHORS
    got = data["meta"]
    assert (got["count"], got["page_count"], got["page_number"], got["page_size"]) == meta


def test_invoices_are_newest_first_then_highest_id(api: httpx.Client) -> None:
    shown = api.get("/invoices", params={"per_page": 200}).json()["invoices"]
    keys = [(v["invoice_date"], int(k)) for k, v in shown.items()]
    assert keys == sorted(keys, reverse=True)
    assert len(keys) == SEEDED


@pytest.mark.parametrize("key", INDEX_KEYS)
def test_every_index_endpoint_pages(api: httpx.Client, key: str) -> None:
    data = api.get(f"/{key}", params={"per_page": 2}).json()
    assert data["meta"]["page_count"] == -(-data["count"] // 2)
    assert len(data["results"]) == 2
    assert all(r["key"] == key for r in data["results"])


@pytest.mark.parametrize(
    "path",
    ["/invoices/101.json", "/invoices.json", "/users/7.json", "/users/me.json",
     "/workspaces.json?only=55", "/time_entries/9001.json", "/expenses/9101.json",
     "/billing_milestones/9401.json"],
)  # fmt: skip
def test_json_suffix(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 200
    assert response.json()["count"] >= 1


def test_json_suffix_on_writes(api: httpx.Client) -> None:
    assert put(api, "101.json", {"message": "via suffix"}).status_code == 200
    assert api.put("/invoices/102/cancel.json").status_code == 200
    assert invoice(api, "101")["message"] == "via suffix"


# Time filters on /invoices.

LATEST_CREATED = ["106", "101", "105", "104", "102"]  # created after "103" (2024-12-20 09:00Z)


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("2024-12-20T09:00:00Z", LATEST_CREATED),
        ("2024-12-20T08:59:59Z", [*LATEST_CREATED, "103"]),
        ("2024-12-20T10:00:00+01:00", LATEST_CREATED),
        ("2024-12-20T09:00:00.000001+00:00", LATEST_CREATED),
        ("2024-12-20T09:00:00", LATEST_CREATED),  # no offset: UTC
        ("2024-12-20", [*LATEST_CREATED, "103"]),  # a date: midnight
        ("2025-03-10T09:00:00Z", []),
    ],
)
def test_created_after_is_strict(api: httpx.Client, value: str, ids: list[str]) -> None:
    data = api.get("/invoices", params={"created_after": value}).json()
    assert [r["id"] for r in data["results"]] == ids
    assert data["count"] == len(ids)


@pytest.mark.parametrize(
    ("params", "ids", "meta"),
    [
        ({"created_after": "2024-12-20T09:00:00Z", "per_page": "2"}, ["106", "101"],
         (5, 3, 1, 2)),
        ({"created_after": "2024-12-20T09:00:00Z", "per_page": "2", "page": "3"}, ["102"],
         (5, 3, 3, 2)),
        ({"created_after": "2024-12-20T09:00:00Z", "per_page": "2", "page": "4"}, [],
         (5, 3, 4, 2)),
        ({"created_before": "2022-07-01T00:00:00Z", "per_page": "5", "page": "3"},
         ["204", "203", "202", "201"], (14, 3, 3, 5)),
        ({"created_before": "2022-01-31T09:00:00Z"}, [], (0, 0, 0, 20)),  # brainstem: 0
        ({"created_before": "2022-01-31T09:00:01Z"}, ["201"], (1, 1, 1, 20)),
        ({"created_after": "2024-07-01T00:00:00Z", "created_before": "2024-12-14T00:00:00Z",
          "per_page": "10", "page": "2"}, ["247"], (11, 2, 2, 10)),
        ({"updated_after": "2025-01-01T00:00:00Z"},
         ["106", "101", "105", "104", "102", "252", "250"], (7, 1, 1, 20)),
        ({"updated_after": "2025-01-09T13:00:00Z", "created_before": "2025-01-01T00:00:00Z"},
         ["252"], (1, 1, 1, 20)),
    ],
)  # fmt: skip
def test_filters_come_before_pagination(
    api: httpx.Client, params: dict[str, str], ids: list[str], meta: tuple[int, ...]
) -> None:
    data = api.get("/invoices", params=params).json()
    assert [r["id"] for r in data["results"]] == ids
    assert list(data["invoices"]) == ids
    got = data["meta"]
    assert (data["count"], got["page_count"], got["page_number"], got["page_size"]) == meta


def test_filters_with_include(api: httpx.Client) -> None:
    params = {"created_before": "2022-07-01T00:00:00Z", "per_page": "5", "page": "3",
              "include": "workspaces,user,time_entries"}  # fmt: skip
    data = api.get("/invoices", params=params).json()
    assert set(data["invoices"]) == {"201", "202", "203", "204"}
    assert set(data["workspaces"]) == {"61", "64"}
    assert set(data["users"]) == {"7", "13", "14"}
    entries = {e for i in data["invoices"].values() for e in i["time_entry_ids"]}
    assert entries and entries == set(data["time_entries"])
    assert all(i["workspace_ids"] for i in data["invoices"].values())


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"only": "101,103,250,201", "created_after": "2024-12-20T08:00:00Z"}, ["101", "103"]),
        ({"only": "101,103,250,201", "updated_after": "2025-01-01T00:00:00Z"}, ["101", "250"]),
        ({"only": "201,202", "created_after": "2024-01-01T00:00:00Z"}, []),
    ],
)
def test_filters_intersect_only(api: httpx.Client, params: dict[str, str], ids: list[str]) -> None:
    data = api.get("/invoices", params={**params, "per_page": "1"}).json()
    assert [r["id"] for r in data["results"]] == ids
    assert (data["count"], data["meta"]["page_count"]) == (len(ids), 1 if ids else 0)


def test_updated_after_follows_writes(api: httpx.Client) -> None:
    params = {"updated_after": "2025-03-11T00:00:00Z"}
    assert api.get("/invoices", params=params).json()["results"] == []
    assert put(api, "103", {"message": "Danke!"}).status_code == 200
    assert api.put("/invoices/250/cancel").status_code == 422  # paid: nothing changes
    assert [r["id"] for r in api.get("/invoices", params=params).json()["results"]] == ["103"]
    created = {"created_after": "2025-03-11T00:00:00Z"}
    assert api.get("/invoices", params=created).json()["count"] == 0


@pytest.mark.parametrize("param", ["created_after", "created_before", "updated_after"])
@pytest.mark.parametrize(
    "value",
    ["yesterday", "2024-13-01", "2024-12-20T09:00:00 01:00", "1734685200", "2024-12-20T25:00"],
)
def test_a_bad_time_filter_is_400(api: httpx.Client, param: str, value: str) -> None:
    response = api.get("/invoices", params={param: value, "only": "101"})
    assert response.status_code == 400
    assert errors_of(response) == [
        {"type": "validation", "field": param, "message": errors_of(response)[0]["message"]}
    ]
    assert "ISO 8601" in errors_of(response)[0]["message"]


@pytest.mark.parametrize("param", ["created_after", "created_before", "updated_after"])
def test_an_empty_time_filter_is_no_filter(api: httpx.Client, param: str) -> None:
    assert api.get("/invoices", params={param: ""}).json()["count"] == SEEDED


def test_other_index_endpoints_take_no_time_filters(api: httpx.Client) -> None:
    data = api.get("/users", params={"created_after": "yesterday"}).json()
    assert data["count"] == 14


# Auth, 404, request IDs.


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": SANDBOX_TOKEN},
     {"Authorization": f"Basic {SANDBOX_TOKEN}"}],
)  # fmt: skip
def test_missing_or_unknown_token_is_401(origin: str, headers: dict[str, str]) -> None:
    response = httpx.get(f"{origin}/api/v1/invoices/101", headers=headers)
    assert response.status_code == 401
    assert errors_of(response)[0]["type"] == "oauth"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/invoices/101", 200),
        ("GET", "/users", 200),
        ("PUT", "/invoices/101", 403),
        ("PUT", "/invoices/999", 403),
        ("POST", "/invoices", 403),
        ("DELETE", "/invoices/101", 403),
        ("PUT", "/invoices/102/cancel", 403),
    ],
)
def test_readonly_token_reads_but_never_writes(
    origin: str, control: httpx.Client, method: str, path: str, status: int
) -> None:
    headers = {"Authorization": f"Bearer {READONLY_TOKEN}"}
    body = {"invoice": {"message": "x"}}
    response = httpx.request(method, f"{origin}/api/v1{path}", headers=headers, json=body)
    assert response.status_code == status
    if status == 403:
        assert errors_of(response)[0]["type"] == "oauth"
    assert (
        httpx.get(f"{origin}/api/v1/invoices/101", headers=AUTH).json()["invoices"]["101"][
            "message"
        ]
        != "x"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/invoices/999"),
        ("GET", "/users/999"),
        ("GET", "/workspaces/1"),
        ("GET", "/time_entries/1"),
        ("GET", "/expenses/1"),
        ("GET", "/billing_milestones/1"),
        ("GET", "/invoices/abc"),
        ("GET", "/fixed_fee_items/9201"),
        ("GET", "/additional_items"),
        ("PUT", "/invoices/999"),
        ("DELETE", "/invoices/999"),
        ("PUT", "/invoices/999/cancel"),
    ],
)
def test_missing_records_are_404(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path, json={"invoice": {}})
    assert response.status_code == 404
    assert errors_of(response)[0]["type"] == "system"


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/invoices/101", AUTH, 200),
        ("/invoices/999", AUTH, 404),
        ("/invoices/101", {}, 401),
    ],
)
def test_request_id_is_echoed_or_generated(
    origin: str, path: str, headers: dict[str, str], status: int
) -> None:
    url = f"{origin}/api/v1{path}"
    plain = httpx.get(url, headers=headers)
    assert plain.status_code == status
    assert len(plain.headers["X-Request-Id"]) >= 16
    assert plain.headers["X-Request-Id"] != httpx.get(url, headers=headers).headers["X-Request-Id"]
    echoed = httpx.get(url, headers={**headers, "X-Request-Id": "req-abc-123"})
    assert echoed.headers["X-Request-Id"] == "req-abc-123"


# PUT: validation.

BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"user_invoice_number": "A-12"}, "user_invoice_number"),
    ({"user_invoice_number": 1.5}, "user_invoice_number"),
    ({"user_invoice_number": "12"}, "user_invoice_number"),
    ({"user_invoice_number": True}, "user_invoice_number"),
    ({"user_invoice_number": 0}, "user_invoice_number"),
    ({"user_invoice_number": None}, "user_invoice_number"),
    ({"payment_schedule": -1}, "payment_schedule"),
    ({"payment_schedule": "30"}, "payment_schedule"),
    ({"payment_schedule": 7.5}, "payment_schedule"),
    ({"payment_schedule": None}, "payment_schedule"),
    ({"invoice_date": "03/04/2025"}, "invoice_date"),
    ({"invoice_date": "2025-02-30"}, "invoice_date"),
    ({"invoice_date": "2025-03-04T10:00:00Z"}, "invoice_date"),
    ({"invoice_date": 20250304}, "invoice_date"),
    ({"invoice_date": None}, "invoice_date"),
    ({"draft": "yes"}, "draft"),
    ({"draft": None}, "draft"),
    ({"draft": 0}, "draft"),
    ({"message": 5}, "message"),
    ({"user_invoice_title": ["x"]}, "user_invoice_title"),
    ({"purchase_order": {"po": 1}}, "purchase_order"),
    ({"project_code": False}, "project_code"),
    ({"time_entry_ids": "9002"}, "time_entry_ids"),
    ({"time_entry_ids": None}, "time_entry_ids"),
    ({"time_entry_ids": ["x"]}, "time_entry_ids"),
    ({"time_entry_ids": [9999]}, "time_entry_ids"),
    ({"time_entry_ids": [9021]}, "time_entry_ids"),
    ({"time_entry_ids": [9010]}, "time_entry_ids"),
    ({"time_entry_ids": [9040]}, "time_entry_ids"),
    ({"time_entry_ids": [9005]}, "time_entry_ids"),
    ({"time_entry_ids": [9101]}, "time_entry_ids"),
    ({"expense_ids": [9110]}, "expense_ids"),
    ({"expense_ids": [9001]}, "expense_ids"),
    ({"billing_milestone_ids": [9410]}, "billing_milestone_ids"),
    ({"billing_milestone_ids": {"id": 9402}}, "billing_milestone_ids"),
    ({"external_reference": "quickbooks"}, "external_reference"),
    (
        {"external_reference": {"service_model": "Invoice", "service_model_ref": "1"}},
        "external_reference.service_name",
    ),
    (
        {"external_reference": {"service_name": "xero", "service_model_ref": "1"}},
        "external_reference.service_model",
    ),
    (
        {"external_reference": {"service_name": "xero", "service_model": "Invoice"}},
        "external_reference.service_model_ref",
    ),
    (
        {"external_reference": {"service_name": "", "service_model": "I",
                                "service_model_ref": "1"}},
        "external_reference.service_name",
    ),
    (
        {"external_reference": {"service_name": "x", "service_model": "I",
                                "service_model_ref": "1", "status": "great"}},
        "external_reference.status",
    ),
    (
        {"external_reference": {"service_name": "x", "service_model": "I",
                                "service_model_ref": "1", "locked": "no"}},
        "external_reference.locked",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "field"), BAD_FIELDS)
def test_bad_field_is_422_and_nothing_changes(
    api: httpx.Client, fields: dict[str, Any], field: str
) -> None:
    before = invoice(api, "101", ALL_INCLUDES)
    response = put(api, "101", {"message": "should not stick", **fields})
    assert response.status_code == 422, response.text
    errors = errors_of(response)
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["type"] == "validation"
    assert errors[0]["message"]
    assert invoice(api, "101", ALL_INCLUDES) == before


def test_several_bad_fields_are_reported_together(api: httpx.Client) -> None:
    response = put(
        api,
        "101",
        {"user_invoice_number": "A-12", "payment_schedule": -5, "draft": "no",
         "time_entry_ids": [9002, 9999, 9010], "expense_ids": [9102]},
    )  # fmt: skip
    assert response.status_code == 422
    fields = sorted(e["field"] for e in errors_of(response))
    assert fields == sorted(
        ["user_invoice_number", "payment_schedule", "draft", "time_entry_ids", "time_entry_ids"]
    )
    assert invoice(api, "101", "time_entries")["time_entry_ids"] == ["9001"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"[]", b'{"message": "no wrapper"}', b'{"invoice": "x"}',
     b'{"invoice": null}', b'"invoice"'],
)  # fmt: skip
def test_malformed_body_is_400(api: httpx.Client, content: bytes) -> None:
    response = api.put(
        "/invoices/101", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert errors_of(response)[0]["message"]


def test_cancelled_invoice_cannot_be_updated(api: httpx.Client) -> None:
    response = put(api, "105", {"message": "too late"})
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == "status"


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "accepted payment"},
        {"due_date": "2030-01-01"},
        {"tax_rate": 50},
        {"currency": "EUR"},
        {"recipient_id": "9"},
        {"title": "Mine"},
        {"balance_in_cents": 1},
        {"workspace_ids": [57]},
        {"fixed_fee_item_ids": []},
        {"additional_items": [{"amount_in_cents": 1}]},
        {"id": "999"},
    ],
)
def test_read_only_and_unknown_fields_are_ignored(
    api: httpx.Client, fields: dict[str, Any]
) -> None:
    before = invoice(api, "101", ALL_INCLUDES)
    response = put(api, "101", fields, include=ALL_INCLUDES)
    assert response.status_code == 200
    after = response.json()["invoices"]["101"]
    assert after["updated_at"] > before["updated_at"]
    assert {**after, "updated_at": None} == {**before, "updated_at": None}


# PUT: effects.


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"message": "New note", "user_invoice_title": None}, {"message": "New note",
                                                               "user_invoice_title": None}),
        ({"purchase_order": "PO-9", "project_code": ""}, {"purchase_order": "PO-9",
                                                          "project_code": ""}),
        ({"user_invoice_number": 3}, {"user_invoice_number": 3, "title": "Draft Invoice #00003"}),
        ({"draft": False}, {"draft": False, "title": "Invoice #00017", "status": "new"}),
        ({"draft": False, "user_invoice_number": 123456}, {"title": "Invoice #123456"}),
        ({"invoice_date": "2025-04-10"}, {"invoice_date": "2025-04-10", "due_date": "2025-05-10"}),
        ({"payment_schedule": 0}, {"payment_schedule": 0, "due_date": "2025-03-03"}),
        ({"payment_schedule": 45}, {"due_date": "2025-04-17"}),
        ({"invoice_date": "2024-02-15", "payment_schedule": 15}, {"due_date": "2024-03-01"}),
    ],
)  # fmt: skip
def test_put_updates_fields_and_derived_ones(
    api: httpx.Client, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = put(api, "101", fields)
    assert response.status_code == 200, response.text
    shown = response.json()["invoices"]["101"]
    assert {k: shown[k] for k in expected} == expected
    assert invoice(api, "101") == shown


def test_draft_can_turn_back(api: httpx.Client) -> None:
    assert put(api, "102", {"draft": True}).json()["invoices"]["102"]["title"] == (
        "Draft Invoice #00014"
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"time_entry_ids": [9002, "9003"]},
         {"time_entry_ids": ["9002", "9003"], "expense_ids": ["9101"]}),
        ({"time_entry_ids": [9003, 9001, 9003]}, {"time_entry_ids": ["9001", "9003"]}),
        ({"time_entry_ids": [9004]}, {"time_entry_ids": ["9004"]}),
        ({"expense_ids": []}, {"expense_ids": [], "time_entry_ids": ["9001"]}),
        ({"expense_ids": [9102, 9101]}, {"expense_ids": ["9101", "9102"]}),
        ({"billing_milestone_ids": [9402]}, {"billing_milestone_ids": ["9402"]}),
        ({"time_entry_ids": [], "expense_ids": [], "billing_milestone_ids": []},
         {"time_entry_ids": [], "expense_ids": [], "billing_milestone_ids": [],
          "fixed_fee_item_ids": ["9201"], "additional_item_ids": ["9301"]}),
    ],
)  # fmt: skip
def test_billable_lists_overwrite(
    api: httpx.Client, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = put(api, "101", fields, include=ALL_INCLUDES)
    assert response.status_code == 200, response.text
    shown = response.json()["invoices"]["101"]
    assert {k: shown[k] for k in expected} == expected
    assert invoice(api, "101", ALL_INCLUDES) == shown


def test_removed_records_become_free_and_balance_follows(api: httpx.Client) -> None:
    assert invoice(api, "101")["balance_in_cents"] == 818619
    shown = put(api, "101", {"time_entry_ids": [9002]}).json()["invoices"]["101"]
    assert shown["balance_in_cents"] == 818619 - 22500 + 60000
    created = api.post(
        "/invoices", json={"invoice": {"workspace_ids": ["55"], "time_entry_ids": [9001]}}
    )
    assert created.status_code == 200, created.text


def test_last_line_rule(api: httpx.Client) -> None:
    response = put(api, "102", {"time_entry_ids": [], "expense_ids": [], "message": "x"})
    assert response.status_code == 422
    assert [e["field"] for e in errors_of(response)] == ["base"]
    shown = invoice(api, "102", "time_entries,expenses")
    assert (shown["time_entry_ids"], shown["expense_ids"], shown["message"]) == (
        ["9010"], ["9110"], None,
    )  # fmt: skip
    assert put(api, "102", {"time_entry_ids": []}).status_code == 200


def test_put_honours_include(api: httpx.Client) -> None:
    data = put(api, "101", {"message": "m"}, include="user,workspaces,bogus").json()
    assert set(data) == {"count", "meta", "results", "invoices", "users", "workspaces"}
    assert data["invoices"]["101"]["workspace_ids"] == ["55", "56"]


def test_updated_at_strictly_increases_even_within_one_instant(api: httpx.Client) -> None:
    stamps = [put(api, "101", {"message": str(n)}).json()["invoices"]["101"]["updated_at"]
              for n in range(3)]  # fmt: skip
    parsed = [datetime.fromisoformat(s) for s in stamps]
    assert parsed[0] < parsed[1] < parsed[2]
    assert all(p.utcoffset() is not None for p in parsed)


def test_external_reference_update_keeps_its_id(api: httpx.Client) -> None:
    ref = {"service_name": "quickbooks", "service_model": "Invoice", "service_model_ref": "QB-9",
           "external_status": "Sent"}  # fmt: skip
    data = put(api, "101", {"external_reference": ref}, include="external_references").json()
    assert data["invoices"]["101"]["external_reference_ids"] == ["9501"]
    shown = data["external_references"]["9501"]
    assert shown["service_model_ref"] == "QB-9"
    assert shown["external_status"] == "Sent"
    assert shown["external_link"] == "https://qbo.example.com/invoice/117"


def test_external_reference_create(api: httpx.Client) -> None:
    ref = {"service_name": "xero", "service_model": "ACCREC", "service_model_ref": "INV-0042",
           "status": "pending", "locked": True}  # fmt: skip
    data = put(api, "101", {"external_reference": ref}, include="external_references").json()
    ids = data["invoices"]["101"]["external_reference_ids"]
    assert len(ids) == 2 and ids[0] == "9501"
    created = data["external_references"][ids[1]]
    assert {k: created[k] for k in (*ref, "subject_type", "subject_id")} == {
        **ref, "subject_type": "Invoice", "subject_id": "101",
    }  # fmt: skip
    again = put(api, "102", {"external_reference": ref}, include="external_references").json()
    assert len(again["invoices"]["102"]["external_reference_ids"]) == 1


# POST, DELETE, cancel.


def test_post_creates_a_draft_with_defaults(api: httpx.Client) -> None:
    body = {"invoice": {"workspace_ids": [55], "time_entry_ids": [9002], "expense_ids": [9102],
                        "message": "March work", "status": "accepted payment"}}  # fmt: skip
    data = api.post("/invoices", json=body, params={"include": "time_entries"}).json()
    new_id = data["results"][0]["id"]
    shown = data["invoices"][new_id]
    assert {k: shown[k] for k in ("draft", "status", "invoice_date", "due_date", "currency",
                                  "user_id", "recipient_id", "message", "user_invoice_number",
                                  "title", "time_entry_ids", "balance_in_cents")} == {
        "draft": True, "status": "new", "invoice_date": "2025-03-12", "due_date": "2025-04-11",
        "currency": "USD", "user_id": "7", "recipient_id": "8", "message": "March work",
        "user_invoice_number": 19, "title": "Draft Invoice #00019",
        "time_entry_ids": ["9002"], "balance_in_cents": 60000 + 4900,
    }  # fmt: skip
    assert invoice(api, new_id)["id"] == new_id
    assert put(api, "101", {"time_entry_ids": [9002]}).status_code == 422


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_entry_ids": [9002]}, "workspace_ids"),
        ({"workspace_ids": [], "time_entry_ids": [9002]}, "workspace_ids"),
        ({"workspace_ids": [999], "time_entry_ids": [9002]}, "workspace_ids"),
        ({"workspace_ids": [55, 57], "time_entry_ids": [9002]}, "workspace_ids"),
        ({"workspace_ids": "55", "time_entry_ids": [9002]}, "workspace_ids"),
        ({"workspace_ids": [55]}, "base"),
        ({"workspace_ids": [55], "time_entry_ids": [9001]}, "time_entry_ids"),
        ({"workspace_ids": [55], "time_entry_ids": [9002], "draft": "x"}, "draft"),
    ],
)
def test_post_validation(api: httpx.Client, fields: dict[str, Any], field: str) -> None:
    response = api.post("/invoices", json={"invoice": fields})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in errors_of(response)] == [field]
    assert api.get("/invoices").json()["count"] == SEEDED


def test_delete_a_draft_frees_its_records(api: httpx.Client) -> None:
    assert api.delete("/invoices/101").status_code == 204
    assert api.get("/invoices/101").status_code == 404
    assert api.get("/invoices").json()["count"] == SEEDED - 1
    body = {"invoice": {"workspace_ids": [55, 56], "time_entry_ids": [9001],
                        "billing_milestone_ids": [9401]}}  # fmt: skip
    assert api.post("/invoices", json=body).status_code == 200


@pytest.mark.parametrize("invoice_id", ["102", "103", "104", "105"])
def test_only_drafts_can_be_deleted(api: httpx.Client, invoice_id: str) -> None:
    response = api.delete(f"/invoices/{invoice_id}")
    assert response.status_code == 422
    assert errors_of(response)[0]["field"] == "draft"
    assert api.get(f"/invoices/{invoice_id}").status_code == 200


@pytest.mark.parametrize(
    ("invoice_id", "status"),
    [("101", 200), ("102", 200), ("104", 200), ("103", 422), ("105", 422)],
)
def test_cancel(api: httpx.Client, invoice_id: str, status: int) -> None:
    response = api.put(f"/invoices/{invoice_id}/cancel", params={"include": "time_entries"})
    assert response.status_code == status
    if status == 200:
        shown = response.json()["invoices"][invoice_id]
        assert (shown["status"], shown["balance_in_cents"]) == ("cancelled", 0)
        assert "time_entry_ids" in shown
        assert put(api, invoice_id, {"message": "x"}).status_code == 422
    else:
        assert errors_of(response)[0]["field"] == "status"


# The control surface.


def test_fault_injection(api: httpx.Client, control: httpx.Client) -> None:
    fault = {"method": "PUT", "path": "^/api/v1/invoices/101", "status": 503,
             "body": '{"errors": [{"type": "system", "message": "down"}]}', "times": 1}  # fmt: skip
    assert control.post("/faults", json=fault).status_code == 204
    assert api.get("/invoices/101").status_code == 200
    failed = put(api, "101", {"message": "first"})
    assert failed.status_code == 503
    assert errors_of(failed)[0]["message"] == "down"
    assert invoice(api, "101")["message"] != "first"
    assert put(api, "101", {"message": "second"}).status_code == 200


def test_rate_limit_fault_with_headers(api: httpx.Client, control: httpx.Client) -> None:
    fault = {"status": 429, "headers": {"Retry-After": "1"}, "times": 2}
    control.post("/faults", json=fault).raise_for_status()
    assert [api.get("/users").status_code for _ in range(3)] == [429, 429, 200]


def test_requests_are_recorded_without_credentials(
    api: httpx.Client, control: httpx.Client
) -> None:
    put(api, "101.json", {"message": "hello"}, include="user")
    api.get("/users", params={"only": "7,8"})
    recorded = control.get("/requests").json()
    assert [(r["method"], r["path"], r["query"]) for r in recorded] == [
        ("PUT", "/api/v1/invoices/101.json", "include=user"),
        ("GET", "/api/v1/users", "only=7%2C8"),
    ]
    assert json.loads(recorded[0]["body"]) == {"invoice": {"message": "hello"}}
    assert SANDBOX_TOKEN not in str(recorded)


def test_reset_restores_the_seed(api: httpx.Client, control: httpx.Client) -> None:
    seeded = invoice(api, "101", ALL_INCLUDES)
    put(api, "101", {"time_entry_ids": [9002], "message": "changed"})
    api.delete("/invoices/106")
    control.post("/faults", json={"status": 500, "times": None})
    assert control.post("/reset").status_code == 204
    assert control.get("/requests").json() == []
    assert invoice(api, "101", ALL_INCLUDES) == seeded
    assert api.get("/invoices/106").status_code == 200


def test_latency_setting(api: httpx.Client, control: httpx.Client) -> None:
    assert control.get("/settings").json()["latency_ms"] == 0
    control.patch("/settings", json={"latency_ms": 150}).raise_for_status()
    started = time.monotonic()
    assert api.get("/users/7").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_instances_do_not_share_state() -> None:
    first, second = create_kantata_emulator(), create_kantata_emulator()
    with serve(first) as one, serve(second) as two:
        body = {"invoice": {"message": "only in the first"}}
        assert httpx.put(f"{one}/api/v1/invoices/101", json=body, headers=AUTH).status_code == 200
        shown = httpx.get(f"{two}/api/v1/invoices/101", headers=AUTH).json()
        assert shown["invoices"]["101"]["message"] != "only in the first"


def test_works_when_mounted() -> None:
    emulator = create_kantata_emulator()
    outer = Starlette(routes=[Mount("/sandbox/kantata", app=emulator)])
    with serve(outer) as origin:
        base = f"{origin}/sandbox/kantata"
        response = httpx.get(f"{base}/api/v1/invoices/101.json?include=user", headers=AUTH)
        assert response.status_code == 200
        assert set(response.json()["users"]) == {"7"}
        assert httpx.get(f"{base}/api/v1/nowhere", headers=AUTH).status_code == 404
        recorded = httpx.get(f"{base}/_control/requests").json()
        assert [r["path"] for r in recorded] == ["/api/v1/invoices/101.json", "/api/v1/nowhere"]
