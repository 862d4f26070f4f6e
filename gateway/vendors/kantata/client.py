"""Kantata OX over HTTP, bound to one caller's OAuth token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from gateway.domain import (
    Bundle,
    InvoicePatch,
    LineItem,
    Needs,
    User,
    UserKey,
    Vendor,
    VendorRequest,
    Workspace,
)
from gateway.ids import parse_id
from gateway.vendors.http import Upstream, guarded
from gateway.vendors.kantata import translate

# `only=` skips pagination, but a URL carrying thousands of IDs is refused by proxies; the
# index endpoints' own page cap is a safe chunk size.
ONLY_CHUNK = 200


class KantataClient:
    vendor = Vendor.KANTATA

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream

    def build_update(self, patch: InvoicePatch, needs: Needs) -> VendorRequest:
        return VendorRequest(
            method="PUT",
            path=f"/invoices/{patch.invoice_id}",
            params=translate.include_params(needs),
            body=translate.update_body(patch.values),
        )

    async def update_invoice(self, request: VendorRequest, native_id: str) -> Bundle:
        envelope = await self._upstream.send(request)
        return guarded(translate.LABEL, lambda: translate.bundle_from_envelope(envelope, native_id))

    async def fetch_invoice(self, native_id: str, needs: Needs) -> Bundle:
        envelope = await self._upstream.request(
            "GET", f"/invoices/{native_id}", params=translate.include_params(needs)
        )
        return guarded(translate.LABEL, lambda: translate.bundle_from_envelope(envelope, native_id))

    async def _only(self, path: str, key: str, ids: Sequence[str]) -> list[Mapping[str, Any]]:
        unique = list(dict.fromkeys(ids))
        chunks = [unique[i : i + ONLY_CHUNK] for i in range(0, len(unique), ONLY_CHUNK)]

        async def one(chunk: list[str]) -> list[Mapping[str, Any]]:
            envelope = await self._upstream.request(
                "GET", path, params=(("only", ",".join(chunk)),)
            )
            return guarded(translate.LABEL, lambda: translate.records(envelope, key))

        pages = await asyncio.gather(*(one(chunk) for chunk in chunks))
        return [record for page in pages for record in page]

    async def fetch_users(self, keys: Sequence[UserKey]) -> Mapping[UserKey, User]:
        found = await self._only("/users", "users", [key.native_id for key in keys])
        by_id = {str(r["id"]): translate.user_from_record(r) for r in found}
        return {key: by_id[key.native_id] for key in keys if key.native_id in by_id}

    async def fetch_workspaces(self, native_ids: Sequence[str]) -> Mapping[str, Workspace]:
        found = await self._only("/workspaces", "workspaces", native_ids)
        return {str(r["id"]): translate.workspace_from_record(r) for r in found}

    async def fetch_line_items(self, global_ids: Sequence[str]) -> Mapping[str, LineItem]:
        by_type: dict[str, list[str]] = {}
        for global_id in global_ids:
            gid = parse_id(global_id)
            # Fixed fee and additional items have no endpoint of their own: they only ever
            # arrive through an invoice's include, so they are never fetched here.
            if gid.type in translate.INDEX_PATH_BY_TYPE:
                by_type.setdefault(gid.type, []).append(gid.native)

        async def one(id_type: str, natives: list[str]) -> list[LineItem]:
            path = translate.INDEX_PATH_BY_TYPE[id_type]
            found = await self._only(path, path.lstrip("/"), natives)
            kind = translate.KIND_BY_TYPE[id_type]
            return [translate.line_item_from_record(kind, r) for r in found]

        calls: list[Awaitable[list[LineItem]]] = [one(t, n) for t, n in by_type.items()]
        results = await asyncio.gather(*calls)
        return {item.id: item for items in results for item in items}
