"""Both emulators served on a loopback port, one sandbox per test module."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.sandbox import create_sandbox_app
from tests.server import serve


@pytest.fixture(scope="module")
def sandbox() -> Iterator[httpx.Client]:
    with serve(create_sandbox_app()) as url, httpx.Client(base_url=url) as client:
        yield client
