"""A schema extension that hands each operation to the app's observer: its name, type and
outcome codes (errors' `extensions.code`, payloads' `userErrors[].code`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.ops.metrics import OperationRecord

# An error without a code is about the request itself (it did not parse or validate).
REQUEST_ERROR = "BAD_REQUEST"


class OperationObserver(Protocol):
    def operation(self) -> AbstractContextManager[OperationRecord]: ...


class ObserveOperation(SchemaExtension):
    def __init__(self, observer: OperationObserver) -> None:
        self._observer = observer

    def on_operation(self) -> Iterator[None]:
        with self._observer.operation() as record:
            try:
                yield
            finally:
                self._fill(record)

    def _fill(self, record: OperationRecord) -> None:
        context = self.execution_context
        record.name = context.operation_name
        try:
            record.type = context.operation_type.value
        except Exception:  # no document, or no operation by that name
            record.type = "unknown"
        result = context.result
        errors: list[GraphQLError] = list(
            (result.errors if result is not None else context.pre_execution_errors) or []
        )
        record.error_codes = [
            str((e.extensions or {}).get("code") or REQUEST_ERROR) for e in errors
        ]
        if result is not None:
            record.user_error_codes = list(_user_error_codes(result.data))


def _user_error_codes(data: dict[str, Any] | None) -> Iterator[str]:
    # userErrors live only on root mutation payloads, so a page of invoices is not walked.
    for value in (data or {}).values():
        if isinstance(value, dict) and isinstance(value.get("userErrors"), list):
            yield from (str(e.get("code")) for e in value["userErrors"] if isinstance(e, dict))
