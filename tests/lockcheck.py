"""Reads the lockfiles (requirements/*.txt, written by `.ci/lock`) and pyproject's
dependency tables, for tests/test_lock.py and for `.ci/lock` itself
(`python -m tests.lockcheck digest` prints the digest the lockfiles carry)."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DIGEST_PREFIX = "# pyproject-dependencies-sha256: "
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?P<rest>.*)$")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: str
    marker: str  # "" when the pin applies everywhere
    hashes: int


def dependency_tables(pyproject: str) -> dict[str, object]:
    """What a lock is resolved from: the Python range, the dependencies and the extras."""
    project = tomllib.loads(pyproject)["project"]
    return {
        "requires-python": project.get("requires-python", ""),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }


def digest(pyproject: str) -> str:
    canonical = json.dumps(dependency_tables(pyproject), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def recorded_digest(lock: str) -> str | None:
    first = lock.splitlines()[0] if lock else ""
    return first.removeprefix(DIGEST_PREFIX) if first.startswith(DIGEST_PREFIX) else None


def pins(lock: str) -> dict[NormalizedName, list[Pin]]:
    """Every `name==version` entry, with its marker and how many hashes follow it (a
    universal lock may pin one name twice, under exclusive markers)."""
    found: dict[NormalizedName, list[Pin]] = {}
    # A requirement and its `--hash` options are one logical line, continued by `\`.
    logical = re.sub(r"\\\n", " ", lock)
    for line in logical.splitlines():
        match = _PIN.match(line.strip())
        if match is None:
            continue
        rest = match["rest"]
        marker = rest.split("--hash", 1)[0].strip().removeprefix(";").strip()
        name = canonicalize_name(match["name"])
        pin = Pin(name, match["version"], marker, len(_HASH.findall(rest)))
        found.setdefault(name, []).append(pin)
    return found


def requirements(pyproject: str, extras: tuple[str, ...]) -> list[Requirement]:
    tables = dependency_tables(pyproject)
    listed = list(tables["dependencies"])  # type: ignore[call-overload]
    optional = tables["optional-dependencies"]
    assert isinstance(optional, dict)
    for extra in extras:
        listed += optional[extra]
    return [Requirement(text) for text in listed]


if __name__ == "__main__":
    if sys.argv[1:] != ["digest"]:
        sys.exit("usage: python -m tests.lockcheck digest")
    print(digest((ROOT / "pyproject.toml").read_text()))
