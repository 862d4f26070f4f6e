"""The emulators' list quirks (page sizes clamped or ignored, filters ignored) and Kantata's
`order=`: off by default, and `meta` always honest about what was served, as brainstem and
Laravel's paginator are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.sandbox.kantata import SANDBOX_TOKEN, create_kantata_emulator
from gateway.sandbox.kitchen import SANDBOX_API_KEY, create_kitchen_emulator
from tests.server import serve

KANTATA_INVOICES, KITCHEN_ACTIVE = 63, 26


@pytest.fixture(scope="module")
def origins() -> Iterator[dict[str, str]]:
    with serve(create_kantata_emulator()) as kantata, serve(create_kitchen_emulator()) as kitchen:
        yield {"kantata": kantata, "kitchen": kitchen}


@pytest.fixture
def kantata(origins: dict[str, str]) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    origin = origins["kantata"]
    with (
        httpx.Client(base_url=f"{origin}/_control") as control,
        httpx.Client(
            base_url=f"{origin}/api/v1", headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}
        ) as api,
    ):
        control.post("/reset").raise_for_status()
        yield api, control


@pytest.fixture
def kitchen(origins: dict[str, str]) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    origin = origins["kitchen"]
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}", "Accept": "application/json"}
    with (
        httpx.Client(base_url=f"{origin}/_control") as control,
        httpx.Client(base_url=f"{origin}/demo/api", headers=headers) as api,
    ):
        control.post("/reset").raise_for_status()
        yield api, control


@pytest.mark.parametrize(
    ("settings", "params", "served", "page_count"),
    [
        ({}, {"per_page": "50"}, 50, 2),
        ({"per_page_max": 10}, {"per_page": "50"}, 10, 7),
        ({"ignore_per_page": True}, {"per_page": "50"}, 20, 4),  # brainstem's default
        ({"ignore_per_page": True}, {"per_page": "3", "page": "4"}, 20, 4),
    ],
)
def test_kantata_page_sizes(
    kantata: tuple[httpx.Client, httpx.Client],
    settings: dict[str, Any],
    params: dict[str, str],
    served: int,
    page_count: int,
) -> None:
    api, control = kantata
    control.patch("/settings", json=settings).raise_for_status()
    body = api.get("/invoices", params=params).json()
    number = int(params.get("page", "1"))
    assert body["meta"] == {
        "count": KANTATA_INVOICES,
        "page_count": page_count,
        "page_number": number,
        "page_size": served,
    }
    start = (number - 1) * served
    assert len(body["results"]) == max(0, min(served, KANTATA_INVOICES - start))


def test_kantata_ignoring_updated_after(kantata: tuple[httpx.Client, httpx.Client]) -> None:
    api, control = kantata
    params = {"updated_after": "2030-01-01T00:00:00Z"}
    assert api.get("/invoices", params=params).json()["count"] == 0
    control.patch("/settings", json={"ignore_updated_after": True}).raise_for_status()
    assert api.get("/invoices", params=params).json()["count"] == KANTATA_INVOICES
    # The documented filters still apply.
    created = {"created_after": "2030-01-01T00:00:00Z"}
    assert api.get("/invoices", params=created).json()["count"] == 0


def _ids(api: httpx.Client, **params: str) -> list[str]:
    body = api.get("/invoices", params={"per_page": "200", **params}).json()
    return [hit["id"] for hit in body["results"]]


def test_kantata_orders_as_brainstem_does(kantata: tuple[httpx.Client, httpx.Client]) -> None:
    api, _ = kantata
    default = _ids(api)
    assert _ids(api, order="invoice_date:desc") == default
    assert _ids(api, order="colour:asc") == default  # an unknown name: the default order
    assert _ids(api, order="id:desc") == sorted(default, key=int, reverse=True)
    assert _ids(api, order="id") == sorted(default, key=int)  # no direction: ascending
    assert _ids(api, order="id:sideways") == sorted(default, key=int)
    # Any other order: ties by ascending ID, the primary key brainstem always appends.
    body = api.get("/invoices", params={"per_page": "200", "order": "created_at:desc"}).json()
    keys = [(body["invoices"][hit["id"]]["created_at"], -int(hit["id"])) for hit in body["results"]]
    assert keys == sorted(keys, reverse=True)


def test_kantata_page_number_is_0_for_an_empty_list(
    kantata: tuple[httpx.Client, httpx.Client],
) -> None:
    api, _ = kantata
    meta = api.get("/invoices", params={"created_after": "2030-01-01T00:00:00Z"}).json()["meta"]
    assert (meta["count"], meta["page_count"], meta["page_number"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("settings", "params", "served", "last_page"),
    [
        ({}, {"per_page": "20"}, 20, 2),
        ({"per_page_max": 10}, {"per_page": "20"}, 10, 3),
        ({"ignore_per_page": True}, {"per_page": "20"}, 15, 2),  # Laravel's default
        ({"ignore_per_page": True}, {"per_page": "5", "page": "2"}, 15, 2),
    ],
)
def test_kitchen_page_sizes(
    kitchen: tuple[httpx.Client, httpx.Client],
    settings: dict[str, Any],
    params: dict[str, str],
    served: int,
    last_page: int,
) -> None:
    api, control = kitchen
    control.patch("/settings", json=settings).raise_for_status()
    body = api.get("/invoices", params=params).json()
    number = int(params.get("page", "1"))
    start = (number - 1) * served
    rows = max(0, min(served, KITCHEN_ACTIVE - start))
    assert len(body["data"]) == rows
    meta = body["meta"]
    assert (meta["per_page"], meta["current_page"], meta["last_page"]) == (
        served,
        number,
        last_page,
    )
    assert (meta["from"], meta["to"], meta["total"]) == (start + 1, start + rows, KITCHEN_ACTIVE)


def test_kitchen_ignoring_unknown_list_params(kitchen: tuple[httpx.Client, httpx.Client]) -> None:
    api, control = kitchen
    params = {"status": "paid", "number": "FP-00017", "per_page": "100"}
    assert api.get("/invoices", params=params).json()["meta"]["total"] <= 1
    control.patch("/settings", json={"ignore_unknown_list_params": True}).raise_for_status()
    body = api.get("/invoices", params=params).json()
    assert body["meta"]["total"] == KITCHEN_ACTIVE
    # Not validated either: an unknown status is no longer a 422.
    assert api.get("/invoices", params={"status": "bogus"}).status_code == 200
    # The documented `state` still applies.
    archived = api.get("/invoices", params={"state": "archived"}).json()
    assert all(row["archived_at"] for row in archived["data"])
