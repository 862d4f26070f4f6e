"""Kitchen.co as the rest of the gateway sees it: one adapter object."""

from __future__ import annotations

import re

from gateway.core.domain import Capabilities
from gateway.vendors.base import Adapter, Param
from gateway.vendors.fields import capabilities
from gateway.vendors.filters import filter_capabilities
from gateway.vendors.kitchen import errors, translate
from gateway.vendors.kitchen.client import KitchenClient
from gateway.vendors.kitchen.identity import IDS, VENDOR

# A workspace is a subdomain: the slug becomes part of every URL, so it is checked first.
WORKSPACE = Param(
    name="workspace",
    setting="KITCHEN_WORKSPACE",
    header="X-Kitchen-Workspace",
    pattern=re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$"),
)

ADAPTER = Adapter(
    vendor=VENDOR,
    ids=IDS,
    setting_prefix="KITCHEN",
    default_base_url="https://{workspace}.kitchen.co/api",
    token_header="X-Kitchen-Token",
    token_name="Kitchen API key",
    capabilities=Capabilities(
        VENDOR, capabilities(translate.RULES), filter_capabilities(translate.FILTERS)
    ),
    make_client=KitchenClient,
    read_errors=errors.error_messages,
    map_field=translate.vendor_field_path,
    # The docs' headers for every call (C2).
    extra_headers={"X-Requested-With": "XMLHttpRequest"},
    params=(WORKSPACE,),
    # A workspace the caller names is used with the caller's own key only, never the
    # operator's (that would hand the configured key to any workspace a caller picks).
    params_need_own_token=True,
)
