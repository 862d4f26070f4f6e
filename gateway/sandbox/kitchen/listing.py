"""Laravel's `LengthAwarePaginator`, as an API resource collection renders it.

`{"data": [...], "links": {"first", "last", "prev", "next"}, "meta": {"current_page",
"from", "last_page", "links", "path", "per_page", "to", "total"}}`. `meta.links` follows
Laravel's `UrlWindow` (3 pages each side of the current one, "..." between groups).

[guess] `per_page` defaults to 15 (Laravel's default); above 100 it is clamped to 100;
anything that is not a positive integer means the default. A `page` that is not a positive
integer means page 1; a page past the end gives an empty `data` (`from`/`to` null). Page
URLs keep the request's other query parameters (Laravel's `withQueryString()`), with
`page` last. Quirks (emulator settings): `per_page_max` moves the clamp; `ignore_per_page`
serves the default 15 whatever is asked. Either way `meta.per_page` says what was served,
as Laravel's paginator does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from gateway.sandbox.kitchen.serialize import Json

T = TypeVar("T")
DEFAULT_PER_PAGE = 15
MAX_PER_PAGE = 100
ON_EACH_SIDE = 3


def _positive_int(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    number = int(text)
    return number if number >= 1 else None


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int
    path: str  # absolute URL without the query string
    query: list[tuple[str, str]]  # the other query parameters, in order

    @classmethod
    def parse(
        cls,
        path: str,
        query: Sequence[tuple[str, str]],
        *,
        max_per_page: int = MAX_PER_PAGE,
        ignore_per_page: bool = False,
    ) -> PageRequest:
        params = dict(query)
        per_page = _positive_int(params.get("per_page")) or DEFAULT_PER_PAGE
        if ignore_per_page:
            per_page = DEFAULT_PER_PAGE
        return cls(
            page=_positive_int(params.get("page")) or 1,
            per_page=max(min(per_page, max_per_page), 1),
            path=path,
            query=[(k, v) for k, v in query if k != "page"],
        )

    def url(self, page: int) -> str:
        return f"{self.path}?{urlencode([*self.query, ('page', str(page))])}"


def paginate(items: Sequence[T], request: PageRequest, render: Callable[[T], Json]) -> Json:
    total = len(items)
    last = max(math.ceil(total / request.per_page), 1)
    current = request.page
    start = (current - 1) * request.per_page
    chunk = items[start : start + request.per_page]
    return {
        "data": [render(item) for item in chunk],
        "links": {
            "first": request.url(1),
            "last": request.url(last),
            "prev": request.url(current - 1) if current > 1 else None,
            "next": request.url(current + 1) if current < last else None,
        },
        "meta": {
            "current_page": current,
            "from": start + 1 if chunk else None,
            "last_page": last,
            "links": _links(request, current, last),
            "path": request.path,
            "per_page": request.per_page,
            "to": start + len(chunk) if chunk else None,
            "total": total,
        },
    }


def _window(current: int, last: int) -> list[list[int] | str]:
    """Laravel's `UrlWindow::get()` flattened into `elements()`."""
    if last < ON_EACH_SIDE * 2 + 8:
        return [list(range(1, last + 1))]
    window = ON_EACH_SIDE + 4
    start, finish = [1, 2], [last - 1, last]
    if current <= window:
        return [list(range(1, window + ON_EACH_SIDE + 1)), "...", finish]
    if current > last - window:
        return [start, "...", list(range(last - (window + ON_EACH_SIDE - 1), last + 1))]
    slider = list(range(current - ON_EACH_SIDE, current + ON_EACH_SIDE + 1))
    return [start, "...", slider, "...", finish]


def _links(request: PageRequest, current: int, last: int) -> Json:
    links: list[Json] = [
        {
            "url": request.url(current - 1) if current > 1 else None,
            "label": "&laquo; Previous",
            "active": False,
        }
    ]
    for element in _window(current, last):
        if isinstance(element, str):
            links.append({"url": None, "label": element, "active": False})
            continue
        for page in element:
            links.append({"url": request.url(page), "label": str(page), "active": page == current})
    links.append(
        {
            "url": request.url(current + 1) if current < last else None,
            "label": "Next &raquo;",
            "active": False,
        }
    )
    return links
