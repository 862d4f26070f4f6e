"""The app's observer: Prometheus metrics (a registry of its own per app, served at
/metrics; under `serve --workers N` the sum of every worker's, gateway/ops/multiprocess.py),
the one log line per GraphQL operation, and the tracing hooks.

One `Observer` is made by `create_app` and handed to what it watches: the schema extension
(`gateway/schema/observe.py`) opens an `operation()` per operation, `Upstream` reports each
vendor request through `upstream()`, the dataloaders their batch sizes, the idempotency
middleware its replays, the app's `RetryStats` its retries and short circuits, its
`Breakers` each change of state, and the door (gateway/http/) each refusal.

No label takes a value a caller chooses: an operation is labelled by the root field it
selects (the schema's, `multiple` or `none`), never by its name; a vendor path by its
template; a breaker by whether its host is the configured one or one a caller named
(a Kitchen workspace in `X-Kitchen-Workspace`); a refusal by its `Refusal`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from gateway.core.request_id import current_request_id
from gateway.ops.multiprocess import SharedMetrics
from gateway.ops.refusals import Refusal
from gateway.ops.tracing import NO_TRACING, Tracing

log = logging.getLogger("gateway.operation")

_SEGMENT = re.compile(r"[a-z][a-z_]{0,40}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# A vendor request: from tens of milliseconds to the upstream timeout (30 s by default, at
# most 600), finer where vendor APIs usually answer (50 ms to 1 s). Cut at the timeout.
UPSTREAM_BUCKETS = (
    *(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.4, 0.6),
    *(1, 1.5, 2.5, 4, 6, 10, 15, 20, 30, 60, 120, 300, 600),
)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200)
# `OperationRecord.root_field` when the operation selects several root fields, or none the
# schema has (it did not parse, or no operation could be chosen).
MULTIPLE, NONE = "multiple", "none"


def upstream_buckets(timeout: float) -> tuple[float, ...]:
    """The vendor latency buckets up to the upstream timeout, which is the last: an attempt
    cut off by the deadline lands above it (in `+Inf`), one that made it below."""
    return (*(b for b in UPSTREAM_BUCKETS if b < timeout), timeout)


def endpoint_template(path: str) -> str:
    """A vendor path as a template: collections kept, IDs as `{id}`, the query dropped
    (`/invoices/101?include=x` -> `/invoices/{id}`). Anything unexpected is `{segment}`."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    shown = [
        "{id}" if i % 2 else (p if _SEGMENT.fullmatch(p) else "{segment}")
        for i, p in enumerate(parts)
    ]
    return "/" + "/".join(shown)


@dataclass
class UpstreamRecord:
    vendor: str
    method: str
    endpoint: str
    status: str
    duration_ms: float


@dataclass
class OperationRecord:
    """One operation as it is logged and counted; the schema extension fills it in."""

    name: str | None = None
    type: str = "unknown"
    root_field: str = NONE  # the label: the schema's root field selected, MULTIPLE or NONE
    refusal: Refusal | None = None  # refused as a request error (a document limit)
    error_codes: list[str] = field(default_factory=list)
    user_error_codes: list[str] = field(default_factory=list)
    calls: list[UpstreamRecord] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.error_codes:
            return "error"
        return "user_error" if self.user_error_codes else "ok"


_operation: contextvars.ContextVar[OperationRecord | None] = contextvars.ContextVar(
    "gateway_operation", default=None
)


