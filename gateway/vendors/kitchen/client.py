"""Kitchen.co over HTTP, bound to one workspace and its API key."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import partial
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
from gateway.errors import ErrorCode, GatewayError
from gateway.vendors.http import Upstream, guarded
from gateway.vendors.kitchen import translate

# Kitchen has no batch-by-ID filter, so users are fetched one by one; this bounds how many
# of those run at once for one caller.
MAX_CONCURRENT_USER_FETCHES = 8
_USER_PATHS = {translate.MEMBER: "/members", translate.CLIENT: "/clients"}


class KitchenClient:
    vendor = Vendor.KITCHEN

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream

    def build_update(self, patch: InvoicePatch, needs: Needs) -> VendorRequest:
        return VendorRequest(
            method="PUT",
            path=f"/invoices/{patch.invoice_id}",
            params=translate.expand_params(needs),
            body=translate.update_body(patch.values),
        )

    async def update_invoice(self, request: VendorRequest, native_id: str) -> Bundle:
        record = await self._upstream.send(request)
        return guarded(translate.LABEL, lambda: translate.bundle_from_record(record))

    async def fetch_invoice(self, native_id: str, needs: Needs) -> Bundle:
        record = await self._upstream.request(
            "GET", f"/invoices/{native_id}", params=translate.expand_params(needs)
        )
        return guarded(translate.LABEL, lambda: translate.bundle_from_record(record))

    async def fetch_users(self, keys: Sequence[UserKey]) -> Mapping[UserKey, User]:
        limit = asyncio.Semaphore(MAX_CONCURRENT_USER_FETCHES)

        async def one(key: UserKey) -> User | None:
            # A user named without a role is looked for among members, then clients.
            roles = [key.role] if key.role in _USER_PATHS else list(_USER_PATHS)
            for role in roles:
                async with limit:
                    record = await self._get_or_none(f"{_USER_PATHS[role]}/{key.native_id}")
                if record is not None:
                    return guarded(translate.LABEL, partial(translate.user_from_record, record))
            return None

        unique = list(dict.fromkeys(keys))
        users = await asyncio.gather(*(one(key) for key in unique))
        return {key: user for key, user in zip(unique, users, strict=True) if user is not None}

    async def _get_or_none(self, path: str) -> Any:
        try:
            return await self._upstream.request("GET", path)
        except GatewayError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                return None
            raise

    async def fetch_workspaces(self, native_ids: Sequence[str]) -> Mapping[str, Workspace]:
        return {}  # Kitchen has no workspaces in the Kantata sense.

    async def fetch_line_items(self, global_ids: Sequence[str]) -> Mapping[str, LineItem]:
        return {}  # Items only exist inside their invoice, which always carries them.
