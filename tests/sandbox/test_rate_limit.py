"""The emulators' rate limit (`rate_limit_per_second`, gateway/sandbox/throttle.py): each
answers 429 as its vendor does, per token, and only while the switch is on."""

from __future__ import annotations

import time

import httpx
import pytest

from gateway.sandbox.kantata.auth import READONLY_TOKEN, SANDBOX_TOKEN
from gateway.sandbox.kitchen import SANDBOX_API_KEY
from gateway.sandbox.throttle import Throttle

KANTATA_READ = "/kantata/api/v1/invoices/101"
KITCHEN_READ = "/kitchen/demo/api/members"


@pytest.fixture
def fresh(sandbox: httpx.Client) -> httpx.Client:
    for vendor in ("kantata", "kitchen"):
        sandbox.post(f"/{vendor}/_control/reset").raise_for_status()
    return sandbox


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def limit(client: httpx.Client, vendor: str, rate: float) -> None:
    url = f"/{vendor}/_control/settings"
    client.patch(url, json={"rate_limit_per_second": rate}).raise_for_status()


def test_off_by_default(fresh: httpx.Client) -> None:
    statuses = {
        fresh.get(KANTATA_READ, headers=bearer(SANDBOX_TOKEN)).status_code for _ in range(30)
    }
    assert statuses == {200}


def test_kantata_answers_its_error_envelope_without_retry_after(fresh: httpx.Client) -> None:
    limit(fresh, "kantata", 2)
    answers = [fresh.get(KANTATA_READ, headers=bearer(SANDBOX_TOKEN)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.json() == {
        "errors": [
            {"type": "system", "message": "Rate limit exceeded; please retry after a small delay"}
        ]
    }
    assert "retry-after" not in refused.headers
    log = fresh.get("/kantata/_control/requests").json()
    assert [r["faulted"] for r in log] == [False, False, True]
    # Another token has a bucket of its own.
    assert fresh.get(KANTATA_READ, headers=bearer(READONLY_TOKEN)).status_code == 200


def test_kitchen_answers_as_laravel_does_with_retry_after(fresh: httpx.Client) -> None:
    limit(fresh, "kitchen", 1)
    answers = [fresh.get(KITCHEN_READ, headers=bearer(SANDBOX_API_KEY)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert answers[1].json() == {"message": "Too Many Attempts."}
    assert answers[1].headers["retry-after"] == "1"
    assert answers[1].headers["x-ratelimit-remaining"] == "0"


def test_the_bucket_refills_at_the_rate(fresh: httpx.Client) -> None:
    limit(fresh, "kantata", 10)
    statuses = [
        fresh.get(KANTATA_READ, headers=bearer(SANDBOX_TOKEN)).status_code for _ in range(12)
    ]
    assert statuses.count(429) >= 1
    time.sleep(0.25)  # two tokens back, at ten a second
    assert fresh.get(KANTATA_READ, headers=bearer(SANDBOX_TOKEN)).status_code == 200


def test_reset_turns_it_off(fresh: httpx.Client) -> None:
    limit(fresh, "kantata", 1)
    fresh.post("/kantata/_control/reset").raise_for_status()
    assert fresh.get("/kantata/_control/settings").json()["rate_limit_per_second"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"rate_limit_per_second": -1}',
        b'{"rate_limit_per_second": "2"}',
        b'{"rate_limit_per_second": NaN}',
    ],
)
def test_bad_rates_are_400(fresh: httpx.Client, body: bytes) -> None:
    assert fresh.patch("/kitchen/_control/settings", content=body).status_code == 400


def test_buckets_kept_are_bounded() -> None:
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0], capacity=16)
    for n in range(1000):
        assert throttle.wait(f"Bearer token-{n}", 5) is None
    assert len(throttle) == 16
    # A token still kept remembers what it sent: four more of its five, then none.
    assert [throttle.wait("Bearer token-999", 5) for _ in range(4)] == [None] * 4
    assert throttle.wait("Bearer token-999", 5) == pytest.approx(0.2)
