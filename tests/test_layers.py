"""The shape of the package, checked: a vendor is one unit, and the layers import one way.

- Outside each vendor's own package (gateway/vendors/<vendor>/), the sandbox and the
  GraphiQL example documents, only the registry and the schema's per-vendor modules name a
  vendor in code (comments and docstrings aside; the schema's vendor-comparing text is
  documentation, in gateway/schema/descriptions.toml).
- The GraphQL layer never imports a vendor module; a vendor module never imports
  strawberry; the core imports nothing of ours outside itself.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from gateway.vendors.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = ROOT / "gateway"
NAMES = {a.vendor.key for a in default_registry()} | {"mavenlink"}
VENDOR = re.compile("|".join(sorted(NAMES)), re.IGNORECASE)
VENDOR_PACKAGES = {f"vendors/{key}/" for key in NAMES}
ALLOWED = {
    "vendors/registry.py",  # the adapters, one line each
    "schema/vendors/__init__.py",  # the per-vendor schema modules, one line each
    *(f"schema/vendors/{a.vendor.key}.py" for a in default_registry()),
}
OUTSIDE = ("sandbox/", "http/graphiql/examples.py", *VENDOR_PACKAGES)


def _modules() -> dict[str, str]:
    return {
        path.relative_to(GATEWAY).as_posix(): path.read_text()
        for path in sorted(GATEWAY.rglob("*.py"))
    }


def _names_a_vendor(source: str) -> bool:
    """Whether a name or a string that is not a docstring names a vendor."""
    doc_lines = {
        node.body[0].value.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NAME, tokenize.STRING) and VENDOR.search(token.string):
            if token.type == tokenize.STRING and token.start[0] in doc_lines:
                continue
            return True
    return False


def test_at_most_four_files_outside_the_vendors_name_a_vendor() -> None:
    naming = {
        path
        for path, source in _modules().items()
        if not path.startswith(OUTSIDE) and _names_a_vendor(source)
    }
    assert naming <= ALLOWED, sorted(naming - ALLOWED)
    assert len(ALLOWED) <= 4


def test_the_check_sees_a_vendor_named_in_code() -> None:
    # Guards the check above: a name, a string and an import are seen; a docstring is not.
    assert _names_a_vendor('x = "kantata"\n')
    assert _names_a_vendor("from gateway.vendors.kitchen import client\n")
    assert not _names_a_vendor('"""Kantata and Kitchen."""\nx = 1\n')


def _imports(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_the_graphql_layer_never_imports_a_vendor_module() -> None:
    for path, source in _modules().items():
        if path.startswith("schema/"):
            vendor = {m for m in _imports(source) if m.startswith("gateway.vendors")}
            assert not vendor, (path, vendor)


def test_a_vendor_module_never_imports_strawberry() -> None:
    for path, source in _modules().items():
        if path.startswith("vendors/"):
            assert not any(m.startswith("strawberry") for m in _imports(source)), path


def test_the_core_imports_nothing_of_ours_outside_itself() -> None:
    for path, source in _modules().items():
        if path.startswith("core/"):
            ours = {m for m in _imports(source) if m.startswith("gateway.")}
            assert all(m.startswith("gateway.core") for m in ours), (path, ours)
