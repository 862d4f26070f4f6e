"""Kantata OX as the rest of the gateway sees it: one adapter object."""

from __future__ import annotations

from gateway.core.domain import Capabilities
from gateway.vendors.base import Adapter
from gateway.vendors.fields import capabilities
from gateway.vendors.filters import filter_capabilities
from gateway.vendors.kantata import errors, translate
from gateway.vendors.kantata.client import KantataClient
from gateway.vendors.kantata.identity import IDS, VENDOR

ADAPTER = Adapter(
    vendor=VENDOR,
    ids=IDS,
    setting_prefix="KANTATA",
    default_base_url="https://api.mavenlink.com/api/v1",
    token_header="X-Kantata-Token",
    token_name="Kantata token",
    capabilities=Capabilities(
        VENDOR, capabilities(translate.RULES), filter_capabilities(translate.FILTERS)
    ),
    make_client=KantataClient,
    read_errors=errors.error_messages,
    map_field=translate.vendor_field_path,
)
