"""Whether a copy of the asset set is whole: every file there, byte for byte the pinned one.
The IDE page asks before it points a browser at the files (a browser refuses a file whose
hash is wrong, and would be left with a blank page), and so does `invoice-gateway
graphiql-assets`."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from gateway.http.graphiql.assets import ASSETS, Asset

# What mends a copy that is not whole: the files are package data, so the package again.
FIX = (
    "GraphiQL's files ship inside the invoice-gateway package. Reinstall it (for example "
    "`python -m pip install --force-reinstall --no-deps .` in its source tree, or the same "
    "command with the wheel it came from), restart the gateway, and run "
    "`invoice-gateway graphiql-assets` to check the installed copy."
)


@dataclass(frozen=True)
class Problem:
    asset: Asset
    path: Path
    reason: str  # "missing", "unreadable: …", "not the pinned file (sha384 …)"

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def integrity(data: bytes) -> str:
    """The Subresource Integrity value of `data`, as the asset set pins it."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def _problem(directory: Path, asset: Asset) -> Problem | None:
    path = directory / asset.key
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Problem(asset, path, "missing")
    except OSError as exc:
        return Problem(asset, path, f"unreadable: {exc.strerror or exc}")
    found = integrity(data)
    if found != asset.integrity:
        return Problem(asset, path, f"not the pinned file ({found}, {len(data)} bytes)")
    return None


def check(directory: Path) -> tuple[Problem, ...]:
    """What is wrong with the copy in `directory`; empty when it is whole."""
    found = (_problem(directory, asset) for asset in ASSETS.all())
    return tuple(problem for problem in found if problem is not None)
