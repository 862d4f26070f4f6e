"""A dry run's answer: the vendor request that would have been sent."""

from __future__ import annotations

import strawberry

from gateway.core import domain


@strawberry.type
class NameValue:
    name: str
    value: str


@strawberry.type(
    description="Exactly what the gateway would send the vendor; the credential is redacted."
)
class VendorRequestPreview:
    method: str
    url: str
    query: list[NameValue]
    headers: list[NameValue]
    body: str | None = strawberry.field(description="The JSON text, byte for byte.")

    @classmethod
    def of(cls, preview: domain.RequestPreview) -> VendorRequestPreview:
        return cls(
            method=preview.method,
            url=preview.url,
            query=[NameValue(name=n, value=v) for n, v in preview.query],
            headers=[NameValue(name=n, value=v) for n, v in preview.headers],
            body=preview.body,
        )
