"""What each vendor accepts, for a frontend that builds its edit form from the API.

Read off the vendor's own translation tables (through the context), so it cannot drift
from what an update actually accepts."""

from __future__ import annotations

import strawberry

from gateway.core import domain
from gateway.schema.descriptions import describe
from gateway.schema.enums import Source, Vendor
from gateway.schema.naming import camel

ALWAYS = ("id", "expectedUpdatedAt")


@strawberry.type(description="Limits a value must keep to; unset ones do not apply.")
class FieldLimits:
    max_length: int | None
    minimum: int | None
    maximum: int | None
    values: list[str] = strawberry.field(description="The allowed enum values, if any.")
    format: str | None
    integer_only: bool = strawberry.field(description=describe("FieldLimits.integerOnly"))
    replaces_whole_list: bool = strawberry.field(description="Sending it replaces the list.")


@strawberry.type
class FieldCapability:
    name: str = strawberry.field(description="The input field, e.g. footer.")
    vendor_fields: list[str] = strawberry.field(description="What the vendor calls it.")
    clearable: bool = strawberry.field(description="Whether null clears it.")
    limits: FieldLimits
    source: Source | None = strawberry.field(
        default=None,
        description="For a filter: how we know the vendor serves it. Every row the vendor "
        "answers is checked against every filter whose field it carries; a CODE or GUESS "
        "filter must show on every row (else UPSTREAM_REJECTED on that filter) and leaves "
        "totalCount null. Null for update fields.",
    )


@strawberry.type(description="One vendor's accepted update fields and list filters.")
class VendorCapabilities:
    vendor: Vendor
    update_fields: list[FieldCapability] = strawberry.field(
        description=f"UpdateInvoiceInput fields this vendor stores; any other is "
        f"UNSUPPORTED_FIELD ({', '.join(ALWAYS)} work for every vendor)."
    )
    filters: list[FieldCapability] = strawberry.field(
        description="InvoiceFilter fields this vendor serves; any other is UNSUPPORTED_FIELD."
    )


def _field(capability: domain.FieldCapability) -> FieldCapability:
    limits = capability.limits
    return FieldCapability(
        name=camel(capability.name),
        vendor_fields=list(capability.vendor_fields),
        clearable=capability.clearable,
        limits=FieldLimits(
            max_length=limits.max_length,
            minimum=limits.minimum,
            maximum=limits.maximum,
            values=list(limits.values),
            format=limits.format,
            integer_only=limits.integer_only,
            replaces_whole_list=limits.replaces_whole_list,
        ),
        source=capability.source,
    )


def vendor_capabilities(capabilities: domain.Capabilities) -> VendorCapabilities:
    return VendorCapabilities(
        vendor=capabilities.vendor,
        update_fields=[_field(c) for c in capabilities.update_fields],
        filters=[_field(c) for c in capabilities.filters],
    )
