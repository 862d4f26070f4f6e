"""Per-request dataloaders: nested objects come first from what the vendor sideloaded in
the same answer, then in one batch per type for whatever is still missing.

A fresh `Loaders` is made for every request (its cache must not outlive the caller's
credentials), so two callers never share a cached object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiodataloader import DataLoader

from gateway.domain import (
    Bundle,
    ExternalReference,
    LineItem,
    Needs,
    User,
    UserKey,
    Vendor,
    VendorClient,
    Workspace,
)
from gateway.errors import ErrorCode, GatewayError

K = TypeVar("K")
V = TypeVar("V")

InvoiceKey = tuple[str, Needs]  # native ID, associations wanted


def _not_found(what: str, key: object) -> GatewayError:
    return GatewayError.one(ErrorCode.NOT_FOUND, f"{what} {key} was not found")


def _batch(
    what: str, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]]
) -> Callable[[list[K]], Awaitable[list[V | GatewayError]]]:
    """A batch function that answers each missing key with its own NOT_FOUND."""

    async def load(keys: list[K]) -> list[V | GatewayError]:
        found = await fetch(keys)
        return [found[key] if key in found else _not_found(what, key) for key in keys]

    return load


class Loaders:
    def __init__(self, client_for: Callable[[Vendor], VendorClient]) -> None:
        self._client_for = client_for
        self._loaders: dict[tuple[str, Vendor], DataLoader[Any, Any]] = {}
        # Only ever sideloaded (no endpoint to batch from), so a plain per-request map.
        self.external_references: dict[str, ExternalReference] = {}

    def _loader(
        self, name: str, vendor: Vendor, make: Callable[[VendorClient], Callable[[list[Any]], Any]]
    ) -> DataLoader[Any, Any]:
        loader = self._loaders.get((name, vendor))
        if loader is None:

            async def batch(keys: list[Any]) -> Any:
                return await make(self._client_for(vendor))(keys)

            loader = DataLoader(batch)
            self._loaders[(name, vendor)] = loader
        return loader

    def users(self, vendor: Vendor) -> DataLoader[UserKey, User]:
        return self._loader("users", vendor, lambda c: _batch("user", c.fetch_users))

    def workspaces(self, vendor: Vendor) -> DataLoader[str, Workspace]:
        return self._loader("workspaces", vendor, lambda c: _batch("workspace", c.fetch_workspaces))

    def line_items(self, vendor: Vendor) -> DataLoader[str, LineItem]:
        return self._loader("line_items", vendor, lambda c: _batch("line item", c.fetch_line_items))

    def invoices(self, vendor: Vendor) -> DataLoader[InvoiceKey, Bundle]:
        def make(client: VendorClient) -> Callable[[list[InvoiceKey]], Any]:
            async def load(keys: list[InvoiceKey]) -> list[Bundle | GatewayError]:
                answers = await asyncio.gather(
                    *(client.fetch_invoice(native, needs) for native, needs in keys),
                    return_exceptions=True,
                )
                out: list[Bundle | GatewayError] = []
                for answer in answers:
                    if isinstance(answer, Bundle):
                        self.prime(answer)
                        out.append(answer)
                    elif isinstance(answer, GatewayError):
                        out.append(answer)
                    else:
                        raise answer
                return out

            return load

        return self._loader("invoices", vendor, make)

    def prime(self, bundle: Bundle) -> None:
        vendor = bundle.invoice.vendor
        users = self.users(vendor)
        for key, user in bundle.users.items():
            users.prime(key, user)
        workspaces = self.workspaces(vendor)
        for native, workspace in bundle.workspaces.items():
            workspaces.prime(native, workspace)
        items = self.line_items(vendor)
        for global_id, item in bundle.line_items.items():
            items.prime(global_id, item)
        self.external_references.update(bundle.external_references)
