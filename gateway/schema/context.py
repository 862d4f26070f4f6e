"""The typed per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gateway.core.budget import CallBudget
from gateway.core.domain import Capabilities, Vendor, VendorClient
from gateway.core.ids import IdParser
from gateway.core.loaders import BatchHook, Loaders
from gateway.core.service import Writers
from gateway.settings import Limits
from gateway.store.locks import MemoryLocks


@dataclass
class Context:
    """Built fresh for every request: vendor clients bound to the caller's credentials and
    dataloaders whose cache lives exactly as long as the request."""

    client_for: Callable[[Vendor], VendorClient]
    # Global IDs of every vendor the app serves (their shapes are the vendors' own).
    ids: IdParser
    capabilities: Mapping[Vendor, Capabilities] = field(default_factory=dict)
    on_batch: BatchHook | None = None  # told each dataloader batch's size (metrics)
    # One writer per invoice (gateway/store/locks.py); the app's, shared by every request.
    writers: Writers = field(default_factory=lambda: Writers(MemoryLocks()))
    # What one request may ask (list lengths); its vendor calls, spent by every client.
    limits: Limits = field(default_factory=Limits)
    budget: CallBudget = field(default_factory=lambda: CallBudget(Limits().max_vendor_calls))
    _clients: dict[Vendor, VendorClient] = field(default_factory=dict, init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.client, self.on_batch)

    def client(self, vendor: Vendor) -> VendorClient:
        """The vendor's client; raises GatewayError when the request has no credentials."""
        if vendor not in self._clients:
            self._clients[vendor] = self.client_for(vendor)
        return self._clients[vendor]
