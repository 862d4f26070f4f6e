"""The vendors' documented examples kept under `fixtures/` (sources: `fixtures/SOURCES.md`).

Bodies are read as the gateway's vendor clients read an answer: every non-integer number an
exact Decimal, never a float.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.vendors.http import decode_json

FIXTURES = Path(__file__).parent / "fixtures"

# How the tests reach the emulators behind the session's gateway.
KANTATA_API = "/sandbox/kantata/api/v1"
KANTATA_HEADERS = {"Authorization": "Bearer sandbox-kantata-token"}
KITCHEN_API = "/sandbox/kitchen/demo/api"
# The headers every request on Kitchen's pages sends (the seed page's curl command).
KITCHEN_HEADERS = {
    "Authorization": "Bearer sandbox-kitchen-key",
    "Accept": "application/json",
    "Content-Type": "application/json",
    "X-Requested-With": "XMLHttpRequest",
}


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def body(name: str) -> Any:
    """A documented JSON body, as the gateway decodes one."""
    return decode_json((FIXTURES / name).read_bytes())
