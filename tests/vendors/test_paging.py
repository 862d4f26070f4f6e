"""Windows over page-numbered vendor lists (gateway/vendors/paging.py), against fake vendors
that page the ways real ones do: as asked, clamped, ignoring `per_page`, ignoring paging
altogether, ignoring `page`, or describing their pages wrongly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from gateway.core.domain import (
    Bundle,
    DueReminder,
    Invoice,
    InvoiceStatus,
    Vendor,
)
from gateway.core.errors import ErrorCode, GatewayError
from gateway.vendors.kitchen.details import KitchenDetails
from gateway.vendors.paging import MAX_EXTRA_PAGES, Page, fetch_window, plan_pages

LIST = [f"in_{n:02}" for n in range(32)]  # a vendor list of 32 invoices, in its order


def _invoice(native: str) -> Invoice:
    return Invoice(
        id=f"kitchen:invoice:{native}",
        vendor=Vendor("kitchen", "Kitchen"),
        vendor_id=native,
        number=native,
        title=None,
        status=InvoiceStatus.OPEN,
        vendor_status="open",
        issue_date=dt.date(2025, 1, 1),
        due_date=None,
        payment_terms_days=None,
        currency="USD",
        notes=None,
        total=None,
        balance=None,
        created_by=None,
        recipient=None,
        workspace_ids=(),
        line_item_ids=(),
        created_at=None,
        updated_at=None,
        details=KitchenDetails(
            footer=None,
            language=None,
            visibility=None,
            payment_gateways=(),
            discounts=(),
            tax_items=(),
            due_reminder=DueReminder(None, None, None),
            subtotal=None,
            discount_total=None,
            tax_total=None,
            paid_at=None,
            finalized_at=None,
        ),
    )


Serve = Callable[[int, int], Page]


def honest(max_size: int = 100, fixed: int | None = None) -> Serve:
    """A paginator that serves `fixed` per page if set, else `per_page` up to `max_size`,
    and says so in its metadata."""

    def serve(number: int, per_page: int) -> Page:
        size = fixed or min(per_page, max_size)
        rows = LIST[(number - 1) * size : number * size]
        return Page(number, size, len(LIST), Bundle([_invoice(n) for n in rows]))

    return serve


class Vendorish:
    def __init__(self, serve: Serve) -> None:
        self.serve = serve
        self.calls: list[tuple[int, int]] = []

    async def __call__(self, number: int, per_page: int) -> Page:
        self.calls.append((number, per_page))
        return self.serve(number, per_page)


async def window(serve: Serve, offset: int, limit: int) -> tuple[list[str], Vendorish]:
    vendor = Vendorish(serve)
    bundle = await fetch_window(offset, limit, 100, vendor, "Kitchen")
    assert bundle.total == len(LIST)
    return [i.vendor_id for i in bundle.invoices], vendor


@pytest.mark.parametrize(
    ("offset", "limit", "max_per_page", "per_page", "pages", "skip"),
    [
        (0, 20, 100, 20, (1,), 0),
        (3, 5, 100, 8, (1,), 3),  # one page of 8 holds positions 3-7
        (95, 10, 100, 15, (7,), 5),  # page 7 of 15 holds positions 95-104
        (150, 100, 100, 100, (2, 3), 50),  # no page up to 100 holds 150-249: two of 100
        (0, 101, 100, 100, (1, 2), 0),  # more than the vendor's largest page
        (50, 101, 100, 100, (1, 2), 50),
        (7, 0, 100, 1, (1,), 0),  # only the count
    ],
)
def test_plans(
    offset: int, limit: int, max_per_page: int, per_page: int, pages: tuple[int, ...], skip: int
) -> None:
    plan = plan_pages(offset, limit, max_per_page)
    assert (plan.per_page, plan.pages, plan.skip) == (per_page, pages, skip)


@pytest.mark.parametrize(
    ("serve", "offset", "limit", "calls"),
    [
        (honest(), 0, 20, 1),
        (honest(), 14, 7, 1),
        (honest(max_size=10), 0, 20, 2),  # clamped to 10: page 2 of 10 follows
        (honest(max_size=10), 14, 7, 1),  # page 3 of 7 is within the clamp
        (honest(fixed=15), 14, 7, 3),  # per_page ignored: page 3 of 15, then pages 1-2 of 15
        (honest(fixed=15), 0, 30, 2),
        (honest(fixed=100), 3, 5, 1),  # more rows than asked: the window is cut from them
    ],
)
async def test_a_window_is_built_from_what_was_served(
    serve: Serve, offset: int, limit: int, calls: int
) -> None:
    got, vendor = await window(serve, offset, limit)
    assert got == LIST[offset : offset + limit]
    assert len(vendor.calls) == calls


async def test_a_window_the_extra_calls_cannot_fill_comes_back_shorter() -> None:
    got, vendor = await window(honest(fixed=3), 0, 20)  # 3 per page: 1 + 2 calls, 9 rows
    assert got == LIST[:9]
    assert len(vendor.calls) == 1 + MAX_EXTRA_PAGES
    # The next window starts where it stopped; its first call (page 1 of 29) is spent
    # learning the page size again, so 2 pages of 3 follow.
    rest, _ = await window(honest(fixed=3), 9, 20)
    assert rest == LIST[9:15]


async def test_the_whole_list_at_once_is_a_page_of_everything() -> None:
    def everything(number: int, per_page: int) -> Page:
        return Page(1, 15, len(LIST), Bundle([_invoice(n) for n in LIST]))

    got, vendor = await window(everything, 10, 5)
    assert got == LIST[10:15] and len(vendor.calls) == 1


def _lying(rows: list[str], number: int = 1, size: int = 5, total: int = 32) -> Serve:
    return lambda n, p: Page(number, size, total, Bundle([_invoice(r) for r in rows]))


@pytest.mark.parametrize(
    ("serve", "offset", "message"),
    [
        (_lying(LIST[:15]), 0, "answered 15 invoices on one page (page 1 of size 5, 32 in all)"),
        (_lying(LIST[:3]), 0, "answered 3 invoices on a page that should hold 5"),
        (_lying(LIST[:2], total=0), 0, "answered 2 invoices in a list it counts empty"),
        (_lying([], number=0), 0, "answered page 0 of a list of 32"),
        (_lying(LIST[:5], size=0), 0, "described a list page impossibly"),
        (_lying(LIST[:5]), 20, "served page 1 when asked for page 5"),  # `page` ignored
    ],
)
async def test_answers_that_contradict_themselves_or_the_request_are_errors(
    serve: Serve, offset: int, message: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        await window(serve, offset, 5)
    assert caught.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert message in str(caught.value)


def _changing(rows_of_page_2: list[str], total_of_page_2: int = 32) -> Serve:
    """Pages of 10 whatever is asked; page 2 comes from the list after it changed."""

    def serve(number: int, per_page: int) -> Page:
        source, total = (LIST, 32) if number == 1 else (rows_of_page_2, total_of_page_2)
        rows = source[(number - 1) * 10 : number * 10]
        return Page(number, 10, total, Bundle([_invoice(r) for r in rows]))

    return serve


@pytest.mark.parametrize(
    "serve",
    [
        _changing(["in_new", *LIST[:31]]),  # created between the calls, one fell off the end
        _changing(["in_new", *LIST], 33),  # created between the calls: the count moved
    ],
)
async def test_pages_that_disagree_are_an_error(serve: Serve) -> None:
    with pytest.raises(GatewayError, match="changed while it was read"):
        await window(serve, 5, 10)  # positions 5-14: page 1 of 10, then page 2 of 10
