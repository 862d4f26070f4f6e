"""One gateway on the sandbox, served on a loopback port for the whole session; every test
starts from freshly seeded emulators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from gateway.settings import Resilience, Settings
from tests.server import serve_gateway


class Gateway:
    """A caller of the running gateway, with a view into the sandbox behind it."""

    def __init__(self, client: httpx.Client) -> None:
        self.http = client
        self._before: dict[str, dict[str, Any]] = {}

    def post(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        response = self.http.post("/graphql", json={"query": query, "variables": variables}, **kw)
        assert response.status_code == 200, response.text
        body = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = self.post(query, variables, **kw)
        assert "errors" not in body, body
        return body["data"]

    def requests(self, vendor: str) -> list[dict[str, Any]]:
        """What the vendor's emulator received since the test began."""
        response = self.http.get(f"/sandbox/{vendor}/_control/requests")
        response.raise_for_status()
        return list(response.json())

    def forget_requests(self) -> None:
        for vendor in ("kantata", "kitchen"):
            self.http.delete(f"/sandbox/{vendor}/_control/requests").raise_for_status()

    def fault(self, vendor: str, **spec: Any) -> None:
        self.http.post(f"/sandbox/{vendor}/_control/faults", json=spec).raise_for_status()

    def settings(self, vendor: str, **values: Any) -> None:
        url = f"/sandbox/{vendor}/_control/settings"
        if vendor not in self._before:
            self._before[vendor] = self.http.get(url).json()
        self.http.patch(url, json=values).raise_for_status()

    def reset_settings(self, vendor: str) -> None:
        """The emulator's switches as they were before this test's first `settings`."""
        before = self._before.pop(vendor, None)
        if before is not None:
            self.http.patch(f"/sandbox/{vendor}/_control/settings", json=before).raise_for_status()

    def reset(self) -> None:
        for vendor in ("kantata", "kitchen"):
            self.http.post(f"/sandbox/{vendor}/_control/reset").raise_for_status()


@pytest.fixture(scope="session")
def gateway_url() -> Iterator[str]:
    # Fast retries, and a breaker that never opens: the session's gateway is shared by
    # every test, and one test's injected failures must not fail the next test fast.
    # (The breaker has its own gateways in test_resilience.py.)
    settings = Settings(
        sandbox=True, resilience=Resilience(retry_backoff=0.01, breaker_failures=1_000_000)
    )
    with serve_gateway(settings) as url:
        yield url


@contextmanager
def calling(url: str, timeout: float = 30) -> Iterator[Gateway]:
    """A caller of the gateway at `url`, its sandbox freshly seeded."""
    with httpx.Client(base_url=url, timeout=timeout) as client:
        gateway = Gateway(client)
        gateway.reset()
        yield gateway


@pytest.fixture
def gw(gateway_url: str) -> Iterator[Gateway]:
    with calling(gateway_url) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for the session (tests/redis_server.py); skips without one."""
    import shutil

    from tests.redis_server import MISSING, redis_server

    if shutil.which("redis-server") is None:
        pytest.skip(MISSING)
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


# End-to-end: tests that serve the gateway, the sandbox or Redis on loopback ports, drive a
# browser or run load. The rest (`pytest -m "not e2e"`) are unit tests: pure functions,
# the HTTP plumbing against httpx.MockTransport, the update service against the
# emulators through httpx's ASGI transport.
E2E_DIRECTORIES = {"gateway", "hostile", "load", "browser", "sandbox"}
E2E_FIXTURES = {"gw", "gateway_url", "redis_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.relative_to(item.config.rootpath / "tests").parts
        in_e2e_directory = len(parts) > 1 and parts[0] in E2E_DIRECTORIES
        fixtures = set(getattr(item, "fixturenames", ()))
        if in_e2e_directory or fixtures & E2E_FIXTURES or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.e2e)
