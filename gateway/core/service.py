"""The update of one invoice, whatever vendor holds it: validate, read when the update
depends on the invoice as it is, check for a conflict, build the vendor request once, then
preview it or send it and read the answer back.

Nothing here knows GraphQL or a vendor: the caller hands in the request's client for the
invoice's vendor and a neutral patch, and gets neutral results or a GatewayError whose
paths are neutral field names (`("expected_updated_at",)`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from gateway.core.domain import (
    Bundle,
    Invoice,
    InvoicePatch,
    Need,
    Needs,
    RequestPreview,
    VendorClient,
)
from gateway.core.errors import ErrorCode, GatewayError


class WriteLocks(Protocol):
    def hold(
        self, key: str, *, wait: float, ttl: float
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Held for the block; waits at most `wait` seconds (then CONFLICT). `ttl` bounds
        how long a lock shared across replicas outlives a holder that died."""
        ...


@dataclass(frozen=True)
class Writers:
    """One writer per invoice: the app's locks, how long a writer waits for another, and
    how long a lock outlives a holder that died (a read and a write, each bounded by the
    vendor call's deadline, fit in it)."""

    locks: WriteLocks
    wait: float = 30.0
    ttl: float = 65.0


@dataclass(frozen=True)
class Updated:
    """What an update did: the vendor's answer (`bundle`), or, for a preview, the request
    that would have been sent (`preview`)."""

    bundle: Bundle | None = None
    preview: RequestPreview | None = None


def depends_on_current(client: VendorClient, patch: InvoicePatch) -> bool:
    """Whether the update must read the invoice first (a conflict check, or a vendor
    that can only write it knowing what it holds)."""
    return patch.expected_updated_at is not None or client.needs_current(patch)


async def read_current(client: VendorClient, patch: InvoicePatch) -> Invoice:
    """The invoice as the vendor has it now; CONFLICT if it changed since the caller read it.

    Neither vendor offers a conditional write, so this narrows the window between the read
    and the write to one round trip; it cannot close it."""
    found = await client.fetch_invoices([patch.invoice_id], frozenset({Need.LINE_ITEMS}))
    if not found.invoices:
        raise GatewayError.one(ErrorCode.NOT_FOUND, f"invoice {patch.invoice_id} was not found")
    current = found.invoice
    expected = patch.expected_updated_at
    if expected is not None and current.updated_at != expected:
        seen = current.updated_at.isoformat() if current.updated_at else "unknown"
        raise GatewayError.one(
            ErrorCode.CONFLICT,
            f"the invoice changed since you read it: its updatedAt is now {seen}",
            ("expected_updated_at",),
        )
    return current


async def update_invoice(
    client: VendorClient,
    patch: InvoicePatch,
    needs: Needs,
    writers: Writers,
    *,
    preview: bool = False,
) -> Updated:
    """Every input problem is raised before any vendor call. A preview reads the invoice
    only when the request depends on it, and writes nothing. A write holds the invoice's
    lock from its read to the end of its write, so it sees every write through the
    gateway that came before it."""
    depends = depends_on_current(client, patch)
    if depends:
        client.check_update(patch)
    if preview:
        current = await read_current(client, patch) if depends else None
        request = client.build_update(patch, needs, current)
        return Updated(preview=client.preview(request))
    key = f"{client.vendor.key}:{client.scope}:{patch.invoice_id}"
    async with writers.locks.hold(key, wait=writers.wait, ttl=writers.ttl):
        current = await read_current(client, patch) if depends else None
        request = client.build_update(patch, needs, current)
        return Updated(bundle=await client.update_invoice(request, patch.invoice_id))
