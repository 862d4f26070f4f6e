"""The Kitchen emulator over real HTTP: shapes, rules, arithmetic and the control surface."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.sandbox.control import ANSWER_SWITCHES
from gateway.sandbox.kitchen import (
    ACME_API_KEY,
    DEFAULT_SETTINGS,
    READONLY_API_KEY,
    SANDBOX_API_KEY,
    SANDBOX_WORKSPACE,
    create_kitchen_emulator,
)
from gateway.sandbox.kitchen import seed as s
from tests.server import serve

DOCUMENTED_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/json",
    "X-Requested-With": "XMLHttpRequest",
}
# The keys of the seed page's example response, in its order.
INVOICE_KEYS = [
    "archived_at", "amount", "billing_profile", "charge_automatically", "client",
    "created_at", "creator", "currency", "discount_amount", "discounts", "due_date",
    "due_date_in_days", "due_reminder_message", "due_reminder_send_date",
    "due_reminder_send_days", "due_reminder_sent_at", "file", "finalized_at", "footer_notes",
    "id", "is_external", "issue_date", "items", "language", "marked_uncollectible_at", "memo",
    "meta", "number", "paid_at", "payment_gateways", "recurring_invoice", "status",
    "tax_items", "tax_amount", "total_amount", "type", "updated_at", "voided_at", "visibility",
]  # fmt: skip
USER_KEYS = [
    "id", "name", "email", "username", "phone", "title", "language", "timezone", "group",
    "role", "created_at", "updated_at",
]  # fmt: skip
NAMED_ACTIVE = [
    s.IN_DRAFT, s.IN_NO_CLIENT, s.IN_OPEN, s.IN_EXTERNAL, s.IN_JPY, s.IN_PAID, s.IN_VOID,
]  # fmt: skip
# The older seed invoices, newest first, by number (IDs are `seed_id("in_", number)`).
OLDER_ACTIVE = [
    "FP-00010", "FP-00009", "FP-00008", "FP-00007", "FP-00006", "FP-00005", "FP-00004",
    "FP-00003", "FP-00002", "FP-2023-014", "FP-2023-013", "FP-2023-012", "FP-2023-011",
    "FP-2023-010", "FP-2023-009", "FP-2023-008", "FP-2023-007", "FP-2023-006", "FP-2023-005",
]  # fmt: skip
OLDER_ARCHIVED = ["FP-00001", "FP-2023-004", "FP-2023-003", "FP-2023-002", "FP-2023-001"]
ACTIVE_NEWEST_FIRST = [*NAMED_ACTIVE, *(s.seed_id("in_", n) for n in OLDER_ACTIVE)]
ARCHIVED_NEWEST_FIRST = [s.IN_ARCHIVED, *(s.seed_id("in_", n) for n in OLDER_ARCHIVED)]
ALL_NEWEST_FIRST = [
    *NAMED_ACTIVE, s.IN_ARCHIVED, *(s.seed_id("in_", n) for n in OLDER_ACTIVE[:9]),
    s.seed_id("in_", "FP-00001"), *(s.seed_id("in_", n) for n in OLDER_ACTIVE[9:]),
    *(s.seed_id("in_", n) for n in OLDER_ARCHIVED[1:]),
]  # fmt: skip
ACTIVE, ARCHIVED = 26, 6


def exact(response: httpx.Response) -> Any:
    """The JSON body with numbers read as exact decimals."""
    return json.loads(response.text, parse_float=Decimal)


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with serve(create_kitchen_emulator()) as url:
        yield url


@pytest.fixture
def control(origin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{origin}/_control") as client:
        client.post("/reset").raise_for_status()
        yield client


@pytest.fixture
def api(origin: str, control: httpx.Client) -> Iterator[httpx.Client]:
    headers = {**DOCUMENTED_HEADERS, "Authorization": f"Bearer {SANDBOX_API_KEY}"}
    with httpx.Client(base_url=f"{origin}/{SANDBOX_WORKSPACE}/api", headers=headers) as client:
        yield client


def put(api: httpx.Client, id: str, body: Any, **params: Any) -> httpx.Response:
    return api.put(f"/invoices/{id}", json=body, params=params)


# --- shapes ----------------------------------------------------------------------------


def test_invoice_has_exactly_the_seed_page_keys_and_formats(api: httpx.Client) -> None:
    invoice = exact(api.get(f"/invoices/{s.IN_DRAFT}"))
    assert list(invoice) == INVOICE_KEYS
    assert invoice["id"] == s.IN_DRAFT
    assert invoice["client"] == s.PRIYA and invoice["creator"] == s.MAYA
    assert invoice["billing_profile"] == s.BILLING_PROFILE
    assert invoice["issue_date"] == "2024-07-12T00:00:00+00:00"
    assert invoice["due_date"] == "2024-07-20T23:59:59+00:00"
    assert invoice["due_reminder_send_date"] == "2024-07-22T00:00:00+00:00"
    assert [i["quantity"] for i in invoice["items"]] == ["1.00", "3.00", "2.50"]
    item_keys = ["amount", "currency", "description", "id", "quantity", "title"]
    assert list(invoice["items"][0]) == item_keys
    assert list(invoice["discounts"][0]) == ["amount", "currency", "id", "title", "type"]
    assert list(invoice["tax_items"][0]) == ["amount", "currency", "id", "title"]
    for prefix, ids in [
        ("invi_", [i["id"] for i in invoice["items"]]),
        ("invti_", [d["id"] for d in invoice["discounts"] + invoice["tax_items"]]),
    ]:
        for id in ids:
            assert id.startswith(prefix) and len(id) == len(prefix) + 24


def test_money_fields_are_json_numbers_never_strings(api: httpx.Client) -> None:
    text = api.get(f"/invoices/{s.IN_DRAFT}").text
    assert '"amount":3650,' in text
    assert '"discount_amount":365,' in text
    assert '"tax_amount":291.54,' in text
    assert '"total_amount":3576.54,' in text
    assert '"amount":8.875,' in text  # the tax rate, as sent


def test_users_have_the_documented_keys_and_groups(api: httpx.Client) -> None:
    client = api.get(f"/clients/{s.PRIYA}").json()
    member = api.get(f"/members/{s.MAYA}").json()
    assert list(client) == USER_KEYS and client["group"] == "client"
    assert list(member) == USER_KEYS and member["group"] == "manager"


def test_a_member_is_not_found_through_clients_and_vice_versa(api: httpx.Client) -> None:
    assert api.get(f"/clients/{s.MAYA}").status_code == 404
    response = api.get(f"/members/{s.PRIYA}")
    assert response.status_code == 404
    message = f"No query results for model [App\\Models\\User] {s.PRIYA}"
    assert response.json() == {"message": message}


def test_user_lists_filter_by_name_and_email(api: httpx.Client) -> None:
    def ids(path: str, **params: str) -> list[str]:
        return [u["id"] for u in api.get(path, params=params).json()["data"]]

    assert ids("/clients") == [s.OLIVER, s.AMELIE, s.HANNAH, s.PRIYA, s.JONAS, s.KENJI]
    assert ids("/members") == [s.MAYA, s.THEO, s.SOFIA]
    assert ids("/clients", name="jonas") == [s.JONAS]
    assert ids("/clients", name="AMÉLIE") == [s.AMELIE]
    assert ids("/clients", email="SAKURA-CERAMICS") == [s.KENJI]
    assert ids("/clients", name="priya", email="lumen") == []
    assert ids("/members", email="fennelpine.studio") == [s.MAYA, s.THEO, s.SOFIA]


# --- lists -----------------------------------------------------------------------------


def test_paginator_shape(api: httpx.Client) -> None:
    body = api.get("/invoices", params={"per_page": 3}).json()
    assert list(body) == ["data", "links", "meta"]
    assert [i["id"] for i in body["data"]] == ACTIVE_NEWEST_FIRST[:3]
    base = f"{api.base_url}invoices"
    assert body["links"] == {
        "first": f"{base}?per_page=3&page=1",
        "last": f"{base}?per_page=3&page=9",
        "prev": None,
        "next": f"{base}?per_page=3&page=2",
    }
    meta = body["meta"]
    assert {k: v for k, v in meta.items() if k != "links"} == {
        "current_page": 1, "from": 1, "last_page": 9, "path": base, "per_page": 3, "to": 3,
        "total": ACTIVE,
    }  # fmt: skip
    assert [(link["label"], link["active"]) for link in meta["links"]] == [
        ("&laquo; Previous", False), ("1", True),
        *((str(n), False) for n in range(2, 10)), ("Next &raquo;", False),
    ]  # fmt: skip


def test_walking_next_links_visits_every_invoice_once_newest_first(api: httpx.Client) -> None:
    seen: list[str] = []
    pages = 0
    url: str | None = "/invoices?per_page=4"
    while url is not None:
        body = api.get(url).json()
        pages += 1
        assert body["meta"]["current_page"] == pages
        seen += [i["id"] for i in body["data"]]
        url = body["links"]["next"]
    assert pages == 7
    assert len(seen) == ACTIVE and seen == ACTIVE_NEWEST_FIRST
    assert body["meta"]["from"] == 25 and body["meta"]["to"] == 26
    assert body["links"]["prev"] == f"{api.base_url}invoices?per_page=4&page=6"


@pytest.mark.parametrize(
    ("params", "per_page", "count"),
    [
        ({}, 15, 15),
        ({"per_page": "500"}, 100, ACTIVE),
        ({"per_page": "abc"}, 15, 15),
        ({"per_page": "0"}, 15, 15),
        ({"per_page": "-4"}, 15, 15),
        ({"per_page": "1", "page": "junk"}, 1, 1),
    ],
)
def test_per_page_defaults_and_limits(
    api: httpx.Client, params: dict[str, str], per_page: int, count: int
) -> None:
    body = api.get("/invoices", params=params).json()
    assert body["meta"]["per_page"] == per_page
    assert body["meta"]["current_page"] == 1
    assert len(body["data"]) == count


def test_a_page_past_the_end_is_empty(api: httpx.Client) -> None:
    body = api.get("/invoices", params={"page": 9}).json()
    assert body["data"] == []
    assert body["meta"]["from"] is None and body["meta"]["to"] is None
    assert body["meta"]["total"] == ACTIVE and body["meta"]["last_page"] == 2
    assert body["links"]["next"] is None


def test_meta_links_use_laravels_sliding_window(api: httpx.Client) -> None:
    for _ in range(12):
        assert api.post("/invoices", json={}).status_code == 201
    body = api.get("/invoices", params={"per_page": 1, "page": 10, "state": "all"}).json()
    assert body["meta"]["last_page"] == ACTIVE + ARCHIVED + 12
    labels = [link["label"] for link in body["meta"]["links"]]
    assert labels == [
        "&laquo; Previous", "1", "2", "...", "7", "8", "9", "10", "11", "12", "13", "...",
        "43", "44", "Next &raquo;",
    ]  # fmt: skip
    near_start = api.get("/invoices", params={"per_page": 1, "page": 2, "state": "all"})
    assert [link["label"] for link in near_start.json()["meta"]["links"]][1:-1] == [
        *map(str, range(1, 11)), "...", "43", "44",
    ]  # fmt: skip
    near_end = api.get("/invoices", params={"per_page": 1, "page": 40, "state": "all"})
    assert [link["label"] for link in near_end.json()["meta"]["links"]][1:-1] == [
        "1", "2", "...", *map(str, range(35, 45)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (None, ACTIVE_NEWEST_FIRST),
        ("active", ACTIVE_NEWEST_FIRST),
        ("archived", ARCHIVED_NEWEST_FIRST),
        ("all", ALL_NEWEST_FIRST),
    ],
)
def test_state_filter(api: httpx.Client, state: str | None, expected: list[str]) -> None:
    params = {"state": state, "per_page": "100"} if state else {"per_page": "100"}
    body = api.get("/invoices", params=params).json()
    assert [i["id"] for i in body["data"]] == expected
    assert body["meta"]["total"] == len(expected)


def test_an_unknown_state_is_a_422(api: httpx.Client) -> None:
    response = api.get("/invoices", params={"state": "deleted"})
    assert response.status_code == 422
    assert response.json() == {
        "message": "The selected state is invalid.",
        "errors": {"state": ["The selected state is invalid."]},
    }


# --- the status and number filters [guess] ---------------------------------------------


def numbers(body: Any) -> list[str]:
    return [i["number"] for i in body["data"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, [
            "FP-00016", "FP-00015", "FP-00014", "FP-00010", "FP-00008", "FP-00006", "FP-00003",
            "FP-00002",
        ]),
        ({"status": "draft"}, ["FP-00018", "FP-00017", "FP-00009", "FP-00004"]),
        ({"status": "uncollectible"}, ["FP-00007", "FP-2023-008"]),
        ({"status": "void"}, ["FP-00012"]),
        ({"status": "void", "state": "active"}, ["FP-00012"]),
        ({"status": "void", "state": "archived"}, ["FP-2023-004"]),
        ({"status": "void", "state": "all"}, ["FP-00012", "FP-2023-004"]),
        ({"status": "paid", "state": "archived"}, [
            "FP-00011", "FP-00001", "FP-2023-003", "FP-2023-002", "FP-2023-001",
        ]),
        ({"status": "draft", "state": "archived"}, []),
        ({"status": " uncollectible "}, ["FP-00007", "FP-2023-008"]),  # trimmed
        ({"status": ""}, [*(f"FP-{n:05d}" for n in range(18, 11, -1)), *OLDER_ACTIVE]),
        ({"number": "FP-00016"}, ["FP-00016"]),
        ({"number": "FP-2023-008"}, ["FP-2023-008"]),
        ({"number": " FP-00016\t"}, ["FP-00016"]),  # trimmed
        ({"number": "FP-00011"}, []),  # archived
        ({"number": "FP-00011", "state": "all"}, ["FP-00011"]),
        ({"number": "FP-00011", "state": "archived", "status": "paid"}, ["FP-00011"]),
        ({"number": "fp-00016"}, []),  # case-sensitive
        ({"number": "FP-0001"}, []),  # exact, not a prefix
        ({"number": "00016"}, []),
        ({"number": "FP-00016", "status": "open"}, ["FP-00016"]),
        ({"number": "FP-00016", "status": "paid"}, []),
        ({"number": "FP-00016", "status": "open", "state": "archived"}, []),
    ],
)  # fmt: skip
def test_status_and_number_filters(
    api: httpx.Client, params: dict[str, str], expected: list[str]
) -> None:
    body = api.get("/invoices", params={**params, "per_page": "100"}).json()
    assert numbers(body) == expected
    meta = body["meta"]
    assert (meta["total"], meta["last_page"]) == (len(expected), 1)
    assert (meta["from"], meta["to"]) == ((1, len(expected)) if expected else (None, None))
    status = params.get("status", "").strip()
    assert all(i["status"] == status for i in body["data"] if status)


def test_a_filtered_list_pages_over_the_filtered_set(api: httpx.Client) -> None:
    paid = [
        "FP-00013", "FP-00005", "FP-2023-014", "FP-2023-013", "FP-2023-012", "FP-2023-011",
        "FP-2023-010", "FP-2023-009", "FP-2023-007", "FP-2023-006", "FP-2023-005",
    ]  # fmt: skip
    first = api.get("/invoices", params={"status": "paid", "per_page": 4}).json()
    assert numbers(first) == paid[:4]
    meta = first["meta"]
    assert (meta["total"], meta["last_page"], meta["from"], meta["to"]) == (11, 3, 1, 4)
    base = f"{api.base_url}invoices"
    assert first["links"]["last"] == f"{base}?status=paid&per_page=4&page=3"
    assert [link["url"] for link in meta["links"][1:-1]] == [
        f"{base}?status=paid&per_page=4&page={n}" for n in (1, 2, 3)
    ]
    seen: list[str] = []
    url: str | None = first["links"]["first"]
    while url is not None:
        body = api.get(url).json()
        assert {i["status"] for i in body["data"]} == {"paid"}
        seen += numbers(body)
        url = body["links"]["next"]
    assert seen == paid
    assert (body["meta"]["from"], body["meta"]["to"]) == (9, 11)
    past = api.get("/invoices", params={"status": "paid", "per_page": 4, "page": 4}).json()
    assert past["data"] == [] and past["meta"]["total"] == 11


def test_filters_combine_with_state_paging_and_expand(api: httpx.Client) -> None:
    params: Params = [
        ("state", "all"), ("status", "paid"), ("per_page", 2), ("page", 2),
        ("expand[]", "client"), ("expand[]", "creator"),
    ]  # fmt: skip
    body = api.get("/invoices", params=params).json()
    # all paid, newest first: FP-00013, FP-00011, FP-00005, FP-00001, FP-2023-014, ...
    assert numbers(body) == ["FP-00005", "FP-00001"]
    assert body["meta"]["total"] == 16 and body["meta"]["last_page"] == 8
    assert [i["client"] and i["client"]["id"] for i in body["data"]] == [None, s.OLIVER]
    assert [i["creator"]["name"] for i in body["data"]] == ["Maya Lindqvist"] * 2
    assert body["data"][1]["archived_at"] == "2024-01-15T09:00:00+00:00"
    query = "state=all&status=paid&per_page=2&expand%5B%5D=client&expand%5B%5D=creator"
    assert body["links"]["prev"] == f"{api.base_url}invoices?{query}&page=1"
    assert body["links"]["next"] == f"{api.base_url}invoices?{query}&page=3"
    nxt = api.get(body["links"]["next"]).json()
    assert numbers(nxt) == ["FP-2023-014", "FP-2023-013"]
    assert [i["client"]["name"] for i in nxt["data"]] == ["Amélie Durand", "Oliver Grant"]
    assert [i["creator"]["id"] for i in nxt["data"]] == [s.THEO, s.THEO]

    written_off = api.get("/invoices", params=[("number", "FP-00007"), *ALL_EXPANDS]).json()["data"]
    assert [(i["client"], i["creator"]["id"]) for i in written_off] == [(None, s.SOFIA)]
    assert written_off[0]["billing_profile"]["id"] == s.BILLING_PROFILE


def test_filters_see_created_invoices(api: httpx.Client) -> None:
    created = api.post("/invoices", json={"client": s.HANNAH}).json()
    drafts = api.get("/invoices", params={"status": "draft"}).json()
    assert numbers(drafts) == ["FP-00019", "FP-00018", "FP-00017", "FP-00009", "FP-00004"]
    found = api.get("/invoices", params={"number": "FP-00019"}).json()
    assert [i["id"] for i in found["data"]] == [created["id"]]
    assert api.delete(f"/invoices/{created['id']}").status_code == 204
    assert api.get("/invoices", params={"number": "FP-00019"}).json()["meta"]["total"] == 0


@pytest.mark.parametrize("status", ["overdue", "PAID", "Open", "all", "archived"])
def test_an_unknown_status_is_a_422(api: httpx.Client, status: str) -> None:
    response = api.get("/invoices", params={"status": status})
    assert response.status_code == 422
    assert response.json() == {
        "message": "The selected status is invalid.",
        "errors": {"status": ["The selected status is invalid."]},
    }


def test_a_bad_state_and_status_are_reported_together(api: httpx.Client) -> None:
    response = api.get("/invoices", params={"status": "late", "state": "deleted"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The selected state is invalid. (and 1 more error)"
    assert list(body["errors"]) == ["state", "status"]
    assert body["errors"]["status"] == ["The selected status is invalid."]


# --- the seed --------------------------------------------------------------------------


def test_every_seed_invoice_is_consistent(api: httpx.Client) -> None:
    params: Params = [("state", "all"), ("per_page", 100), *ALL_EXPANDS]
    invoices = exact(api.get("/invoices", params=params))["data"]
    assert len(invoices) == ACTIVE + ARCHIVED == 32
    assert [i["id"] for i in invoices] == ALL_NEWEST_FIRST
    assert len({i["number"] for i in invoices}) == 32
    oldest_named = api.get(f"/invoices/{s.IN_ARCHIVED}").json()["created_at"]
    settled = {"paid": "paid_at", "void": "voided_at", "uncollectible": "marked_uncollectible_at"}
    for invoice in invoices:
        id, number, status = invoice["id"], invoice["number"], invoice["status"]
        assert re.fullmatch(r"in_[0-9a-f]{24}", id), id
        if number.startswith("FP-0000") or number.startswith("FP-2023-"):
            assert id == s.seed_id("in_", number)
            assert invoice["created_at"] < oldest_named
            assert 1 <= len(invoice["items"]) <= 4
        assert invoice["client"] is None or invoice["client"]["group"] == "client"
        assert invoice["creator"]["group"] == "manager"
        assert (invoice["finalized_at"] is None) == (status == "draft"), number
        for when_status, key in settled.items():
            assert (invoice[key] is not None) == (status == when_status), (number, key)
        if not invoice["is_external"]:
            lines = sum(Decimal(i["quantity"]) * i["amount"] for i in invoice["items"])
            assert invoice["amount"] == lines, number
        assert invoice["total_amount"] == (
            invoice["amount"] - invoice["discount_amount"] + invoice["tax_amount"]
        )
    assert Counter(i["status"] for i in invoices) == {
        "paid": 16, "open": 8, "draft": 4, "void": 2, "uncollectible": 2,
    }  # fmt: skip
    assert Counter(i["currency"] for i in invoices) == {"USD": 17, "EUR": 6, "GBP": 6, "JPY": 3}
    assert Counter(i["client"] and i["client"]["id"] for i in invoices) == {
        s.PRIYA: 10, s.OLIVER: 6, s.AMELIE: 5, s.HANNAH: 4, None: 5, s.JONAS: 1, s.KENJI: 1,
    }  # fmt: skip
    assert Counter(i["creator"]["id"] for i in invoices) == {s.MAYA: 17, s.THEO: 11, s.SOFIA: 4}
    first_page = api.get("/invoices", params={"per_page": 20, "expand[]": "client"}).json()
    assert first_page["data"][:7] == [
        api.get(f"/invoices/{id}", params={"expand[]": "client"}).json() for id in NAMED_ACTIVE
    ]


def test_older_seed_invoices_have_exact_money(api: httpx.Client) -> None:
    packaging = api.get(f"/invoices/{s.seed_id('in_', 'FP-00006')}")
    assert '"amount":7040,' in packaging.text and '"discount_amount":300,' in packaging.text
    assert '"total_amount":6740,' in packaging.text
    blend = api.get(f"/invoices/{s.seed_id('in_', 'FP-00010')}")
    assert '"discount_amount":113.5,' in blend.text and '"tax_amount":191.39,' in blend.text
    assert '"total_amount":2347.89,' in blend.text  # 5% off 2270, then 8.875% of 2156.50
    invitations = api.get(f"/invoices/{s.seed_id('in_', 'FP-00008')}").json()
    assert [i["quantity"] for i in invitations["items"]] == ["150.00", "150.00"]
    assert invitations["total_amount"] == 954 and invitations["currency"] == "EUR"
    workshop = api.get(f"/invoices/{s.seed_id('in_', 'FP-00005')}")
    assert '"amount":186000,' in workshop.text and '"total_amount":204600,' in workshop.text


# --- expand[] --------------------------------------------------------------------------

Params = list[tuple[str, str | int | float | bool | None]]
ALL_EXPANDS: Params = [
    ("expand[]", "client"),
    ("expand[]", "creator"),
    ("expand[]", "billing_profile"),
]


def test_expand_array_syntax_replaces_ids_with_objects(api: httpx.Client) -> None:
    invoice = api.get(f"/invoices/{s.IN_DRAFT}", params=ALL_EXPANDS).json()
    assert invoice["client"]["id"] == s.PRIYA and list(invoice["client"]) == USER_KEYS
    assert invoice["creator"]["id"] == s.MAYA and invoice["creator"]["group"] == "manager"
    assert invoice["billing_profile"]["id"] == s.BILLING_PROFILE


def test_indexed_array_syntax_also_expands(api: httpx.Client) -> None:
    invoice = api.get(f"/invoices/{s.IN_DRAFT}", params=[("expand[0]", "client")]).json()
    assert invoice["client"]["id"] == s.PRIYA
    assert invoice["creator"] == s.MAYA


@pytest.mark.parametrize(
    "params",
    [[("expand", "client")], [("expand", "client,creator")], [("expand[]", "nonsense")]],
)
def test_plain_expand_is_ignored(api: httpx.Client, params: Params) -> None:
    invoice = api.get(f"/invoices/{s.IN_DRAFT}", params=params).json()
    assert invoice["client"] == s.PRIYA and invoice["creator"] == s.MAYA


def test_expand_on_lists_and_null_client(api: httpx.Client) -> None:
    body = api.get("/invoices", params=[*ALL_EXPANDS, ("per_page", "2")]).json()
    assert [i["client"] for i in body["data"]][1] is None  # IN_NO_CLIENT
    assert body["data"][0]["client"]["email"] == "priya@harborcoffee.com"
    assert body["data"][1]["creator"]["id"] == s.THEO
    assert "expand%5B%5D=client" in body["links"]["next"]


def test_expand_on_put(api: httpx.Client) -> None:
    response = api.put(f"/invoices/{s.IN_DRAFT}", json={"memo": "x"}, params=ALL_EXPANDS)
    assert response.status_code == 200
    assert response.json()["client"]["id"] == s.PRIYA
    assert response.json()["billing_profile"]["company_name"] == "Fennel & Pine Studio AB"
    plain = put(api, s.IN_DRAFT, {"memo": "y"})
    assert plain.json()["client"] == s.PRIYA


def test_honour_expand_false_leaves_ids(api: httpx.Client, control: httpx.Client) -> None:
    assert control.get("/settings").json() == {**ANSWER_SWITCHES, **DEFAULT_SETTINGS}
    patched = control.patch("/settings", json={"honour_expand": False})
    assert patched.json() == {**ANSWER_SWITCHES, **DEFAULT_SETTINGS, "honour_expand": False}
    assert api.get(f"/invoices/{s.IN_DRAFT}", params=ALL_EXPANDS).json()["client"] == s.PRIYA
    updated = api.put(f"/invoices/{s.IN_DRAFT}", json={}, params=ALL_EXPANDS)
    assert updated.json()["creator"] == s.MAYA
    control.post("/reset")
    assert control.get("/settings").json() == {**ANSWER_SWITCHES, **DEFAULT_SETTINGS}


# --- PUT validation --------------------------------------------------------------------

INVALID_BODIES: list[tuple[dict[str, Any], str, str]] = [
    ({"client": s.MAYA}, "client", "The selected client is invalid."),
    ({"client": "u_000000000000000000000000"}, "client", "The selected client is invalid."),
    ({"client": 5}, "client", "The client field must be a string."),
    ({"currency": "XYZ"}, "currency", "The selected currency is invalid."),
    ({"currency": "usd"}, "currency", "The selected currency is invalid."),
    ({"currency": None}, "currency", "The currency field must be a string."),
    ({"discounts": "10%"}, "discounts", "The discounts field must be an array."),
    (
        {"discounts": [{"amount": 5, "type": "fixed"}]},
        "discounts.0.title",
        "The discounts.0.title field is required.",
    ),
    (
        {"discounts": [{"title": "d", "amount": 5, "type": "bogus"}]},
        "discounts.0.type",
        "The selected discounts.0.type is invalid.",
    ),
    (
        {"discounts": [{"title": "d", "amount": 101, "type": "percentage"}]},
        "discounts.0.amount",
        "The discounts.0.amount field must not be greater than 100.",
    ),
    (
        {"discounts": [{"title": "d", "amount": -1, "type": "fixed"}]},
        "discounts.0.amount",
        "The discounts.0.amount field must be at least 0.",
    ),
    (
        {"discounts": [{"title": "d", "amount": 1, "type": "fixed", "currency": "EUR"}]},
        "discounts.0.currency",
        "The selected discounts.0.currency is invalid.",
    ),
    ({"discounts": ["ten"]}, "discounts.0", "The discounts.0 field must be an array."),
    (
        {"due_date_in_days": -1},
        "due_date_in_days",
        "The due date in days field must be at least 0.",
    ),
    (
        {"due_date_in_days": "soon"},
        "due_date_in_days",
        "The due date in days field must be an integer.",
    ),
    (
        {"due_date_in_days": 1.5},
        "due_date_in_days",
        "The due date in days field must be an integer.",
    ),
    (
        {"due_date_in_days": True},
        "due_date_in_days",
        "The due date in days field must be an integer.",
    ),
    (
        {"due_reminder_message": 3},
        "due_reminder_message",
        "The due reminder message field must be a string.",
    ),
    (
        {"due_reminder_send_days": "x"},
        "due_reminder_send_days",
        "The due reminder send days field must be an integer.",
    ),
    ({"folder": []}, "folder", "The folder field must be a string."),
    (
        {"footer_notes": "x" * 256},
        "footer_notes",
        "The footer notes field must not be greater than 255 characters.",
    ),
    ({"grand_total": "lots"}, "grand_total", "The grand total field must be a number."),
    ({"issue_date": "next tuesday"}, "issue_date", "The issue date field must be a valid date."),
    ({"issue_date": 20240712}, "issue_date", "The issue date field must be a valid date."),
    ({"items": {"title": "x"}}, "items.title", "The items.title field must be an array."),
    ({"items": [{"amount": 1}]}, "items.0.title", "The items.0.title field is required."),
    ({"items": [{"title": "x"}]}, "items.0.amount", "The items.0.amount field is required."),
    (
        {"items": [{"title": "x", "amount": "1,5"}]},
        "items.0.amount",
        "The items.0.amount field must be a number.",
    ),
    (
        {"items": [{"title": "x", "amount": 1, "quantity": 0}]},
        "items.0.quantity",
        "The items.0.quantity field must be greater than 0.",
    ),
    (
        {"items": [{"title": "x", "amount": 1, "quantity": "two"}]},
        "items.0.quantity",
        "The items.0.quantity field must be a number.",
    ),
    (
        {"items": [{"title": "x", "amount": 1, "currency": "EUR"}]},
        "items.0.currency",
        "The selected items.0.currency is invalid.",
    ),
    (
        {"items": [{"title": "x" * 256, "amount": 1}]},
        "items.0.title",
        "The items.0.title field must not be greater than 255 characters.",
    ),
    (
        {"items": [{"title": "x", "amount": 1e20}]},
        "items.0.amount",
        "The items.0.amount field must be between -1000000000000 and 1000000000000.",
    ),
    ({"language": "en-US"}, "language", "The language field format is invalid."),
    ({"language": "english"}, "language", "The language field format is invalid."),
    ({"memo": {"text": "hi"}}, "memo", "The memo field must be a string."),
    ({"number": "FP-00017"}, "number", "The number has already been taken."),
    ({"number": None}, "number", "The number field must be a string."),
    ({"number": ""}, "number", "The number field must be a string."),
    (
        {"payment_gateways": ["cash"]},
        "payment_gateways.0",
        "The selected payment gateways.0 is invalid.",
    ),
    (
        {"payment_gateways": "bank"},
        "payment_gateways",
        "The payment gateways field must be an array.",
    ),
    (
        {"payment_gateways": ["bank", "bank"]},
        "payment_gateways.1",
        "The payment gateways.1 field has a duplicate value.",
    ),
    (
        {"tax_items": [{"title": "VAT", "amount": 120}]},
        "tax_items.0.amount",
        "The tax items.0.amount field must not be greater than 100.",
    ),
    (
        {"tax_items": [{"title": "VAT"}]},
        "tax_items.0.amount",
        "The tax items.0.amount field is required.",
    ),
    ({"visibility": "public"}, "visibility", "The selected visibility is invalid."),
]


@pytest.mark.parametrize(("body", "field", "message"), INVALID_BODIES)
def test_put_rejects_invalid_parameters(
    api: httpx.Client, body: dict[str, Any], field: str, message: str
) -> None:
    before = api.get(f"/invoices/{s.IN_DRAFT}").json()
    response = put(api, s.IN_DRAFT, {"memo": "not applied", **body})
    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": {field: [message]}}
    assert api.get(f"/invoices/{s.IN_DRAFT}").json() == before


def test_several_invalid_fields_are_reported_together(api: httpx.Client) -> None:
    response = put(
        api,
        s.IN_DRAFT,
        {
            "currency": "XYZ",
            "footer_notes": "x" * 300,
            "items": [{"quantity": -1, "amount": 1}],
            "visibility": "shared",
        },
    )
    body = response.json()
    assert response.status_code == 422
    fields = ["currency", "footer_notes", "items.0.title", "items.0.quantity"]
    assert list(body["errors"]) == fields
    assert body["message"] == "The selected currency is invalid. (and 3 more errors)"
    two = put(api, s.IN_DRAFT, {"visibility": "x", "language": "x"}).json()
    assert two["message"] == "The language field format is invalid. (and 1 more error)"


def test_valid_values_are_accepted(api: httpx.Client) -> None:
    body = {
        "client": s.JONAS,
        "due_date_in_days": "21",
        "due_reminder_message": None,
        "due_reminder_send_days": -3,
        "folder": "f_anything",
        "footer_notes": "x" * 255,
        "language": "de_DE",
        "memo": "Danke!",
        "number": "FP-2024-XL",
        "payment_gateways": ["paypal", "stripe_ach"],
        "visibility": "private",
    }
    invoice = put(api, s.IN_DRAFT, body).json()
    expected = {k: v for k, v in body.items() if k != "folder"}
    assert {k: invoice[k] for k in expected} == {**expected, "due_date_in_days": 21}
    assert "folder" not in invoice
    assert put(api, s.IN_DRAFT, {"client": None}).json()["client"] is None


def test_absent_parameters_are_left_unchanged(api: httpx.Client) -> None:
    before = api.get(f"/invoices/{s.IN_DRAFT}").json()
    after = put(api, s.IN_DRAFT, {"memo": "Only this"}).json()
    changed = {k for k in INVOICE_KEYS if before[k] != after[k]}
    assert changed == {"memo", "updated_at"}


def test_read_only_and_unknown_fields_are_ignored(api: httpx.Client) -> None:
    body = {"status": "paid", "total_amount": 1, "id": "in_x", "created_at": "2000-01-01", "x": 1}
    invoice = put(api, s.IN_DRAFT, body).json()
    assert invoice["status"] == "draft" and invoice["id"] == s.IN_DRAFT
    assert invoice["total_amount"] == 3576.54
    assert invoice["created_at"] == "2024-07-08T10:14:00+00:00"


def test_strings_are_trimmed_and_empty_strings_become_null(api: httpx.Client) -> None:
    invoice = put(api, s.IN_DRAFT, {"number": "  FP-X1 ", "memo": "", "footer_notes": "   "})
    assert invoice.json()["number"] == "FP-X1"
    assert invoice.json()["memo"] is None and invoice.json()["footer_notes"] is None


@pytest.mark.parametrize(("id", "status"), [(s.IN_PAID, "paid"), (s.IN_VOID, "void")])
def test_paid_and_void_invoices_cannot_be_updated(api: httpx.Client, id: str, status: str) -> None:
    response = put(api, id, {"memo": "late change"})
    message = f"A {status} invoice cannot be updated."
    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": {"status": [message]}}
    assert api.get(f"/invoices/{id}").json()["memo"] != "late change"


def test_open_invoices_can_be_updated(api: httpx.Client) -> None:
    assert put(api, s.IN_OPEN, {"memo": "Bitte bis Monatsende."}).status_code == 200


def test_number_is_unique_per_workspace(api: httpx.Client, origin: str) -> None:
    assert put(api, s.IN_DRAFT, {"number": "FP-00018"}).status_code == 200  # its own
    taken = put(api, s.IN_DRAFT, {"number": "FP-00016"})
    assert taken.json()["errors"] == {"number": ["The number has already been taken."]}
    acme = httpx.put(
        f"{origin}/acme/api/invoices/{s.ACME_INVOICE}",
        json={"number": "FP-00016"},
        headers={**DOCUMENTED_HEADERS, "Authorization": f"Bearer {ACME_API_KEY}"},
    )
    assert acme.status_code == 200 and acme.json()["number"] == "FP-00016"


# --- items, money and dates ------------------------------------------------------------


def test_items_replace_the_whole_list_with_new_ids(api: httpx.Client) -> None:
    before = api.get(f"/invoices/{s.IN_DRAFT}").json()
    old_ids = {i["id"] for i in before["items"]}
    items = [
        {"id": before["items"][0]["id"], "title": "Kept?", "amount": 100, "quantity": "2.5"},
        {"title": "Rush fee", "description": "48h", "amount": "49.99"},
    ]
    after = put(api, s.IN_DRAFT, {"items": items}).json()
    assert [(i["title"], i["quantity"], i["amount"]) for i in after["items"]] == [
        ("Kept?", "2.50", 100),
        ("Rush fee", "1.00", 49.99),
    ]
    assert not old_ids & {i["id"] for i in after["items"]}
    assert after["amount"] == 299.99
    assert after["discounts"] == before["discounts"]  # other lists untouched
    assert put(api, s.IN_DRAFT, {"items": []}).json()["total_amount"] == 0


def test_the_seed_page_example_is_reproduced_exactly(api: httpx.Client) -> None:
    body = {
        "items": [{"title": "The invoice item title", "amount": 675.65, "quantity": 1}],
        "discounts": [
            {
                "title": "The discount item title",
                "amount": 50.54,
                "currency": "USD",
                "type": "percentage",
            }
        ],
        "tax_items": [{"title": "The tax item title", "amount": 46.3}],
    }
    response = put(api, s.IN_DRAFT, body)
    invoice = exact(response)
    assert invoice["amount"] == Decimal("675.65")
    assert invoice["discount_amount"] == Decimal("341.47")
    assert invoice["tax_amount"] == Decimal("154.73")
    assert invoice["total_amount"] == Decimal("488.91")
    assert '"total_amount":488.91' in response.text and '"amount":46.3,' in response.text


@pytest.mark.parametrize(
    ("items", "discounts", "taxes", "expected"),
    [
        # amount, discount_amount, tax_amount, total_amount
        ([("1", "10.00")], [], ["1.25"], ("10", "0", "0.13", "10.13")),  # half-up, not even
        ([("3", "0.335")], [], [], ("1.02", "0", "0", "1.02")),  # unit price rounded on input
        ([("1", "100")], [("fixed", "30")], ["10", "5"], ("100", "30", "10.5", "80.5")),
        ([("1", "100")], [("fixed", "80"), ("percentage", "50")], [], ("100", "100", "0", "0")),
        ([("0.5", "19.99")], [("percentage", "33.333")], ["7.7"], ("10", "3.33", "0.51", "7.18")),
    ],
)
def test_money_arithmetic(
    api: httpx.Client,
    items: list[tuple[str, str]],
    discounts: list[tuple[str, str]],
    taxes: list[str],
    expected: tuple[str, str, str, str],
) -> None:
    body = {
        "items": [{"title": "i", "quantity": q, "amount": a} for q, a in items],
        "discounts": [{"title": "d", "type": t, "amount": a} for t, a in discounts],
        "tax_items": [{"title": "t", "amount": a} for a in taxes],
    }
    invoice = exact(put(api, s.IN_DRAFT, body))
    got = tuple(invoice[k] for k in ("amount", "discount_amount", "tax_amount", "total_amount"))
    assert got == tuple(Decimal(e) for e in expected)


def test_jpy_amounts_are_whole_yen(api: httpx.Client) -> None:
    seeded = api.get(f"/invoices/{s.IN_JPY}")
    assert '"amount":264000,' in seeded.text and '"total_amount":270072,' in seeded.text
    assert '"discount_amount":18480,' in seeded.text and '"tax_amount":24552,' in seeded.text
    body = {
        "items": [{"title": "Sketch", "amount": 3333}, {"title": "Fee", "amount": "1500.5"}],
        "discounts": [],
        "tax_items": [{"title": "Consumption tax", "amount": 10}],
    }
    response = put(api, s.IN_JPY, body)
    assert '"amount":4834,' in response.text  # 3333 + 1501 (half-up on input)
    assert '"tax_amount":483,' in response.text  # 483.4
    assert '"total_amount":5317,' in response.text


def test_changing_currency_relabels_and_rerounds(api: httpx.Client) -> None:
    invoice = put(api, s.IN_DRAFT, {"currency": "JPY"}).json()
    assert invoice["currency"] == "JPY"
    assert {i["currency"] for i in invoice["items"] + invoice["tax_items"]} == {"JPY"}
    assert invoice["amount"] == 3650 and invoice["total_amount"] == 3577  # 3285 + 291.54 -> 292
    items = [{"title": "x", "amount": 1, "currency": "EUR"}]
    euro = put(api, s.IN_NO_CLIENT, {"currency": "EUR", "items": items})
    assert euro.status_code == 200 and euro.json()["discounts"][0]["currency"] == "EUR"


def test_external_invoices_take_a_grand_total(api: httpx.Client) -> None:
    external = exact(put(api, s.IN_EXTERNAL, {"grand_total": "1999.999"}))
    assert external["total_amount"] == Decimal("2000.00") and external["amount"] == 2000
    ordinary = exact(put(api, s.IN_DRAFT, {"grand_total": 1}))
    assert ordinary["total_amount"] == Decimal("3576.54")


@pytest.mark.parametrize(
    ("body", "due", "reminder"),
    [
        ({"due_date_in_days": 30}, "2024-08-11T23:59:59+00:00", "2024-08-13T00:00:00+00:00"),
        ({"due_date_in_days": 0}, "2024-07-12T23:59:59+00:00", "2024-07-14T00:00:00+00:00"),
        ({"issue_date": "2024-08-01"}, "2024-08-09T23:59:59+00:00", "2024-08-11T00:00:00+00:00"),
        ({"issue_date": "2024-12-30T22:30:00-02:00", "due_reminder_send_days": -3},
         "2025-01-08T23:59:59+00:00", "2025-01-05T00:00:00+00:00"),
        ({"issue_date": None}, None, None),
        ({"due_date_in_days": None}, None, None),
        ({"due_reminder_send_days": None}, "2024-07-20T23:59:59+00:00", None),
    ],
)  # fmt: skip
def test_due_dates_are_recomputed(
    api: httpx.Client, body: dict[str, Any], due: str | None, reminder: str | None
) -> None:
    invoice = put(api, s.IN_DRAFT, body).json()
    assert invoice["due_date"] == due
    assert invoice["due_reminder_send_date"] == reminder


def test_issue_date_is_stored_in_utc(api: httpx.Client) -> None:
    invoice = put(api, s.IN_DRAFT, {"issue_date": "2024-12-30T22:30:00-02:00"}).json()
    assert invoice["issue_date"] == "2024-12-31T00:30:00+00:00"


def test_updated_at_strictly_increases_even_within_one_second() -> None:
    frozen = datetime(2024, 7, 13, 9, 0, 0, 500, tzinfo=UTC)
    headers = {**DOCUMENTED_HEADERS, "Authorization": f"Bearer {SANDBOX_API_KEY}"}
    with (
        serve(create_kitchen_emulator(clock=lambda: frozen)) as origin,
        httpx.Client(base_url=f"{origin}/demo/api", headers=headers) as api,
    ):
        stamps = [put(api, s.IN_DRAFT, {"memo": str(n)}).json()["updated_at"] for n in range(3)]
        assert stamps == [
            "2024-07-13T09:00:00+00:00",
            "2024-07-13T09:00:01+00:00",
            "2024-07-13T09:00:02+00:00",
        ]
        rejected = put(api, s.IN_DRAFT, {"memo": 5})
        assert rejected.status_code == 422
        assert api.get(f"/invoices/{s.IN_DRAFT}").json()["updated_at"] == stamps[-1]


# --- create and delete -----------------------------------------------------------------


def test_post_creates_a_numbered_draft(api: httpx.Client) -> None:
    body = {"client": s.KENJI, "currency": "JPY", "items": [{"title": "Logo", "amount": 50000}]}
    response = api.post("/invoices", json=body, params=[("expand[]", "creator")])
    assert response.status_code == 201
    invoice = response.json()
    assert invoice["id"].startswith("in_") and len(invoice["id"]) == 27
    assert invoice["number"] == "FP-00019"
    assert (invoice["status"], invoice["currency"]) == ("draft", "JPY")
    assert invoice["creator"]["id"] == s.MAYA and invoice["total_amount"] == 50000
    assert api.get("/invoices").json()["data"][0]["id"] == invoice["id"]
    assert api.post("/invoices", json={"number": "FP-00018"}).status_code == 422


def test_delete_removes_drafts_only(api: httpx.Client) -> None:
    assert api.delete(f"/invoices/{s.IN_DRAFT}").status_code == 204
    assert api.get(f"/invoices/{s.IN_DRAFT}").status_code == 404
    refused = api.delete(f"/invoices/{s.IN_OPEN}")
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"status": ["Only draft invoices can be deleted."]}


# --- errors, auth, request parsing -----------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"bearer {SANDBOX_API_KEY}", SANDBOX_API_KEY, f"Bearer {ACME_API_KEY}"],
)
def test_missing_or_wrong_keys_are_401(
    origin: str, control: httpx.Client, authorization: str | None
) -> None:
    headers = dict(DOCUMENTED_HEADERS)
    if authorization is not None:
        headers["Authorization"] = authorization
    response = httpx.get(f"{origin}/demo/api/invoices/{s.IN_DRAFT}", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated."}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"/invoices/{s.IN_DRAFT}"),
        ("PATCH", f"/invoices/{s.IN_DRAFT}"),
        ("POST", "/invoices"),
        ("DELETE", f"/invoices/{s.IN_DRAFT}"),
        ("PUT", "/invoices/in_missing"),
    ],
)
def test_the_read_only_key_reads_but_cannot_write(
    api: httpx.Client, method: str, path: str
) -> None:
    readonly = {"Authorization": f"Bearer {READONLY_API_KEY}"}
    assert api.get(f"/invoices/{s.IN_DRAFT}", headers=readonly).status_code == 200
    assert api.get("/clients", headers=readonly).status_code == 200
    response = api.request(method, path, json={"memo": "x"}, headers=readonly)
    assert response.status_code == 403
    assert response.json() == {"message": "This action is unauthorized."}
    assert api.get(f"/invoices/{s.IN_DRAFT}").json()["memo"] != "x"


def test_keys_and_data_are_per_workspace(origin: str, control: httpx.Client) -> None:
    headers = {**DOCUMENTED_HEADERS, "Authorization": f"Bearer {ACME_API_KEY}"}
    body = httpx.get(f"{origin}/acme/api/invoices", headers=headers).json()
    assert [i["id"] for i in body["data"]] == [s.ACME_INVOICE]
    missing = httpx.get(f"{origin}/acme/api/invoices/{s.IN_DRAFT}", headers=headers)
    assert missing.status_code == 404


def test_not_found_bodies(api: httpx.Client, origin: str) -> None:
    missing = api.get("/invoices/in_000000000000000000000000")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "No query results for model [App\\Models\\Invoice] in_000000000000000000000000"
    }
    workspace = httpx.get(f"{origin}/nowhere/api/invoices", headers=api.headers)
    assert workspace.status_code == 404
    assert workspace.json() == {"message": "Workspace [nowhere] not found."}
    route = httpx.get(f"{origin}/demo/api/projects", headers=DOCUMENTED_HEADERS)  # no key
    assert route.status_code == 404
    assert route.json() == {"message": "The route api/projects could not be found."}
    method = api.delete("/invoices")
    assert method.status_code == 405
    assert method.json() == {
        "message": "The DELETE method is not supported for route api/invoices. "
        "Supported methods: GET, HEAD, POST."
    }


def test_clients_not_asking_for_json_get_laravels_web_answers(api: httpx.Client) -> None:
    browser = {"Accept": "text/html", "X-Requested-With": ""}
    assert api.get("/invoices", headers=browser).json()["meta"]["total"] == ACTIVE  # JSON
    unauthenticated = api.get("/invoices", headers={**browser, "Authorization": ""})
    assert unauthenticated.status_code == 302
    assert unauthenticated.headers["location"] == f"{api.base_url.join('/demo/login')}"
    missing = api.get("/invoices/in_x", headers=browser)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    back = {**browser, "Referer": "http://r/"}
    invalid = api.put(f"/invoices/{s.IN_DRAFT}", json={"visibility": "x"}, headers=back)
    assert invalid.status_code == 302 and invalid.headers["location"] == "http://r/"
    xhr = api.get("/invoices/in_x", headers={"Accept": "text/html"})  # X-Requested-With alone
    assert xhr.json()["message"].startswith("No query results")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"memo": "broken', "application/json"),
        (b'["memo", "x"]', "application/json"),
        (b'{"memo": "x"}', "text/plain"),
    ],
)
def test_unreadable_bodies_are_no_input(
    api: httpx.Client, content: bytes, content_type: str
) -> None:
    before = api.get(f"/invoices/{s.IN_DRAFT}").json()
    response = api.put(
        f"/invoices/{s.IN_DRAFT}", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200
    assert response.json()["memo"] == before["memo"]


# --- the control surface ---------------------------------------------------------------


def test_requests_are_recorded_without_the_key(api: httpx.Client, control: httpx.Client) -> None:
    put(api, s.IN_DRAFT, {"memo": "recorded"}, **{"expand[]": "client"})
    api.get("/clients", params={"name": "jo"})
    log = control.get("/requests").json()
    assert [(r["method"], r["path"]) for r in log] == [
        ("PUT", f"/demo/api/invoices/{s.IN_DRAFT}"),
        ("GET", "/demo/api/clients"),
    ]
    assert log[0]["query"] == "expand%5B%5D=client"
    assert json.loads(log[0]["body"]) == {"memo": "recorded"}
    assert SANDBOX_API_KEY not in json.dumps(log)
    control.delete("/requests")
    assert control.get("/requests").json() == []


def test_faults_are_injected_then_cleared(api: httpx.Client, control: httpx.Client) -> None:
    fault = {
        "method": "PUT",
        "path": f"^/demo/api/invoices/{s.IN_DRAFT}$",
        "status": 429,
        "body": '{"message": "Too Many Attempts."}',
        "headers": {"Retry-After": "2"},
    }
    assert control.post("/faults", json=fault).status_code == 204
    assert api.get(f"/invoices/{s.IN_DRAFT}").status_code == 200  # GET does not match
    limited = put(api, s.IN_DRAFT, {"memo": "first try"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json() == {"message": "Too Many Attempts."}
    assert api.get(f"/invoices/{s.IN_DRAFT}").json()["memo"] != "first try"
    assert put(api, s.IN_DRAFT, {"memo": "second try"}).json()["memo"] == "second try"


def test_reset_restores_the_seed(api: httpx.Client, control: httpx.Client) -> None:
    put(api, s.IN_DRAFT, {"memo": "changed"})
    api.delete(f"/invoices/{s.IN_NO_CLIENT}")
    control.post("/faults", json={"status": 503, "times": None})
    control.post("/reset")
    assert control.get("/requests").json() == []
    invoice = api.get(f"/invoices/{s.IN_DRAFT}").json()
    assert invoice["memo"] == "Thank you for choosing Fennel & Pine again!"
    assert api.get(f"/invoices/{s.IN_NO_CLIENT}").status_code == 200


def test_emulators_do_not_share_state(control: httpx.Client, api: httpx.Client) -> None:
    put(api, s.IN_DRAFT, {"memo": "only here"})
    headers = {**DOCUMENTED_HEADERS, "Authorization": f"Bearer {SANDBOX_API_KEY}"}
    with serve(create_kitchen_emulator()) as other:
        fresh = httpx.get(f"{other}/demo/api/invoices/{s.IN_DRAFT}", headers=headers).json()
    assert fresh["memo"] != "only here"


def test_mounted_under_a_prefix_the_links_carry_it() -> None:
    app = Starlette(routes=[Mount("/sandbox/kitchen", app=create_kitchen_emulator())])
    headers = {**DOCUMENTED_HEADERS, "Authorization": f"Bearer {SANDBOX_API_KEY}"}
    with serve(app) as origin:
        base = f"{origin}/sandbox/kitchen/demo/api"
        body = httpx.get(f"{base}/invoices", params={"per_page": 5}, headers=headers).json()
        assert body["meta"]["path"] == f"{base}/invoices"
        assert body["links"]["next"] == f"{base}/invoices?per_page=5&page=2"
        settings = httpx.get(f"{origin}/sandbox/kitchen/_control/settings").json()
        assert settings == {**ANSWER_SWITCHES, **DEFAULT_SETTINGS}
        log = httpx.get(f"{origin}/sandbox/kitchen/_control/requests").json()
        assert log[0]["path"] == "/demo/api/invoices"
