"""The sandbox-only control surface shared by both emulators."""

from __future__ import annotations

import httpx
import pytest

from gateway.sandbox.control import ANSWER_SWITCHES
from gateway.sandbox.kitchen import DEFAULT_SETTINGS


@pytest.fixture
def kitchen(sandbox: httpx.Client) -> httpx.Client:
    sandbox.post("/kitchen/_control/reset").raise_for_status()
    return sandbox


def test_requests_are_recorded_without_secrets(kitchen: httpx.Client) -> None:
    kitchen.get(
        "/kitchen/demo/api/members",
        params={"name": "maya"},
        headers={
            "Authorization": "Bearer sandbox-kitchen-key",
            "X-Requested-With": "XMLHttpRequest",
        },
    )
    [recorded] = kitchen.get("/kitchen/_control/requests").json()
    assert (recorded["method"], recorded["path"], recorded["query"]) == (
        "GET",
        "/demo/api/members",
        "name=maya",
    )
    assert recorded["headers"]["x-requested-with"] == "XMLHttpRequest"
    assert "authorization" not in recorded["headers"]
    assert "sandbox-kitchen-key" not in str(recorded)


def test_a_fault_applies_as_many_times_as_asked(kitchen: httpx.Client) -> None:
    fault = {"method": "GET", "path": "^/demo/api/members", "status": 503, "times": 2}
    kitchen.post("/kitchen/_control/faults", json=fault).raise_for_status()
    json_only = {"Accept": "application/json"}
    statuses = [
        kitchen.get("/kitchen/demo/api/members", headers=json_only).status_code for _ in range(3)
    ]
    assert statuses == [503, 503, 401]  # then the emulator itself answers (no key sent)
    log = kitchen.get("/kitchen/_control/requests").json()
    assert [r["faulted"] for r in log] == [True, True, False]


def test_every_spreads_a_fault_evenly(kitchen: httpx.Client) -> None:
    for offset in (0, 2):
        fault = {
            "path": "^/demo/api/members",
            "status": 503,
            "times": None,
            "every": 4,
            "offset": offset,
        }
        kitchen.post("/kitchen/_control/faults", json=fault).raise_for_status()
    json_only = {"Accept": "application/json"}
    statuses = [
        kitchen.get("/kitchen/demo/api/members", headers=json_only).status_code for _ in range(8)
    ]
    assert statuses == [401, 503, 401, 503, 401, 503, 401, 503]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/kitchen/_control/faults", b"{not json"),
        ("/kitchen/_control/faults", b'{"status": 99}'),
        ("/kitchen/_control/faults", b'{"colour": "red"}'),
        ("/kitchen/_control/faults", b'{"path": "("}'),
        ("/kitchen/_control/faults", b'{"every": 0}'),
    ],
)
def test_bad_faults_are_400(kitchen: httpx.Client, path: str, body: bytes) -> None:
    assert kitchen.post(path, content=body).status_code == 400


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"honour_expand": "false"}', b'{"colour": true}'],
)
def test_bad_settings_are_400_and_change_nothing(kitchen: httpx.Client, body: bytes) -> None:
    assert kitchen.patch("/kitchen/_control/settings", content=body).status_code == 400
    assert kitchen.get("/kitchen/_control/settings").json() == {
        **ANSWER_SWITCHES,
        **DEFAULT_SETTINGS,
    }


def test_settings_change_and_reset(kitchen: httpx.Client) -> None:
    patched = kitchen.patch("/kitchen/_control/settings", json={"honour_expand": False})
    assert patched.json() == {**ANSWER_SWITCHES, **DEFAULT_SETTINGS, "honour_expand": False}
    kitchen.post("/kitchen/_control/reset").raise_for_status()
    assert kitchen.get("/kitchen/_control/settings").json() == {
        **ANSWER_SWITCHES,
        **DEFAULT_SETTINGS,
    }
