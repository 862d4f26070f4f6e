"""Rate limiting on /graphql: per API key, or per client IP when keys are off."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.http.ratelimit import MemoryRateLimiter
from gateway.settings import Settings
from tests.server import serve_gateway

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

READ = {"query": "{ __typename }"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_minute_s_allowance_then_one_every_60_over_n_seconds() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(3, clock=clock)
    assert [await limiter.hit("me") for _ in range(3)] == [0, 0, 0]
    assert await limiter.hit("me") == pytest.approx(20.0)
    assert await limiter.hit("you") == 0
    clock.now += 20
    assert await limiter.hit("me") == 0
    assert await limiter.hit("me") == pytest.approx(20.0)
    clock.now += 60
    assert [await limiter.hit("me") for _ in range(3)] == [0, 0, 0]


def gateway(**settings: object) -> Iterator[str]:
    limited = Settings(sandbox=True, rate_limit_per_minute=3, **settings)  # type: ignore[arg-type]
    with serve_gateway(limited) as url:
        yield url


@pytest.fixture
def by_key() -> Iterator[str]:
    yield from gateway(api_keys=("key-a", "key-b"))


@pytest.fixture
def by_ip() -> Iterator[str]:
    yield from gateway()


def test_the_limit_is_per_api_key(by_key: str) -> None:
    def post(key: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.post(f"{by_key}/graphql", json=READ, headers=headers)

    assert [post("key-a").status_code for _ in range(3)] == [200, 200, 200]
    refused = post("key-a")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 20
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}
    assert "x-request-id" in refused.headers
    assert post("key-b").status_code == 200
    # Unknown keys are refused before they are counted.
    assert post("wrong").status_code == 401


def test_without_keys_the_client_ip_is_counted_and_only_graphql(by_ip: str) -> None:
    for _ in range(5):  # neither the IDE page nor other routes count
        assert httpx.get(f"{by_ip}/graphql", headers={"Accept": "text/html"}).status_code == 200
        assert httpx.get(f"{by_ip}/healthz").status_code == 200
    answers = [httpx.post(f"{by_ip}/graphql", json=READ).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
