"""How many vendor calls one GraphQL request may make, whatever it asks.

One `CallBudget` per request, shared by every vendor client of that request: each HTTP
request sent (retries included) spends one; past the limit the call is refused before it
leaves, with an error that says what to ask instead. Predictable counts (a `nodes` list of
Kitchen invoices, one call each) are refused up front by the resolvers, before any call.
"""

from __future__ import annotations

from gateway.core.errors import ErrorCode, GatewayError


class CallBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self) -> None:
        if self.spent >= self.limit:
            raise exceeded(self.limit)
        self.spent += 1

    def check(self, planned: int) -> None:
        """Refuse, before any call, work that would need `planned` more calls than are left."""
        if self.spent + planned > self.limit:
            raise exceeded(self.limit, planned)


def exceeded(limit: int, planned: int | None = None) -> GatewayError:
    needs = f"would need {planned} vendor calls," if planned is not None else "needs"
    return GatewayError.one(
        ErrorCode.LIMIT_EXCEEDED,
        f"this request {needs} more than the {limit} one request may make "
        "(GATEWAY_MAX_VENDOR_CALLS): ask for fewer objects at once (page with first/after, "
        "or split nodes(ids:) over several requests)",
    )
