"""Offset windows over page-numbered vendor lists, built from what the vendor served.

Both vendors page by number (`page`, `per_page`); callers page by position (a cursor is
an offset). A window of `limit` items from `offset` is asked for as one vendor page
whenever some page size up to the vendor's maximum holds the whole window, else as the
pages of one size that hold it.

Nothing is taken on trust: each answer's own page metadata (page number, page size, count)
places its rows in the list, at `(number - 1) * size` onwards, and must agree with the
rows it came with. A vendor that served another page size than asked (clamped, or
`per_page` ignored) is followed: what is missing is asked for at the size it serves, at
most `MAX_EXTRA_PAGES` more calls; a window still short after those comes back shorter
(Relay allows fewer than `first`), never with a row twice or a gap. Metadata that is
missing or contradicts the rows, a page number other than asked that does not hold the
window, or two answers that disagree (the list changed between them) is
UPSTREAM_UNAVAILABLE, saying what the vendor did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.core.domain import Bundle, Invoice
from gateway.core.errors import ErrorCode, GatewayError

MAX_EXTRA_PAGES = 2  # calls beyond the plan when the vendor serves another page size


@dataclass(frozen=True)
class PagePlan:
    per_page: int
    pages: tuple[int, ...]  # 1-based and consecutive
    skip: int  # items to drop from the start of the first page


@dataclass(frozen=True)
class Page:
    """One vendor answer as it describes itself (the vendor module reads its metadata)."""

    number: int  # the page it says it served, 1-based (Kantata: 0 for an empty list)
    size: int  # the page size it says it used
    total: int  # how many items the list holds in all, by its count
    bundle: Bundle  # the rows, in the vendor's order, with what they sideloaded


def plan_pages(offset: int, limit: int, max_per_page: int) -> PagePlan:
    if offset < 0 or limit < 0 or max_per_page < 1:
        raise ValueError("the window does not fit the vendor's pages")
    if limit == 0:
        return PagePlan(per_page=1, pages=(1,), skip=0)  # only the total is wanted
    last = offset + limit - 1
    for per_page in range(limit, max_per_page + 1):
        if offset // per_page == last // per_page:
            return PagePlan(per_page, (offset // per_page + 1,), offset % per_page)
    size = min(limit, max_per_page)
    return PagePlan(size, tuple(range(offset // size + 1, last // size + 2)), offset % size)


def unavailable(message: str) -> GatewayError:
    """A list answer the gateway will not use, saying what the vendor did."""
    return GatewayError.one(ErrorCode.UPSTREAM_UNAVAILABLE, message)


def meta_count(meta: Mapping[str, Any], key: str, label: str) -> int:
    """A page metadata count (`count`, `per_page`, ...): a whole number, never negative."""
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise unavailable(f"{label} answered a list page without a usable meta.{key}")
    return value


def page_start(page: Page, label: str) -> int:
    """The list position of the page's first row; the page must agree with itself."""
    rows = len(page.bundle.invoices)
    said = f"page {page.number} of size {page.size}, {page.total} in all"
    if page.size < 1 or page.total < 0 or page.number < 0:
        raise unavailable(f"{label} described a list page impossibly ({said})")
    if page.total == 0:
        if rows:
            raise unavailable(f"{label} answered {rows} invoices in a list it counts empty")
        return 0
    if page.number == 0:
        raise unavailable(f"{label} answered page 0 of a list of {page.total}")
    start = (page.number - 1) * page.size
    if rows > page.size:
        if page.number == 1 and rows == page.total:
            return 0  # paging ignored altogether: the whole list, in order
        raise unavailable(f"{label} answered {rows} invoices on one page ({said})")
    expected = max(0, min(page.size, page.total - start))
    if rows != expected:
        raise unavailable(
            f"{label} answered {rows} invoices on a page that should hold {expected} ({said})"
        )
    return start


class _Rows:
    """Rows by list position, refusing two answers that disagree."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.at: dict[int, Invoice] = {}
        self.where: dict[str, int] = {}

    def place(self, start: int, invoices: list[Invoice]) -> None:
        for position, invoice in enumerate(invoices, start):
            seen = self.at.get(position)
            other = self.where.get(invoice.vendor_id)
            if (seen is not None and seen.vendor_id != invoice.vendor_id) or (
                other is not None and other != position
            ):
                raise unavailable(
                    f"{self.label}'s list changed while it was read: its pages disagree about "
                    f"position {position + 1}; try again"
                )
            self.at[position] = invoice
            self.where[invoice.vendor_id] = position

    def run(self, start: int, end: int) -> list[Invoice]:
        """The rows from `start` up to the first gap (or `end`)."""
        found: list[Invoice] = []
        for position in range(start, end):
            if position not in self.at:
                break
            found.append(self.at[position])
        return found


async def fetch_window(
    offset: int,
    limit: int,
    max_per_page: int,
    fetch_page: Callable[[int, int], Awaitable[Page]],
    label: str,
) -> Bundle:
    """At most `limit` invoices from `offset`, from the vendor pages (`fetch_page(number,
    per_page)`) the plan needs, at once, then from the pages of the size the vendor really
    served; `total` is the vendor's count."""
    plan = plan_pages(offset, limit, max_per_page)
    asked = [(number, plan.per_page) for number in plan.pages]
    budget = len(asked) + MAX_EXTRA_PAGES
    bundle, rows = Bundle(), _Rows(label)
    total: int | None = None
    calls = 0
    while True:
        answers = await asyncio.gather(*(fetch_page(number, size) for number, size in asked))
        calls += len(asked)
        moved: tuple[int, int] | None = None
        for (number, _), page in zip(asked, answers, strict=True):
            start = page_start(page, label)
            if total is not None and page.total != total:
                raise unavailable(
                    f"{label}'s list changed while it was read: it counted {total}, then "
                    f"{page.total}; try again"
                )
            total = page.total
            rows.place(start, page.bundle.invoices)
            bundle.merge(page.bundle)
            if page.total and page.number != number:
                moved = (number, page.number)
        assert total is not None
        end = min(offset + limit, total)
        missing = [p for p in range(offset, end) if p not in rows.at]
        if not missing:
            break
        if moved is not None:
            raise unavailable(
                f"{label} served page {moved[1]} when asked for page {moved[0]}, which does "
                f"not hold invoices {offset + 1}-{end} of its list"
            )
        left = budget - calls
        if left <= 0:
            break
        served = answers[0].size
        first, last = missing[0] // served + 1, missing[-1] // served + 1
        asked = [(number, served) for number in range(first, min(last, first + left - 1) + 1)]
    bundle.invoices = rows.run(offset, min(offset + limit, total))
    if offset < total and limit and not bundle.invoices:
        raise unavailable(f"{label}'s pages did not reach invoice {offset + 1} of its list")
    bundle.total = total
    return bundle