class Observer:
    """The app's metrics, operation log lines and tracing hooks. Every label's values are
    bounded by the code, the schema or the configuration, never chosen by a caller."""

    def __init__(
        self,
        tracing: Tracing = NO_TRACING,
        *,
        upstream_timeout: float = 30.0,
        shared: SharedMetrics | None = None,
    ) -> None:
        """`shared`: this is one of several worker processes, whose values are added up at
        every scrape (at most one observer per process then)."""
        self.tracing = tracing
        if shared is not None:
            shared.check()
        # Counters and histograms export no `_created` series (a second series per child
        # that only says when the process first saw it). A switch of the library's own,
        # for the whole process (it is not annotated).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        if shared is None:
            # The cycle collector's work by generation (gateway/ops/collector.py says why
            # it matters here); per process only: prometheus_client cannot add it up
            # across workers.
            GCCollector(registry=r)
        self.operations = Counter(
            "gateway_operations",
            "GraphQL operations by root field, type and outcome (ok, user_error, error)",
            ["root_field", "type", "outcome"],
            registry=r,
        )
        self.operation_seconds = Histogram(
            "gateway_operation_duration_seconds",
            "GraphQL operation latency",
            ["root_field", "type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_calls = Counter(
            "gateway_upstream_requests",
            "Vendor requests (each attempt) by vendor, method, endpoint template and status",
            ["vendor", "method", "endpoint", "status"],
            registry=r,
        )
        self.upstream_seconds = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Vendor request latency (each attempt)",
            ["vendor", "method", "endpoint"],
            buckets=upstream_buckets(upstream_timeout),
            registry=r,
        )
        self.retries = Counter(
            "gateway_upstream_retries",
            "Vendor requests sent again, by vendor and reason (http_503, connect_error, ...)",
            ["vendor", "reason"],
            registry=r,
        )
        self.shared_calls = Counter(
            "gateway_upstream_shared",
            "Vendor reads that joined an identical one in flight instead of sending their own",
            ["vendor"],
            registry=r,
        )
        self.short_circuits = Counter(
            "gateway_upstream_short_circuits",
            "Calls failed fast by an open circuit breaker, without a vendor request",
            ["vendor"],
            registry=r,
        )
        self.breakers = Gauge(
            "gateway_circuit_breakers",
            "Circuit breakers by vendor, host (configured: the configured base URL's; caller: "
            "one a caller named) and state",
            ["vendor", "host", "state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.batch_sizes = Histogram(
            "gateway_dataloader_batch_size",
            "Keys per dataloader batch",
            ["loader", "vendor"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.replays = Counter(
            "gateway_idempotent_replays",
            "Answers replayed for a repeated Idempotency-Key",
            registry=r,
        )
        self.refusals = Counter(
            "gateway_refusals",
            "Requests refused before they ran, by reason",
            ["reason"],
            registry=r,
        )
        for reason in Refusal:  # every reason exported from the start, at 0
            self.refusals.labels(reason.value)
        self._scraped = shared.registry() if shared is not None else self.registry

    def render(self) -> bytes:
        return generate_latest(self._scraped)

    @contextlib.contextmanager
    def operation(self) -> Iterator[OperationRecord]:
        """Around one GraphQL operation: times it, collects its vendor calls, then counts it
        and writes its log line."""
        record = OperationRecord()
        token = _operation.set(record)
        started = time.perf_counter()
        try:
            with self.tracing.operation() as finish:
                try:
                    yield record
                finally:
                    finish(record.name, record.type, record.outcome)
                    # Within the operation's span: its line carries the span's IDs.
                    self._finished(record, time.perf_counter() - started)
        finally:
            _operation.reset(token)

    def _finished(self, record: OperationRecord, took: float) -> None:
        self.operations.labels(record.root_field, record.type, record.outcome).inc()
        self.operation_seconds.labels(record.root_field, record.type).observe(took)
        if record.refusal is not None:
            self.refused(record.refusal)
        self._log(record, took)

    def _log(self, record: OperationRecord, took: float) -> None:
        level = logging.ERROR if "INTERNAL" in record.error_codes else logging.INFO
        log.log(
            level,
            "%s %s: %s in %.1f ms, %d vendor call(s)",
            record.type,
            record.name or "(anonymous)",
            record.outcome,
            took * 1000,
            len(record.calls),
            extra={
                "request_id": current_request_id(),
                "operation": record.name,
                "operation_type": record.type,
                "outcome": record.outcome,
                "error_codes": record.error_codes,
                "user_error_codes": record.user_error_codes,
                "upstream": [vars(call) for call in record.calls],
                "duration_ms": round(took * 1000, 1),
            },
        )

    @contextlib.contextmanager
    def upstream(self, vendor: str, method: str, path: str) -> Iterator[list[str]]:
        """Around one vendor request (each attempt): the caller puts the status (`"200"`,
        `"timeout"`, `"unreachable"`) in the yielded list."""
        endpoint = endpoint_template(path)
        status = ["cancelled"]
        started = time.perf_counter()
        with self.tracing.upstream(vendor, endpoint):
            try:
                yield status
            finally:
                took = time.perf_counter() - started
                self.upstream_calls.labels(vendor, method, endpoint, status[0]).inc()
                self.upstream_seconds.labels(vendor, method, endpoint).observe(took)
                record = _operation.get()
                if record is not None:
                    record.calls.append(
                        UpstreamRecord(vendor, method, endpoint, status[0], round(took * 1000, 1))
                    )

    def batch(self, loader: str, vendor: str, size: int) -> None:
        self.batch_sizes.labels(loader, vendor).observe(size)

    def replayed(self) -> None:
        self.replays.inc()
        log.info("idempotent replay", extra={"request_id": current_request_id()})

    def retried(self, vendor: str, reason: str) -> None:
        self.retries.labels(vendor, reason).inc()

    def shared(self, vendor: str) -> None:
        self.shared_calls.labels(vendor).inc()

    def short_circuited(self, vendor: str) -> None:
        self.short_circuits.labels(vendor).inc()

    def breaker_moved(self, vendor: str, host: str, before: str | None, after: str | None) -> None:
        """A breaker of `vendor` at a `host` ("configured" or "caller") went from state
        `before` to `after`; None is "not kept" (made, or forgotten)."""
        if before is not None:
            self.breakers.labels(vendor, host, before).dec()
        if after is not None:
            self.breakers.labels(vendor, host, after).inc()

    def refused(self, reason: Refusal) -> None:
        self.refusals.labels(reason.value).inc()
