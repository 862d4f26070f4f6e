"""The trace and span IDs of log lines (gateway/ops/logs.py), in both formats: there while a
span is active, absent outside one. (Over real HTTP, with the caller's trace:
tests/ops/test_tracing.py.)"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from gateway.ops.logs import handler

sdk = pytest.importorskip("opentelemetry.sdk.trace")


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, dict[str, io.StringIO]]]:
    log = logging.getLogger("gateway.test.trace")
    streams = {"json": io.StringIO(), "text": io.StringIO()}
    handlers = [handler(name, stream) for name, stream in streams.items()]
    for out in handlers:
        log.addHandler(out)
    try:
        yield log, streams
    finally:
        for out in handlers:
            log.removeHandler(out)


def test_a_line_written_in_a_span_carries_its_ids(
    logger: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    log, streams = logger
    tracer = sdk.TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("outer") as span:
        log.warning("inside %s", "a span")
    trace_id = f"{span.get_span_context().trace_id:032x}"
    span_id = f"{span.get_span_context().span_id:016x}"

    entry = json.loads(streams["json"].getvalue())
    assert (entry["trace_id"], entry["span_id"]) == (trace_id, span_id)
    assert list(entry)[:7] == [
        "ts",
        "level",
        "logger",
        "message",
        "request_id",
        "trace_id",
        "span_id",
    ]
    assert streams["text"].getvalue() == (
        f"WARNING gateway.test.trace [- trace_id={trace_id} span_id={span_id}]: inside a span\n"
    )


def test_a_line_outside_a_span_has_none(
    logger: tuple[logging.Logger, dict[str, io.StringIO]],
) -> None:
    log, streams = logger
    sdk.TracerProvider().get_tracer("test")  # OpenTelemetry loaded, but no span active
    log.warning("outside")
    entry = json.loads(streams["json"].getvalue())
    assert "trace_id" not in entry and "span_id" not in entry
    assert streams["text"].getvalue() == "WARNING gateway.test.trace [-]: outside\n"
