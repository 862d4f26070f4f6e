"""Kantata OX over HTTP, bound to one caller's OAuth token."""

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
from gateway.core.ids import InvalidId
from gateway.vendors.filters import count_is_trusted
from gateway.vendors.http import Upstream, guarded
from gateway.vendors.kantata import pages, read, translate
from gateway.vendors.kantata.identity import IDS, VENDOR
from gateway.vendors.paging import Page, fetch_window

# `only=` skips pagination, but a URL carrying thousands of IDs is refused by proxies; the
# index endpoints' own page cap is a safe chunk size.
ONLY_CHUNK = 200
MAX_PER_PAGE = 200  # the index endpoints' documented maximum


class KantataClient:
    vendor = VENDOR

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream

    def preview(self, request: VendorRequest) -> RequestPreview:
        return self._upstream.preview(request)

    @property
    def scope(self) -> str:
        return self._upstream.url("")

    def calls_for(self, type_: str, count: int) -> int:
        # Every type with an index endpoint is fetched by `only=`, ONLY_CHUNK IDs a call.
        return -(-count // ONLY_CHUNK)

    def needs_current(self, patch: InvoicePatch) -> bool:
        # Billable lists overwrite the whole set: adding or removing needs the set as it is,
        # and refusing an update that would leave no line item needs the fixed fee and
        # additional items, which PUT cannot touch.
        return any(name in patch.values for name in translate.BILLABLE_FIELDS)

    def check_update(self, patch: InvoicePatch) -> None:
        # Without the invoice, the billable lists are validated but not resolved.
        translate.update_body(patch.values, None)

    def build_update(
        self, patch: InvoicePatch, needs: Needs, current: Invoice | None = None
    ) -> VendorRequest:
        return VendorRequest(
            method="PUT",
            path=f"/invoices/{patch.invoice_id}",
            params=translate.include_params(needs),
            body=translate.update_body(patch.values, current),
        )

    async def update_invoice(self, request: VendorRequest, native_id: str) -> Bundle:
        envelope = await self._upstream.send(request)
        return guarded(translate.LABEL, lambda: read.single_invoice(envelope, native_id))

    async def fetch_invoices(self, native_ids: Sequence[str], needs: Needs) -> Bundle:
        unique = IDS.well_formed("invoice", native_ids)
        if not unique:
            return Bundle()
        include = translate.include_params(needs)
        if len(unique) == 1:
            # A single read keeps the vendor's own 404 (and is what a person would send).
            try:
                envelope = await self._upstream.request(
                    "GET", f"/invoices/{unique[0]}", params=include
                )
            except GatewayError as exc:
                if exc.code is ErrorCode.NOT_FOUND:
                    return Bundle()
                raise
            return guarded(translate.LABEL, lambda: read.bundle_from_envelope(envelope))
        bundle = Bundle()
        for envelope in await self._only_envelopes("/invoices", unique, include):
            bundle.merge(guarded(translate.LABEL, partial(read.bundle_from_envelope, envelope)))
        return bundle

    async def list_invoices(
        self, filters: Mapping[str, Any], offset: int, limit: int, needs: Needs
    ) -> Bundle:
        params = translate.filter_params(filters) + translate.include_params(needs)

        async def page(number: int, per_page: int) -> Page:
            envelope = await self._upstream.request(
                "GET",
                "/invoices",
                params=(
                    ("page", str(number)),
                    ("per_page", str(per_page)),
                    ("order", translate.LIST_ORDER),
                    *params,
                ),
            )
            return guarded(translate.LABEL, partial(pages.page_from_envelope, envelope, filters))

        bundle = await fetch_window(offset, limit, MAX_PER_PAGE, page, translate.LABEL)
        pages.check_order(bundle.invoices)
        bundle.total_trusted = count_is_trusted(filters, translate.FILTERS)
        return bundle

    async def _only_envelopes(
        self, path: str, ids: Sequence[str], params: tuple[tuple[str, str], ...] = ()
    ) -> list[Any]:
        unique = list(dict.fromkeys(ids))
        chunks = [unique[i : i + ONLY_CHUNK] for i in range(0, len(unique), ONLY_CHUNK)]
        return list(
            await asyncio.gather(
                *(
                    self._upstream.request("GET", path, params=(("only", ",".join(c)), *params))
                    for c in chunks
                )
            )
        )

    async def _only(self, path: str, key: str, ids: Sequence[str]) -> list[Mapping[str, Any]]:
        envelopes = await self._only_envelopes(path, ids)
        return [
            record
            for envelope in envelopes
            for record in guarded(translate.LABEL, partial(read.records, envelope, key))
        ]

    async def fetch_users(self, keys: Sequence[UserKey]) -> Mapping[UserKey, User]:
        ids = IDS.well_formed("user", [key.native_id for key in keys])
        found = await self._only("/users", "users", ids)
        by_id = {
            str(r["id"]): guarded(translate.LABEL, partial(read.user_from_record, r)) for r in found
        }
        return {key: by_id[key.native_id] for key in keys if key.native_id in by_id}

    async def fetch_workspaces(self, native_ids: Sequence[str]) -> Mapping[str, Workspace]:
        ids = IDS.well_formed("workspace", native_ids)
        found = await self._only("/workspaces", "workspaces", ids)
        return {
            str(r["id"]): guarded(translate.LABEL, partial(read.workspace_from_record, r))
            for r in found
        }

    async def fetch_line_items(self, global_ids: Sequence[str]) -> Mapping[str, LineItem]:
        by_type: dict[str, list[str]] = {}
        for global_id in global_ids:
            try:
                gid = IDS.parse(global_id)
            except InvalidId:
                continue  # named by a vendor answer, malformed: reported missing
            # Fixed fee and additional items have no endpoint of their own: they only ever
            # arrive through an invoice's include, so they are never fetched here.
            if gid.type in translate.INDEX_PATH_BY_TYPE:
                by_type.setdefault(gid.type, []).append(gid.native)

        async def one(id_type: str, natives: list[str]) -> list[LineItem]:
            path = translate.INDEX_PATH_BY_TYPE[id_type]
            found = await self._only(path, path.lstrip("/"), natives)
            kind = translate.KIND_BY_TYPE[id_type]
            return [
                guarded(translate.LABEL, partial(read.line_item_from_record, kind, r))
                for r in found
            ]

        results = await asyncio.gather(*(one(t, n) for t, n in by_type.items()))
        return {item.id: item for items in results for item in items}
