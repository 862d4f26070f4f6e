"""How the gateway treats a failing vendor: retries and the circuit breaker's thresholds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resilience:
    """How the gateway treats a failing vendor (one place; docs/errors-and-limits.md, "When a
    vendor fails", has the table)."""

    # Retries of idempotent calls (GET and the vendors' PUTs) on refused or reset
    # connections, 502/503/504 and 429; attempts include the first one.
    retry_attempts: int = 3
    retry_backoff: float = 0.2  # seconds before the first retry; doubles, with jitter
    retry_backoff_max: float = 2.0
    retry_after_cap: float = 10.0  # a vendor's Retry-After is honoured up to this
    # Circuit breaker per vendor host: after this many failures in a row, answer
    # UPSTREAM_UNAVAILABLE at once for the cool-down, then let one probe through.
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
