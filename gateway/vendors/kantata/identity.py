"""Who Kantata OX is to the gateway: its name, and the shape of its IDs."""

from __future__ import annotations

import re

from gateway.core.domain import Vendor
from gateway.core.ids import IdShapes, Lookup

VENDOR = Vendor("kantata", "Kantata")

# Kantata IDs are positive integers (sent as strings), whatever the type.
_NATIVE = re.compile(r"[1-9][0-9]{0,18}")
IDS = IdShapes(
    VENDOR,
    {
        type_: _NATIVE
        for type_ in (
            "invoice",
            "user",
            "workspace",
            "time_entry",
            "expense",
            "fixed_fee_item",
            "additional_item",
            "billing_milestone",
            "time_adjustment",
            "external_reference",
        )
    },
    hint="a Kantata ID is a positive integer",
    lookups={
        "invoice": Lookup.INVOICE,
        "user": Lookup.USER,
        "workspace": Lookup.WORKSPACE,
        # Billable records have their own endpoints; fixed fee and additional items and
        # external references are only ever sideloaded with their invoice.
        "time_entry": Lookup.LINE_ITEM,
        "expense": Lookup.LINE_ITEM,
        "billing_milestone": Lookup.LINE_ITEM,
        "time_adjustment": Lookup.LINE_ITEM,
    },
)
