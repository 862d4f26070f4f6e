"""The vendors this gateway serves: one adapter each. Every other module loops over a
`Registry`; adding a vendor is one package under gateway/vendors/ and one line here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gateway.core.domain import Vendor
from gateway.core.ids import IdParser
from gateway.vendors.base import VendorAdapter
from gateway.vendors.kantata.adapter import ADAPTER as KANTATA
from gateway.vendors.kitchen.adapter import ADAPTER as KITCHEN


class Registry:
    def __init__(self, adapters: Iterable[VendorAdapter]) -> None:
        self._adapters = {adapter.vendor.key: adapter for adapter in adapters}
        self.ids = IdParser(adapter.ids for adapter in self._adapters.values())

    def __iter__(self) -> Iterator[VendorAdapter]:
        return iter(self._adapters.values())

    def __len__(self) -> int:
        return len(self._adapters)

    @property
    def vendors(self) -> tuple[Vendor, ...]:
        return tuple(adapter.vendor for adapter in self)

    def adapter(self, vendor: Vendor | str) -> VendorAdapter:
        return self._adapters[vendor if isinstance(vendor, str) else vendor.key]

    def credential_headers(self) -> tuple[str, ...]:
        """Every request header that carries a vendor credential, as written in docs."""
        return tuple(header for adapter in self for header in adapter.credential_headers())


def default_registry() -> Registry:
    """Kantata OX and Kitchen.co."""
    return Registry([KANTATA, KITCHEN])
