"""Which records an index request returns: `page`, `per_page` and `only`.

- `page` defaults to 1; `per_page` to 20, capped at 200 (a larger value is served as 200,
  and `meta.page_size` says so). A value that is not a positive integer means the default.
  Quirks (emulator settings): `per_page_max` moves the cap; `ignore_per_page` serves the
  default 20 whatever is asked. `meta.page_size` always says what was served.
- `meta.page_number` is the page asked for, and 0 when nothing matches (brainstem:
  `count > 0 ? page : 0`) [code].
- `only=1,2,3` skips pagination: it keeps the numeric tokens, returns the matching records in
  the endpoint's sort order and silently leaves out IDs that do not exist. `meta.page_size`
  is then `max(per_page, count)`, so `page_count` is 1 (0 when nothing matched).
- `meta.page_count = ceil(count / page_size)`; a page past the end is empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from gateway.sandbox.kantata.models import Identified

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200

T = TypeVar("T", bound=Identified)


@dataclass(frozen=True)
class Meta:
    count: int
    page_count: int
    page_number: int
    page_size: int

    @classmethod
    def of(cls, count: int, page_number: int, page_size: int) -> Meta:
        return cls(count, math.ceil(count / page_size), page_number if count else 0, page_size)


SINGLE = Meta.of(1, 1, DEFAULT_PER_PAGE)


def _positive(value: str | None, default: int) -> int:
    if value is None or not value.strip().isdigit() or int(value) < 1:
        return default
    return int(value)


def only_ids(value: str) -> set[str]:
    """The numeric tokens of an `only` value, normalised (`007` is `7`)."""
    tokens = (t.strip() for t in value.split(","))
    return {str(int(t)) for t in tokens if t.isdigit()}


def select(
    ordered: Sequence[T],
    params: Mapping[str, str],
    *,
    max_per_page: int = MAX_PER_PAGE,
    ignore_per_page: bool = False,
) -> tuple[list[T], Meta]:
    """The slice of `ordered` (already in the endpoint's sort order) the request asks for."""
    asked = DEFAULT_PER_PAGE if ignore_per_page else _positive(params.get("per_page"), 0)
    per_page = max(min(asked or DEFAULT_PER_PAGE, max_per_page), 1)
    only = params.get("only")
    if only is not None:
        wanted = only_ids(only)
        hits = [r for r in ordered if r.id in wanted]
        return hits, Meta.of(len(hits), 1, max(per_page, len(hits)))
    page = _positive(params.get("page"), 1)
    start = (page - 1) * per_page
    return list(ordered[start : start + per_page]), Meta.of(len(ordered), page, per_page)
