"""Kantata-style errors: `{"errors": [{"type", "message", "field"?}]}`.

Types as Kantata documents them: `oauth` (401, and 403 here), `system`, `validation`.
Handlers raise `ApiError`; the app turns it into the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorItem:
    type: str
    message: str
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


def invalid(field: str, message: str) -> ErrorItem:
    """A validation error on one field; the message starts with the field's human name
    (`external_reference.service_name` reads "External reference service name")."""
    label = field.replace(".", " ").replace("_", " ").capitalize()
    return ErrorItem("validation", f"{label} {message}", field)


class ApiError(Exception):
    def __init__(self, status: int, errors: list[ErrorItem]) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors

    def to_json(self) -> dict[str, Any]:
        return {"errors": [e.to_json() for e in self.errors]}


def unauthorized() -> ApiError:
    return ApiError(401, [ErrorItem("oauth", "Invalid OAuth 2 Access Token")])


def forbidden() -> ApiError:
    return ApiError(
        403, [ErrorItem("oauth", "This access token is read-only; writes are not permitted")]
    )


def not_found(what: str) -> ApiError:
    return ApiError(404, [ErrorItem("system", f"{what} could not be found")])


def bad_request(message: str) -> ApiError:
    return ApiError(400, [ErrorItem("system", message)])


def unprocessable(errors: list[ErrorItem]) -> ApiError:
    return ApiError(422, errors)
