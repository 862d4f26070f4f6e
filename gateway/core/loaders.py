"""Per-request dataloaders: nested objects come first from what the vendor sideloaded in
the same answer, then in one batch per type for whatever is still missing.

A fresh `Loaders` is made for every request (its cache must not outlive the caller's
credentials), so two callers never share a cached object.
"""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from aiodataloader import DataLoader

from gateway.core.domain import (
    Bundle,
    ExternalReference,
    Invoice,
    LineItem,
    Needs,
    User,
    UserKey,
    Vendor,
    VendorClient,
    Workspace,
)
from gateway.core.errors import ErrorCode, GatewayError

K = TypeVar("K")
V = TypeVar("V")

InvoiceKey = tuple[str, Needs]  # native ID, associations wanted


class Missing:
    pass


# What `Loader.ready` answers for a key it does not hold yet.
MISSING: Final = Missing()


class Loader(DataLoader[K, V]):
    """aiodataloader's loader, plus a synchronous look into what it already holds. Most
    nested objects were sideloaded in the vendor's answer; a resolver that takes them from
    here returns a value rather than a coroutine, and GraphQL execution skips a task per
    field (a page of 50 invoices has 200 such fields)."""

    def __init__(self, batch_load_fn: Callable[[list[K]], Awaitable[list[V | Exception]]]):
        self._held: dict[K, Future[V]] = {}
        super().__init__(batch_load_fn, cache_map=self._held)  # type: ignore[arg-type]

    def ready(self, key: K) -> V | Missing:
        future = self._held.get(key)
        if future is None or not future.done():
            return MISSING
        # A cancelled future (a caller gone mid-load) has no exception() to ask for.
        if future.cancelled() or future.exception() is not None:
            return MISSING
        return future.result()

    def ready_many(self, keys: Sequence[K]) -> list[V] | Missing:
        values = []
        for key in keys:
            value = self.ready(key)
            if isinstance(value, Missing):
                return MISSING
            values.append(value)
        return values


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


# Told the loader's name, the vendor and the number of keys of each batch (metrics).
BatchHook = Callable[[str, str, int], None]


class Loaders:
    def __init__(
        self, client_for: Callable[[Vendor], VendorClient], on_batch: BatchHook | None = None
    ) -> None:
        self._client_for = client_for
        self._on_batch = on_batch
        self._loaders: dict[tuple[str, Vendor], Loader[Any, Any]] = {}
        # Only ever sideloaded (no endpoint to batch from), so a plain per-request map.
        self.external_references: dict[str, ExternalReference] = {}

    def _loader(
        self, name: str, vendor: Vendor, make: Callable[[VendorClient], Callable[[list[Any]], Any]]
    ) -> Loader[Any, Any]:
        loader = self._loaders.get((name, vendor))
        if loader is None:

            async def batch(keys: list[Any]) -> Any:
                if self._on_batch is not None:
                    self._on_batch(name, vendor.key, len(keys))
                return await make(self._client_for(vendor))(keys)

            loader = Loader(batch)
            self._loaders[(name, vendor)] = loader
        return loader

    def users(self, vendor: Vendor) -> Loader[UserKey, User]:
        return self._loader("users", vendor, lambda c: _batch("user", c.fetch_users))

    def workspaces(self, vendor: Vendor) -> Loader[str, Workspace]:
        return self._loader("workspaces", vendor, lambda c: _batch("workspace", c.fetch_workspaces))

    def line_items(self, vendor: Vendor) -> Loader[str, LineItem]:
        return self._loader("line_items", vendor, lambda c: _batch("line item", c.fetch_line_items))

    def invoices(self, vendor: Vendor) -> Loader[InvoiceKey, Invoice]:
        """Every invoice asked for in one tick becomes one vendor request where the vendor
        can batch (Kantata `only=`), carrying the union of what each asker needs."""

        def make(client: VendorClient) -> Callable[[list[InvoiceKey]], Any]:
            async def load(keys: list[InvoiceKey]) -> list[Invoice | GatewayError]:
                needs: Needs = frozenset().union(*(wanted for _, wanted in keys))
                bundle = await client.fetch_invoices([native for native, _ in keys], needs)
                self.prime(vendor, bundle)
                found = {invoice.vendor_id: invoice for invoice in bundle.invoices}
                return [
                    found[native] if native in found else _not_found("invoice", native)
                    for native, _ in keys
                ]

            return load

        return self._loader("invoices", vendor, make)

    def prime(self, vendor: Vendor, bundle: Bundle) -> None:
        # aiodataloader's prime() keeps an older value; within one request (two updates in
        # one operation, say) the newest vendor answer must win.
        _replace(self.users(vendor), bundle.users)
        _replace(self.workspaces(vendor), bundle.workspaces)
        _replace(self.line_items(vendor), bundle.line_items)
        self.external_references.update(bundle.external_references)


def _replace(loader: DataLoader[K, V], values: Mapping[K, V]) -> None:
    for key, value in values.items():
        loader.clear(key).prime(key, value)
