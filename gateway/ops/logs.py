"""Logging: one JSON object a line (or readable text), each carrying the request ID and,
while a span is active (GATEWAY_TRACING), its trace and span IDs.

`configure_logging` is the one place that sets up handlers; `invoice-gateway serve` calls
it, `create_app` never does (an app made in a test logs into whatever the test attached,
e.g. caplog, where `RequestIdFilter` can be added to the handler).

What is logged is chosen where it is logged: vendor, method, a path without its query,
statuses, codes, durations. Never a header, a token, a key or an invoice body.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

import orjson

from gateway.core.request_id import current_request_id

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
TEXT_FORMAT = "%(levelname)s %(name)s [%(request_id)s%(trace)s]: %(message)s"


def active_trace() -> tuple[str, str] | None:
    """The active span's trace and span IDs in hex (W3C's forms), or None. OpenTelemetry
    is asked only once something has loaded it: until then no span can be active, and
    logging never loads it."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def _trace_of(record: logging.LogRecord) -> tuple[str, str] | None:
    trace_id, span_id = getattr(record, "trace_id", None), getattr(record, "span_id", None)
    if isinstance(trace_id, str) and isinstance(span_id, str):
        return trace_id, span_id
    return active_trace()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (the request being served, "-" outside one) unless already set,
    and `trace_id` and `span_id` while a span is active (none outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "trace_id"):
            ids = active_trace()
            if ids is not None:
                record.trace_id, record.span_id = ids
        return True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id", "trace_id", "span_id", ...extra
    fields}`, one a line; `trace_id` and `span_id` only while a span is active."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        ids = _trace_of(record)
        if ids is not None:
            entry["trace_id"], entry["span_id"] = ids
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            # orjson writes the same compact JSON about ten times faster (two lines a
            # request: the operation's and the access line). Non-ASCII text is written as
            # UTF-8 rather than escaped.
            return orjson.dumps(entry, default=str).decode()
        except TypeError:  # an integer past 64 bits, a lone surrogate: as before
            return json.dumps(entry, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """`LEVEL logger [request_id trace_id=... span_id=...]: message`, the IDs only while a
    span is active."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        ids = _trace_of(record)
        trace = f" trace_id={ids[0]} span_id={ids[1]}" if ids else ""
        values = {"request_id": current_request_id(), **vars(record), "trace": trace}
        return TEXT_FORMAT % values


class AccessLine(logging.Filter):
    """uvicorn's access line as fields like every other line's (`client`, `method`,
    `path`, `status`, `http_version`), the path without its query string: a GET carries
    its query and variables there, and they never reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, full_path, http_version, status = args
            path = str(full_path).split("?", 1)[0]
            record.msg, record.args = "%s %s %s", (method, path, status)
            record.client, record.method, record.path = client, method, path
            record.status, record.http_version = status, http_version
        else:  # not the line this filter knows: its arguments may hold a query string
            record.msg, record.args = "access line of an unknown shape", None
        return True


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) with the format and the request-ID filter."""
    out = logging.StreamHandler(stream or sys.stderr)
    out.addFilter(RequestIdFilter())
    out.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return out


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """The process's logging: the root logger writes through `handler(log_format)`."""
    # No line shows the caller's file and line, thread or process, so none is looked up:
    # each LogRecord then costs about a third less (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(log_format))
    root.setLevel(level)
    # httpx logs every upstream URL (query included) at INFO; the operation line says what
    # was called, without query values.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # uvicorn's own loggers propagate to the root handler (serve passes log_config=None).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLine) for f in access.filters):
        access.addFilter(AccessLine())
