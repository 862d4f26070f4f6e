"""Offset windows over page-numbered vendor lists.

Both vendors page by number (`page`, `per_page`); callers page by position (a cursor is
an offset). A window of `limit` items from `offset` is served by one vendor page whenever
some page size up to the vendor's maximum holds the whole window, else by two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.domain import Bundle


@dataclass(frozen=True)
class PagePlan:
    per_page: int
    pages: tuple[int, ...]  # 1-based and consecutive
    skip: int  # items to drop from the start of the first page


def plan_pages(offset: int, limit: int, max_per_page: int) -> PagePlan:
    if offset < 0 or limit < 0 or limit > max_per_page:
        raise ValueError("the window does not fit the vendor's pages")
    if limit == 0:
        return PagePlan(per_page=1, pages=(1,), skip=0)  # only the total is wanted
    last = offset + limit - 1
    for per_page in range(limit, max_per_page + 1):
        if offset // per_page == last // per_page:
            return PagePlan(per_page, (offset // per_page + 1,), offset % per_page)
    first = offset // limit + 1
    return PagePlan(limit, (first, first + 1), offset % limit)


async def fetch_window(
    offset: int,
    limit: int,
    max_per_page: int,
    fetch_page: Callable[[int, int], Awaitable[Bundle]],
) -> Bundle:
    """`limit` invoices from `offset`, fetching the vendor pages (`fetch_page(number,
    per_page)`) the plan needs, at once; the total is the first page's."""
    plan = plan_pages(offset, limit, max_per_page)
    pages = await asyncio.gather(*(fetch_page(n, plan.per_page) for n in plan.pages))
    bundle = Bundle(total=pages[0].total)
    for page in pages:
        bundle.merge(page)
    bundle.invoices = bundle.invoices[plan.skip : plan.skip + limit]
    return bundle
