"""Kitchen.co over HTTP, bound to one workspace and its API key."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from gateway.core.domain import (
    Bundle,
    Invoice,
    InvoicePatch,
    LineItem,
    Needs,
    RequestPreview,
    User,
    UserKey,
    VendorRequest,
    Workspace,
)
from gateway.core.errors import ErrorCode, GatewayError
from gateway.vendors.filters import count_is_trusted
from gateway.vendors.http import Upstream, guarded
from gateway.vendors.kitchen import pages, read, translate
from gateway.vendors.kitchen.identity import IDS, VENDOR
from gateway.vendors.paging import Page, fetch_window

# Kitchen has no batch-by-ID filter, so invoices and users are fetched one by one; this
# bounds how many of those run at once for one caller's request.
MAX_CONCURRENT_FETCHES = 8
MAX_PER_PAGE = 100  # the old docs' maximum [doc, old]; what is served is read from `meta`
_USER_PATHS = {translate.MEMBER: "/members", translate.CLIENT: "/clients"}


class KitchenClient:
    vendor = VENDOR

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream
        self._limit = asyncio.Semaphore(MAX_CONCURRENT_FETCHES)

    def preview(self, request: VendorRequest) -> RequestPreview:
        return self._upstream.preview(request)

    @property
    def scope(self) -> str:
        return self._upstream.url("")

    def calls_for(self, type_: str, count: int) -> int:
        # No batch endpoint: one GET per invoice, and per user (a user named without its
        # role may take two: members, then clients); items live inside their invoice.
        return count if type_ in ("invoice", "user") else 0

    def needs_current(self, patch: InvoicePatch) -> bool:
        return False  # Kitchen's lists are plain replacements of what the caller sends

    def check_update(self, patch: InvoicePatch) -> None:
        translate.update_body(patch.values)

    def build_update(
        self, patch: InvoicePatch, needs: Needs, current: Invoice | None = None
    ) -> VendorRequest:
        return VendorRequest(
            method="PUT",
            path=f"/invoices/{patch.invoice_id}",
            params=translate.expand_params(needs),
            body=translate.update_body(patch.values),
        )

    async def update_invoice(self, request: VendorRequest, native_id: str) -> Bundle:
        record = await self._upstream.send(request)
        bundle = guarded(translate.LABEL, partial(read.bundle_from_record, record))
        if bundle.invoice.vendor_id != native_id:
            raise GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE,
                f"Kitchen answered the update of {native_id} with another invoice, "
                f"{bundle.invoice.vendor_id}",
            )
        wrong = guarded(translate.LABEL, partial(read.unapplied, request.body, record))
        if wrong:
            raise GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE,
                f"Kitchen accepted the update, but its answer does not show {', '.join(wrong)} "
                "as sent: read the invoice again before relying on it",
            )
        return bundle

    async def fetch_invoices(self, native_ids: Sequence[str], needs: Needs) -> Bundle:
        # No batch endpoint: one GET per distinct invoice, a bounded number at a time.
        params = translate.expand_params(needs)

        async def one(native_id: str) -> Bundle:
            async with self._limit:
                record = await self._get_or_none(f"/invoices/{native_id}", params)
            if record is None:
                return Bundle()
            return guarded(translate.LABEL, partial(read.bundle_from_record, record))

        bundle = Bundle()
        ids = IDS.well_formed("invoice", native_ids)
        for answer in await asyncio.gather(*(one(i) for i in ids)):
            bundle.merge(answer)
        return bundle

    async def list_invoices(
        self, filters: Mapping[str, Any], offset: int, limit: int, needs: Needs
    ) -> Bundle:
        params = translate.filter_params(filters) + translate.expand_params(needs)

        async def page(number: int, per_page: int) -> Page:
            body = await self._upstream.request(
                "GET",
                "/invoices",
                params=(("page", str(number)), ("per_page", str(per_page)), *params),
            )
            return guarded(translate.LABEL, partial(pages.page_from_body, body, filters))

        # Sorted by creation date, newest first [doc]; Kitchen documents no sort parameter.
        bundle = await fetch_window(offset, limit, MAX_PER_PAGE, page, translate.LABEL)
        bundle.total_trusted = count_is_trusted(filters, translate.FILTERS)
        return bundle

    async def fetch_users(self, keys: Sequence[UserKey]) -> Mapping[UserKey, User]:

        async def one(key: UserKey) -> User | None:
            # A user named without a role is looked for among members, then clients.
            roles = [key.role] if key.role in _USER_PATHS else list(_USER_PATHS)
            for role in roles:
                async with self._limit:
                    record = await self._get_or_none(f"{_USER_PATHS[role]}/{key.native_id}")
                if record is not None:
                    return guarded(translate.LABEL, partial(read.user_from_record, record))
            return None

        # IDs come from vendor answers: only well-formed ones go into a URL.
        unique = [k for k in dict.fromkeys(keys) if IDS.is_native("user", k.native_id)]
        users = await asyncio.gather(*(one(key) for key in unique))
        return {key: user for key, user in zip(unique, users, strict=True) if user is not None}

    async def _get_or_none(self, path: str, params: tuple[tuple[str, str], ...] = ()) -> Any:
        try:
            return await self._upstream.request("GET", path, params=params)
        except GatewayError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def fetch_workspaces(self, native_ids: Sequence[str]) -> Mapping[str, Workspace]:
        return {}  # Kitchen has no workspaces in the Kantata sense.

    async def fetch_line_items(self, global_ids: Sequence[str]) -> Mapping[str, LineItem]:
        return {}  # Items only exist inside their invoice, which always carries them.
