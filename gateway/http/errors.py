"""Refusals made before GraphQL runs, shaped like a GraphQL response so one client code
path reads them: `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`. The view
answers its own refusals in the media type the client negotiated (`media_type`); the door
in front of it (API key, CSRF, body size) answers `application/json`."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


def error_response(
    status: int,
    message: str,
    code: str,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    media_type: str = "application/json",
) -> JSONResponse:
    extensions = {"code": code}
    if request_id is not None:
        extensions["requestId"] = request_id
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status,
        headers=dict(headers or {}),
        media_type=media_type,
    )
