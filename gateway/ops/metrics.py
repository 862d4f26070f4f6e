"""The app's observer: Prometheus metrics (a registry of its own per app, served at
/metrics), the one log line per GraphQL operation, and the tracing hooks.

One `Observer` is made by `create_app` and handed to what it watches: the schema extension
(`gateway/schema/observe.py`) opens an `operation()` per operation, `Upstream` reports each
vendor request through `upstream()`, the dataloaders their batch sizes, the idempotency
middleware its replays. Retries and breaker states are read from the app's `RetryStats`
and `Breakers` when scraped.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.core.request_id import current_request_id
from gateway.ops.tracing import NO_TRACING, Tracing

if TYPE_CHECKING:
    from gateway.vendors.breaker import Breakers
    from gateway.vendors.retry import RetryStats

log = logging.getLogger("gateway.operation")

# Client-chosen operation names are labels only while they look like names and only for
# the first MAX_OPERATION_NAMES seen; the rest count as "other" (bounded cardinality).
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_SEGMENT = re.compile(r"[a-z][a-z_]{0,40}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200)
BREAKER_STATES = ("closed", "open", "half-open")


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
    """One operation as it is logged; the schema extension fills name, type and codes."""

    name: str | None = None
    type: str = "unknown"
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
    def __init__(self, tracing: Tracing = NO_TRACING) -> None:
        self.tracing = tracing
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._names: set[str] = set()
        self.operations = Counter(
            "gateway_operations",
            "GraphQL operations by name, type and outcome (ok, user_error, error)",
            ["operation", "type", "outcome"],
            registry=r,
        )
        self.operation_seconds = Histogram(
            "gateway_operation_duration_seconds",
            "GraphQL operation latency",
            ["operation", "type"],
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
            buckets=LATENCY_BUCKETS,
            registry=r,
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

    def watch(self, breakers: Breakers, retry_stats: RetryStats) -> None:
        """Export the app's retry counters and breaker states, read when scraped."""
        self.registry.register(_ResilienceCollector(breakers, retry_stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def _label(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "other"
        if name not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
        return name

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
        label = self._label(record.name)
        self.operations.labels(label, record.type, record.outcome).inc()
        self.operation_seconds.labels(label, record.type).observe(took)
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


class _ResilienceCollector(Collector):
    def __init__(self, breakers: Breakers, retry_stats: RetryStats) -> None:
        self._breakers = breakers
        self._stats = retry_stats

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        retries = CounterMetricFamily(
            "gateway_upstream_retries",
            "Vendor requests sent again, by vendor and reason (http_503, connect_error, ...)",
            labels=["vendor", "reason"],
        )
        for (vendor, reason), count in sorted(self._stats.retries.items()):
            retries.add_metric([vendor, reason], count)
        short = CounterMetricFamily(
            "gateway_upstream_short_circuits",
            "Calls failed fast by an open circuit breaker, without a vendor request",
            labels=["vendor"],
        )
        for vendor, count in sorted(self._stats.short_circuits.items()):
            short.add_metric([vendor], count)
        state = GaugeMetricFamily(
            "gateway_breaker_state",
            "Circuit breaker per vendor host: 1 for its current state, 0 for the others",
            labels=["vendor", "host", "state"],
        )
        for breaker in self._breakers:
            vendor, _, host = breaker.name.partition(" at ")
            current = breaker.state.value
            for name in BREAKER_STATES:
                state.add_metric([vendor, host, name], 1.0 if name == current else 0.0)
        yield from (retries, short, state)
