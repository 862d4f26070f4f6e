"""Neutral errors: every failure a caller can see, whatever vendor caused it.

Vendor modules turn their own status codes and bodies into these; the GraphQL layer turns
these into `UserError`s. Messages never carry credentials.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

Path = tuple[str, ...]


class ErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    UNSUPPORTED_FIELD = "UNSUPPORTED_FIELD"
    NOT_FOUND = "NOT_FOUND"
    UPSTREAM_REJECTED = "UPSTREAM_REJECTED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    # The request asks for more than the gateway allows one request
    # (docs/errors-and-limits.md, "Limits").
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with the path into the caller's input where there is one, and,
    when a vendor asked for it (`Retry-After`), the seconds to wait before trying again
    (rounded up)."""

    code: ErrorCode
    message: str
    field: Path | None = None
    retry_after: int | None = None


@dataclass
class GatewayError(Exception):
    """One or more problems; raised by vendors and validation, reported as user errors."""

    problems: Sequence[Problem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(cls, code: ErrorCode, message: str, field: Path | None = None) -> GatewayError:
        return cls((Problem(code, message, field),))

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code

    def at(self, root: str, name: Callable[[str], str]) -> GatewayError:
        """These problems with each field path's parts renamed by `name` and put under
        `root`, and the message naming them the same way: how a caller's layer shows
        neutral fields (`("line_items", "0")` as `["input", "lineItems", "0"]`)."""
        return GatewayError(tuple(_renamed(p, root, name) for p in self.problems))


def _renamed(problem: Problem, root: str, name: Callable[[str], str]) -> Problem:
    if not problem.field:
        return problem
    message = problem.message
    for part in problem.field:
        if name(part) != part:
            message = re.sub(rf"\b{re.escape(part)}\b", name(part), message)
    return replace(problem, message=message, field=(root, *map(name, problem.field)))


class ProblemCollector:
    """Gathers every problem in an input so one answer names them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: ErrorCode, message: str, field: Path | None = None) -> None:
        self.problems.append(Problem(code, message, field))

    def invalid(self, field: Path, message: str) -> None:
        self.add(ErrorCode.INVALID_INPUT, message, field)

    def raise_if_any(self) -> None:
        if self.problems:
            # Unsupported fields first: they mean "wrong vendor", the most useful thing to read.
            ordered = sorted(self.problems, key=lambda p: p.code is not ErrorCode.UNSUPPORTED_FIELD)
            raise GatewayError(tuple(ordered))
