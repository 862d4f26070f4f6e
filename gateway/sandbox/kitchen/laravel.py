"""How Laravel reads a request and answers an error, for the few headers that matter.

- Body: parsed only when `Content-Type` says JSON (`/json` or `+json`); an undecodable body,
  or JSON that is not an object, reads as no input at all, as Laravel's `Request::json()`
  does. So a malformed PUT changes nothing and answers 200 [guess]. Numbers are read as
  exact decimals.
- Errors: a client "expects JSON" when it sends `X-Requested-With: XMLHttpRequest` or its
  preferred `Accept` type contains `/json` or `+json` (Laravel's `expectsJson()`). Such
  clients (every documented request) get `{"message": ...}` bodies. Others get what a
  Laravel web app gives a browser [guess]: 401 and 422 become a 302 redirect (to the
  workspace's `/login`, and "back" = `Referer` or the workspace root), anything else an HTML
  page with the same status. Successful answers are JSON whatever `Accept` says.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gateway.sandbox.kitchen.errors import ApiError
from gateway.sandbox.kitchen.serialize import JsonResponse

_TITLES = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


def _is_json_type(media_type: str) -> bool:
    return "/json" in media_type or "+json" in media_type


def expects_json(request: Request) -> bool:
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return True
    return _is_json_type(_preferred(request.headers.get("accept", "")))


def _preferred(accept: str) -> str:
    """The first acceptable media type, by `q` then by position."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            ranked.append((-q, position, media.lower()))
    return min(ranked)[2] if ranked else ""


async def read_input(request: Request) -> dict[str, object]:
    if not _is_json_type(request.headers.get("content-type", "").lower()):
        return {}
    raw = await request.body()
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def error_response(request: Request, error: ApiError, workspace: str | None) -> Response:
    if expects_json(request):
        return JsonResponse(error.body(), status_code=error.status)
    home = f"{request.base_url}{workspace}/" if workspace else str(request.base_url)
    if error.status == 401:
        return RedirectResponse(f"{home}login", status_code=302)
    if error.status == 422:
        return RedirectResponse(request.headers.get("referer", home), status_code=302)
    title = _TITLES.get(error.status, "Error")
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{error.status} | {html.escape(title)}</h1></body></html>"
    )
    return HTMLResponse(page, status_code=error.status)
