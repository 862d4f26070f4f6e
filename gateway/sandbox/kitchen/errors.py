"""Kitchen's error answers, shaped the way Laravel renders them for JSON clients.

Nothing about errors is documented, so all of this is [guess]: Laravel's defaults.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answer: `{"message": ...}`, plus `errors` for a 422."""

    def __init__(
        self, status: int, message: str, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, object]:
        if self.errors is None:
            return {"message": self.message}
        return {"message": self.message, "errors": self.errors}


def unauthenticated() -> ApiError:
    return ApiError(401, "Unauthenticated.")


def unauthorized() -> ApiError:
    return ApiError(403, "This action is unauthorized.")


def model_not_found(model: str, id: str) -> ApiError:
    """Laravel turns a failed route-model binding into this 404."""
    return ApiError(404, f"No query results for model [App\\Models\\{model}] {id}")


def route_not_found(path: str) -> ApiError:
    return ApiError(404, f"The route {path.lstrip('/')} could not be found.")


def workspace_not_found(slug: str) -> ApiError:
    return ApiError(404, f"Workspace [{slug}] not found.")


def method_not_allowed(method: str, path: str, allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        f"The {method} method is not supported for route {path.lstrip('/')}. "
        f"Supported methods: {', '.join(allowed)}.",
    )


def invalid(errors: dict[str, list[str]]) -> ApiError:
    """A 422 whose message summarises the errors like `ValidationException::summarize`."""
    messages = [m for field in errors.values() for m in field]
    message = messages[0]
    if rest := len(messages) - 1:
        message += f" (and {rest} more {'error' if rest == 1 else 'errors'})"
    return ApiError(422, message, errors)
