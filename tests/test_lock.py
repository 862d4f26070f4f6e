"""The lockfiles match pyproject.toml, carry a hash for every pin, and are what the image and
CI install. `.ci/lock` rewrites them; any change to pyproject's dependency tables fails here
until it has run."""

from __future__ import annotations

import re
from itertools import product

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.lockcheck import ROOT, Pin, digest, pins, recorded_digest, requirements

PYPROJECT = (ROOT / "pyproject.toml").read_text()
# Each lock and the extras it is resolved with (.ci/lock).
LOCKS = {
    "requirements/runtime.txt": ("otel",),
    "requirements/dev.txt": ("otel", "dev"),
}
# Every platform and Python the package claims (pyproject's classifiers).
ENVIRONMENTS = [
    {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": platform}
    for python, platform in product(("3.11", "3.12", "3.13"), ("linux", "darwin", "win32"))
]


def _lock(path: str) -> str:
    return (ROOT / path).read_text()


def _unpinned(lock: str, wanted: list[Requirement]) -> list[str]:
    """The requirements that apply somewhere but have no pin within their range."""
    found = pins(lock)
    problems = []
    for requirement in wanted:
        marker = requirement.marker
        if marker is not None and not any(marker.evaluate(env) for env in ENVIRONMENTS):
            continue
        candidates: list[Pin] = found.get(canonicalize_name(requirement.name), [])
        if not any(requirement.specifier.contains(p.version, prereleases=True) for p in candidates):
            versions = ", ".join(p.version for p in candidates) or "nothing"
            problems.append(f"{requirement}: locked {versions}")
    return problems


@pytest.mark.parametrize("path", LOCKS)
def test_each_lock_was_written_from_this_pyproject(path: str) -> None:
    assert recorded_digest(_lock(path)) == digest(PYPROJECT), f"run .ci/lock: {path} is stale"


@pytest.mark.parametrize(("path", "extras"), LOCKS.items())
def test_every_requirement_is_pinned_within_its_range(path: str, extras: tuple[str, ...]) -> None:
    assert _unpinned(_lock(path), requirements(PYPROJECT, extras)) == []


@pytest.mark.parametrize("path", LOCKS)
def test_every_pin_has_hashes_and_no_index_is_named(path: str) -> None:
    lock = _lock(path)
    found = [pin for entries in pins(lock).values() for pin in entries]
    assert len(found) > 20
    assert [pin.name for pin in found if pin.hashes == 0] == []
    # The index is the installer's business (and no registry host is named in the repo).
    assert not re.search(r"^\s*(-i|--index-url|--extra-index-url|--find-links|-f)\b", lock, re.M)
    assert "://" not in lock


def test_dev_installs_the_runtime_pins() -> None:
    runtime, dev = pins(_lock("requirements/runtime.txt")), pins(_lock("requirements/dev.txt"))
    differ = {
        name: ([p.version for p in entries], [p.version for p in dev.get(name, [])])
        for name, entries in runtime.items()
        if {p.version for p in entries} != {p.version for p in dev.get(name, [])}
    }
    assert differ == {}


def test_the_checks_catch_a_stale_lock() -> None:
    """Each check fails on the drift it exists for."""
    bumped = PYPROJECT.replace('"httpx>=0.27"', '"httpx>=99"')
    assert bumped != PYPROJECT
    assert digest(bumped) != digest(PYPROJECT)
    lock = _lock("requirements/runtime.txt")
    assert _unpinned(lock, requirements(bumped, ("otel",))) != []
    added = PYPROJECT.replace('"redis>=5",', '"redis>=5",\n    "no-such-package-here>=1",')
    assert _unpinned(lock, requirements(added, ("otel",))) == [
        "no-such-package-here>=1: locked nothing"
    ]


def _readme_test_command() -> str:
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    return str(blocks[1])


def test_ci_and_the_image_install_from_the_locks() -> None:
    command = _readme_test_command()
    assert "--require-hashes -r requirements/dev.txt" in command
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/runtime.txt" in dockerfile
    # The package itself goes in after its locked dependencies, adding none of its own.
    assert re.search(r"pip install --no-deps (-e )?\.", command)
    assert "pip install --no-deps ." in dockerfile


def _providers(module: str, candidates: list[str]) -> list[str]:
    """The distributions that hold `module`: for a namespace package shared by several
    (`opentelemetry`), the ones with files under the module's own directory."""
    from importlib.metadata import distribution

    if len(candidates) <= 1:
        return candidates or [f"<no distribution provides {module}>"]
    prefix = "/".join(module.split(".")[:2])
    holding = [
        dist
        for dist in candidates
        if any(str(file).startswith(prefix) for file in distribution(dist).files or [])
    ]
    return holding or candidates


def _imported_distributions() -> dict[str, set[str]]:
    """Each third-party distribution the package's code imports, with the modules that do."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    providers = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in (ROOT / "gateway").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from opentelemetry import trace` imports `opentelemetry.trace`.
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "gateway":
                    continue
                for dist in _providers(name, providers.get(top, [])):
                    found.setdefault(str(canonicalize_name(dist)), set()).add(
                        str(path.relative_to(ROOT))
                    )
    return found


def test_pyproject_declares_everything_the_code_imports() -> None:
    declared = {
        canonicalize_name(requirement.name) for requirement in requirements(PYPROJECT, ("otel",))
    }
    undeclared = {
        dist: sorted(paths)
        for dist, paths in _imported_distributions().items()
        if dist not in declared
    }
    assert undeclared == {}
