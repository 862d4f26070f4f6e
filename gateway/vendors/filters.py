"""List filter rules: how a neutral filter becomes a query parameter, how sure we are that
the vendor serves it, and how each row the vendor answers shows it was applied.

A vendor that does not know a query parameter usually ignores it (Laravel and Rails both
do), so an answer is never taken as filtered on trust: every row is checked against every
filter whose field the row carries. A filter the vendor does not document ([code] or
[guess]) must be provable on every row, and its count is never trusted (`totalCount` is
null): the rows of one page can all match by chance while the count ignored the filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.core.domain import FieldCapability, Source
from gateway.core.errors import ErrorCode, ProblemCollector
from gateway.vendors.fields import FieldRule
from gateway.vendors.reading import iso_datetime


@dataclass(frozen=True)
class RowCheck:
    """`key` is the row field that shows the filter; `keeps(row value, filter value)`."""

    key: str
    keeps: Callable[[Any, Any], bool]


@dataclass(frozen=True, kw_only=True)
class FilterRule(FieldRule):
    source: Source
    check: RowCheck


def filter_capabilities(rules: Mapping[str, FilterRule]) -> tuple[FieldCapability, ...]:
    return tuple(
        FieldCapability(name, rule.vendor_keys, rule.clear is not None, rule.limits, rule.source)
        for name, rule in rules.items()
    )


def count_is_trusted(filters: Mapping[str, Any], rules: Mapping[str, FilterRule]) -> bool:
    """Whether the vendor's count reflects every filter in effect (all documented)."""
    return all(rules[name].source is Source.DOC for name in filters)


def check_rows(
    rows: Sequence[Mapping[str, Any]],
    filters: Mapping[str, Any],
    rules: Mapping[str, FilterRule],
    vendor_label: str,
) -> None:
    """UPSTREAM_REJECTED on the filter's neutral name for each filter a row shows was not applied;
    an undocumented filter whose field a row lacks cannot be shown applied, so it fails too."""
    problems = ProblemCollector()
    for name, value in filters.items():
        rule = rules[name]
        key = rule.check.key
        for row in rows:
            row_id = row.get("id")
            if key not in row:
                if rule.source is Source.DOC:
                    continue  # documented: nothing on this row to check it with
                problems.add(
                    ErrorCode.UPSTREAM_REJECTED,
                    f"{vendor_label} may have ignored the {name} filter (it is not documented): "
                    f"invoice {row_id} came without {key}, so the filter cannot be checked",
                    (name,),
                )
                break
            if not rule.check.keeps(row[key], value):
                problems.add(
                    ErrorCode.UPSTREAM_REJECTED,
                    f"{vendor_label} ignored the {name} filter: it answered invoice {row_id} "
                    f"with {key} {_shown(row[key])}",
                    (name,),
                )
                break
    problems.raise_if_any()


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else str(value)


# --- row checks shared by the vendors -------------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _whole_second(moment: dt.datetime, *, up: bool) -> dt.datetime:
    floor = moment.replace(microsecond=0)
    return floor + dt.timedelta(seconds=1) if up and floor != moment else floor


def after(key: str) -> RowCheck:
    """The row's `key` time is at or after the filter's instant. Lenient where vendors
    differ without ignoring the filter: the boundary itself, and timestamps written to the
    second (a filter at 09:00:00.5 keeps a row shown as 09:00:00)."""

    def keeps(row_value: Any, instant: Any) -> bool:
        stamp = iso_datetime(row_value)
        return stamp is not None and _utc(stamp) >= _whole_second(_utc(instant), up=False)

    return RowCheck(key, keeps)


def before(key: str) -> RowCheck:
    """The row's `key` time is at or before the filter's instant (as lenient as `after`)."""

    def keeps(row_value: Any, instant: Any) -> bool:
        stamp = iso_datetime(row_value)
        return stamp is not None and _utc(stamp) <= _whole_second(_utc(instant), up=True)

    return RowCheck(key, keeps)
