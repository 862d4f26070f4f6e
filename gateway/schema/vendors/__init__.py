"""Each vendor's own GraphQL types, one module per vendor; a vendor with none of its own
is served as a plain `VendorInvoice` (gateway/schema/invoice.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gateway.core import domain
from gateway.schema.invoice import Invoice, VendorInvoice
from gateway.schema.vendors import kantata, kitchen

# Vendor key -> (its invoice type maker, its types for the schema).
_OWN: dict[str, tuple[Callable[[domain.Invoice], Invoice], tuple[type, ...]]] = {
    module.KEY: (module.invoice_type, module.TYPES) for module in (kantata, kitchen)
}


def invoice_type(invoice: domain.Invoice) -> Invoice:
    own = _OWN.get(invoice.vendor.key)
    return own[0](invoice) if own else VendorInvoice.of(invoice)


def vendor_types(vendors: Iterable[domain.Vendor]) -> list[type]:
    """The object types the schema must list for `vendors` (implementations of Invoice)."""
    keys = [vendor.key for vendor in vendors]
    types = [t for key in keys if key in _OWN for t in _OWN[key][1]]
    if any(key not in _OWN for key in keys):
        types.append(VendorInvoice)
    return types
