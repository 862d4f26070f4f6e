"""Time filters on an index: `created_after`, `created_before` [doc], `updated_after` [code].

Each keeps the records whose timestamp is strictly after (or before) the given instant. They
run before pagination and `only`, so `count` and `meta.page_count` describe the filtered set
and `only` returns the intersection; the sort order is the endpoint's.

Values [guess]: anything `datetime.fromisoformat` reads (ISO 8601: `2025-03-01T09:00:00Z`,
`...+01:00`, fractional seconds, a bare date meaning midnight). A value without an offset is
UTC. An empty value is no filter (Rails' `present?`). Anything else is 400
`{"errors": [{"type": "validation", "field": "<param>", ...}]}`; so is an offset whose `+`
arrived unencoded (it decodes to a space).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from gateway.sandbox.kantata.errors import ApiError, invalid
from gateway.sandbox.kantata.models import Identified

T = TypeVar("T", bound=Identified)


@dataclass(frozen=True)
class TimeFilter(Generic[T]):
    param: str
    stamp: Callable[[T], datetime]
    after: bool  # keep records strictly after the instant; else strictly before

    def keeps(self, record: T, instant: datetime) -> bool:
        stamp = self.stamp(record)
        return stamp > instant if self.after else stamp < instant


def parse_instant(param: str, value: str) -> datetime:
    """The instant `value` names, in UTC when it carries no offset; 400 if it is not one."""
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(
            400, [invalid(param, "must be an ISO 8601 date-time, e.g. 2025-03-01T09:00:00Z")]
        ) from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def apply(
    filters: Iterable[TimeFilter[T]], ordered: Sequence[T], params: Mapping[str, str]
) -> Sequence[T]:
    """The records of `ordered` every filter named in `params` keeps, in the same order."""
    active: list[tuple[TimeFilter[T], datetime]] = []
    for spec in filters:
        value = params.get(spec.param)
        if value is not None and value.strip():
            active.append((spec, parse_instant(spec.param, value)))
    if not active:
        return ordered
    return [r for r in ordered if all(spec.keeps(r, at) for spec, at in active)]
