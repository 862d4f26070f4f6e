"""Two gateways side by side on loopback, one running compiled operations and one running
every operation through graphql-core, each on a sandbox of its own whose clocks stand
still: the same requests in the same order leave both sandboxes in the same state, so any
difference in what they answer, or in what they ask the vendors, is the executor's.

And the GraphQL documents the project sends: the string literals in tests/ that parse as
operations, tests/gateway/queries.py's operations, the GraphiQL example tabs, and the
```graphql blocks of the README and docs/.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse, print_ast
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.app import create_app
from gateway.http.graphiql.examples import EXAMPLES
from gateway.sandbox import kantata, kitchen, sandboxed
from gateway.settings import Resilience, Settings
from tests.gateway import queries
from tests.server import serve

ROOT = Path(__file__).resolve().parents[2]
VENDORS = ("kantata", "kitchen")
STILL = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
# Kitchen's emulator names what a write creates (line items, tax items) at random.
_KITCHEN_ID = re.compile(rb"(?:invi|invti|in|u|bp)_[0-9a-f]{24}")


def _still() -> datetime:
    return STILL


def sandbox_app() -> Starlette:
    """Both emulators, their clocks stopped: a write's `updatedAt` depends only on the
    writes before it."""
    return Starlette(
        routes=[
            Mount(
                "/sandbox",
                app=Starlette(
                    routes=[
                        Mount("/kantata", app=kantata.create_kantata_emulator(clock=_still)),
                        Mount("/kitchen", app=kitchen.create_kitchen_emulator(clock=_still)),
                    ]
                ),
            )
        ]
    )


@dataclass
class Answer:
    status: int
    body: bytes
    vendor_calls: list[tuple[str, str, str, str]]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class Side:
    """One gateway and the sandbox it calls."""

    def __init__(self, gateway: str, sandbox: str) -> None:
        self.gateway = httpx.Client(base_url=gateway, timeout=30)
        self.sandbox = httpx.Client(base_url=sandbox, timeout=30)
        self.origin = sandbox.encode()
        self._named: dict[bytes, bytes] = {}

    def control(self, method: str, vendor: str, what: str, **kw: Any) -> httpx.Response:
        response = self.sandbox.request(method, f"/sandbox/{vendor}/_control/{what}", **kw)
        response.raise_for_status()
        return response

    def send(self, body: dict[str, Any], request_id: str) -> Answer:
        for vendor in VENDORS:
            self.control("DELETE", vendor, "requests")
        response = self.gateway.post("/graphql", json=body, headers={"X-Request-Id": request_id})
        # HEADs are the clients' health probes, sent when they please: not the operation's.
        calls = [
            (r["method"], r["path"], r["query"], r["body"])
            for vendor in VENDORS
            for r in self.control("GET", vendor, "requests").json()
            if r["method"] != "HEAD"
        ]
        # A dry run shows the vendor's URL: each side's sandbox has a port of its own.
        body = self._named_ids(response.content.replace(self.origin, b"<sandbox>"))
        return Answer(response.status_code, body, sorted(calls))

    def _named_ids(self, body: bytes) -> bytes:
        """Kitchen IDs renamed in the order this side first showed them, for the whole
        session: the two sandboxes draw different random ones for what a write creates.
        Once named, an ID keeps its name, so one shown in the wrong place still differs."""

        def name(match: re.Match[bytes]) -> bytes:
            return self._named.setdefault(match.group(0), b"kitchen_%d" % len(self._named))

        return _KITCHEN_ID.sub(name, body)

    def close(self) -> None:
        self.gateway.close()
        self.sandbox.close()


class Pair:
    """The compiled side and graphql-core's, sent the same requests in lockstep."""

    def __init__(self, compiled: Side, generic: Side) -> None:
        self.compiled = compiled
        self.generic = generic
        self.sent = 0

    def reset(self) -> None:
        for side in (self.compiled, self.generic):
            for vendor in VENDORS:
                side.control("POST", vendor, "reset")

    def fault(self, vendor: str, **spec: Any) -> None:
        for side in (self.compiled, self.generic):
            side.control("POST", vendor, "faults", json=spec)

    def both(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> tuple[Answer, Answer]:
        self.sent += 1
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        request_id = f"differential-{self.sent}"
        return self.compiled.send(body, request_id), self.generic.send(body, request_id)

    def metrics(self) -> tuple[str, str]:
        return (
            self.compiled.gateway.get("/metrics").text,
            self.generic.gateway.get("/metrics").text,
        )


def settings(compiled: bool, sandbox: str) -> Settings:
    # Fast retries and a breaker that never opens: one document's faults must not change
    # how the next is answered.
    base = Settings(
        compiled_operations=compiled,
        resilience=Resilience(retry_backoff=0.01, retry_after_cap=0.01, breaker_failures=1_000_000),
    )
    return replace(sandboxed(base, sandbox), sandbox=False)


@contextmanager
def pair() -> Iterator[Pair]:
    with ExitStack() as stack:
        sides = []
        for compiled in (True, False):
            sandbox = stack.enter_context(serve(sandbox_app()))
            gateway = stack.enter_context(serve(create_app(settings(compiled, sandbox))))
            side = Side(gateway, sandbox)
            stack.callback(side.close)
            sides.append(side)
        yield Pair(*sides)


# --- the documents ---------------------------------------------------------------------

_GRAPHQL_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def _operations(text: str) -> bool:
    try:
        document = parse(text)
    except (GraphQLSyntaxError, RecursionError):
        return False
    return any(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def project_documents() -> list[str]:
    """Every distinct operation document the project's tests and docs send, in a stable
    order."""
    found: dict[str, None] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if "{" in text and len(text) < 20_000 and _operations(text):
                    found.setdefault(text)
    for name in sorted(dir(queries)):
        value = getattr(queries, name)
        if isinstance(value, str) and _operations(value):
            found.setdefault(value)
    for example in EXAMPLES:
        found.setdefault(example.document)
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in _GRAPHQL_BLOCK.findall(doc.read_text(encoding="utf-8")):
            if _operations(block):
                found.setdefault(block)
    return list(found)


# Values for the variables a document declares, by type: a few each, so that one document
# is sent a few ways (found, not found, invalid, each vendor, each branch of a condition).
MISSING_INVOICE = "kantata:invoice:999999"
VALUES: dict[str, list[Any]] = {
    "ID!": [queries.KANTATA_DRAFT, queries.KITCHEN_DRAFT, MISSING_INVOICE, "nope"],
    "ID": [queries.KITCHEN_OPEN, None],
    "[ID!]!": [
        [queries.KANTATA_DRAFT, queries.KITCHEN_OPEN, MISSING_INVOICE, "nope", "kantata:user:7"]
    ],
    "UpdateInvoiceInput!": [
        {"id": queries.KANTATA_DRAFT, "title": "Differential"},
        {"id": queries.KITCHEN_DRAFT, "title": "Differential", "notes": "n"},
        {"id": MISSING_INVOICE, "title": "x"},
        {"id": queries.KANTATA_DRAFT, "number": "not digits"},
    ],
    "Vendor!": ["KANTATA", "KITCHEN"],
    "Vendor": ["KITCHEN", None],
    "Int": [2, None],
    "Int!": [3],
    "Boolean!": [True, False],
    "Boolean": [False, True],
    "String": ["x", None],
    "String!": ["x"],
}


def requests(document: str, most: int = 4) -> Iterator[tuple[str | None, dict[str, Any] | None]]:
    """(operationName, variables) to send `document` with: for each operation in it, up to
    `most` sets of variables, the values of each variable taken in turn."""
    operations = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        name = operation.name.value if operation.name and len(operations) > 1 else None
        for variables in variable_sets(operation, most):
            yield name, variables


def variable_sets(operation: OperationDefinitionNode, most: int) -> list[dict[str, Any] | None]:
    definitions = operation.variable_definitions or ()
    if not definitions:
        return [None]
    choices = [(d.variable.name.value, VALUES.get(print_ast(d.type), [None])) for d in definitions]
    rounds = max(len(values) for _, values in choices)
    return [
        {name: values[i % len(values)] for name, values in choices}
        for i in range(min(rounds, most))
    ]
