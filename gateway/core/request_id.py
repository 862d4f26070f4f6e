"""The ID of the request being served, for every layer that logs or reports it (the edge
sets it: gateway/http/request_id.py)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The ID of the request being served ("-" outside of one)."""
    return _current.get()


@contextmanager
def serving(request_id: str) -> Iterator[None]:
    """`request_id` is the current one inside the block."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)
