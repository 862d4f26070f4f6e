"""Who Kitchen.co is to the gateway: its name, and the shape of its IDs."""

from __future__ import annotations

import re

from gateway.core.domain import Vendor
from gateway.core.ids import IdShapes, Lookup

VENDOR = Vendor("kitchen", "Kitchen")

# A type prefix and 24 lowercase hex digits in every example we have; any URL-safe token
# after the prefix is accepted, so an unseen length still works.
IDS = IdShapes(
    VENDOR,
    {
        "invoice": re.compile(r"in_[A-Za-z0-9]{1,64}"),
        "user": re.compile(r"u_[A-Za-z0-9]{1,64}"),
        "item": re.compile(r"invi_[A-Za-z0-9]{1,64}"),
        "discount": re.compile(r"invti_[A-Za-z0-9]{1,64}"),
        "tax_item": re.compile(r"invti_[A-Za-z0-9]{1,64}"),
    },
    hint="a type prefix such as in_ or u_, then letters and digits",
    # Items, discounts and tax items live inside their invoice.
    lookups={"invoice": Lookup.INVOICE, "user": Lookup.USER},
)
