"""When a vendor fails: retries, the call's deadline and the circuit breaker, over real HTTP
through the sandbox's fault injection, each on a gateway of its own with small numbers."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from gateway.settings import Resilience, Settings
from gateway.vendors.breaker import Breakers, CircuitBreaker, Outcome, State, Ticket, origin
from gateway.vendors.retry import RetryStats, backoff_delay, error_reason, parse_retry_after
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_DRAFT, UPDATE
from tests.server import dead_vendors, gateway_app, serve

TARGETS = {"kantata": KANTATA_DRAFT, "kitchen": KITCHEN_DRAFT}
READ = "query($id: ID!) { invoice(id: $id) { id number } }"
FAST = Resilience(
    retry_attempts=3,
    retry_backoff=0.01,
    retry_backoff_max=0.05,
    retry_after_cap=2.0,
    breaker_failures=3,
    breaker_cooldown=0.3,
)


@dataclass
class Started:
    gw: Gateway
    stats: RetryStats
    breakers: Breakers


Start = Callable[..., Started]


@pytest.fixture
def start() -> Iterator[Start]:
    """Starts gateways on the sandbox: `start(upstream_timeout=..., <Resilience field>=...)`
    over FAST; `start(dead=True)` points both vendors at a port nobody listens on;
    `start(dedup=False)`: identical reads in flight are each sent (none joins another)."""
    with ExitStack() as stack:

        def run(
            *,
            upstream_timeout: float = 10.0,
            dead: bool = False,
            dedup: bool = True,
            **changes: Any,
        ) -> Started:
            resilience = Resilience(**{**vars(FAST), **changes})
            if dead:
                settings = dead_vendors(upstream_timeout=upstream_timeout, resilience=resilience)
            else:
                settings = Settings(
                    sandbox=True, upstream_timeout=upstream_timeout, resilience=resilience
                )
            settings = replace(settings, upstream_dedup=dedup)
            app, port = gateway_app(settings)
            url = stack.enter_context(serve(app, port=port))
            client = stack.enter_context(httpx.Client(base_url=url, timeout=30))
            return Started(Gateway(client), app.state.retry_stats, app.state.breakers)

        yield run


def update(gw: Gateway, vendor: str) -> dict[str, Any]:
    data = gw.data(UPDATE, {"input": {"id": TARGETS[vendor], "notes": "n"}})
    payload: dict[str, Any] = data["updateInvoice"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def read(gw: Gateway, vendor: str) -> str | None:
    """The error code of reading the vendor's demo invoice, None when it was read."""
    body = gw.post(READ, {"id": TARGETS[vendor]})
    if "errors" in body:
        code: str = body["errors"][0]["extensions"]["code"]
        return code
    assert body["data"]["invoice"]["id"] == TARGETS[vendor]
    return None


def calls(gw: Gateway, vendor: str, method: str) -> int:
    return sum(1 for r in gw.requests(vendor) if r["method"] == method)


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    began = time.monotonic()
    result = action()
    return result, time.monotonic() - began


# Retries


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_passing_gateway_failure_is_retried(start: Start, vendor: str) -> None:
    gw = start().gw
    for status in (502, 503, 504):
        gw.fault(vendor, method="PUT", status=status, body="<html>Bad gateway</html>")
        payload = update(gw, vendor)
        assert payload["userErrors"] == [], status
        assert payload["invoice"]["id"] == TARGETS[vendor]
        assert calls(gw, vendor, "PUT") == 2, status
        gw.forget_requests()


@pytest.mark.parametrize("vendor", TARGETS)
def test_reads_are_retried_too(start: Start, vendor: str) -> None:
    gw = start().gw
    gw.fault(vendor, method="GET", status=503)
    assert read(gw, vendor) is None
    assert calls(gw, vendor, "GET") == 2


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_500_is_not_retried(start: Start, vendor: str) -> None:
    gw = start().gw
    gw.fault(vendor, method="PUT", status=500, times=None)
    assert codes(update(gw, vendor)) == ["UPSTREAM_UNAVAILABLE"]
    assert calls(gw, vendor, "PUT") == 1


@pytest.mark.parametrize("vendor", TARGETS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_a_refusal_is_never_retried(gw: Gateway, vendor: str, status: int) -> None:
    gw.fault(vendor, method="PUT", status=status, body="{}", times=None)
    assert codes(update(gw, vendor)) != []
    assert calls(gw, vendor, "PUT") == 1


@pytest.mark.parametrize("vendor", TARGETS)
@pytest.mark.parametrize("body", ["<html>Oops</html>", "", "[]"])
def test_an_unreadable_success_is_not_retried(gw: Gateway, vendor: str, body: str) -> None:
    gw.fault(vendor, method="PUT", status=200, body=body, times=None)
    assert codes(update(gw, vendor)) == ["UPSTREAM_UNAVAILABLE"]
    assert calls(gw, vendor, "PUT") == 1


def test_429_waits_as_long_as_retry_after_says(start: Start) -> None:
    gw = start().gw
    gw.fault("kantata", method="PUT", status=429, headers={"Retry-After": "1"})
    payload, elapsed = timed(lambda: update(gw, "kantata"))
    assert payload["userErrors"] == []
    assert 0.9 <= elapsed < 5
    assert calls(gw, "kantata", "PUT") == 2


def test_retry_after_may_be_an_http_date(start: Start) -> None:
    gw = start().gw
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    header = email.utils.format_datetime(when, usegmt=True)  # whole seconds: 1 to 2 s away
    gw.fault("kitchen", method="GET", status=429, headers={"Retry-After": header})
    code, elapsed = timed(lambda: read(gw, "kitchen"))
    assert code is None
    assert 0.9 <= elapsed < 5
    assert calls(gw, "kitchen", "GET") == 2


def test_a_retry_after_past_the_cap_is_answered_at_once(start: Start) -> None:
    # Retrying before the vendor's time would only be refused again: the caller decides.
    gw = start(retry_after_cap=0.2).gw
    gw.fault("kitchen", method="PUT", status=429, headers={"Retry-After": "3600"})
    payload, elapsed = timed(lambda: update(gw, "kitchen"))
    assert [e["code"] for e in payload["userErrors"]] == ["RATE_LIMITED"]
    assert "3600 s" in payload["userErrors"][0]["message"]
    assert elapsed < 2
    assert calls(gw, "kitchen", "PUT") == 1


def test_429_without_retry_after_backs_off(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.upstream")
    gw = start(retry_backoff=0.2, retry_backoff_max=1.0).gw
    gw.fault("kantata", method="PUT", status=429)
    payload, elapsed = timed(lambda: update(gw, "kantata"))
    assert payload["userErrors"] == []
    assert elapsed >= 0.1  # equal jitter: at least half the first backoff
    [record] = [r for r in caplog.records if hasattr(r, "reason")]
    assert record.reason == "http_429"
    assert 0.1 <= record.delay <= 0.2


@pytest.mark.parametrize("vendor", TARGETS)
def test_429_every_time_is_rate_limited_after_every_attempt(start: Start, vendor: str) -> None:
    gw = start(retry_attempts=4).gw
    gw.fault(vendor, method="PUT", status=429, times=None)
    assert codes(update(gw, vendor)) == ["RATE_LIMITED"]
    assert calls(gw, vendor, "PUT") == 4


def test_503_every_time_is_unavailable_after_every_attempt(start: Start) -> None:
    gw = start(retry_attempts=3).gw
    gw.fault("kitchen", method="GET", status=503, times=None)
    assert read(gw, "kitchen") == "UPSTREAM_UNAVAILABLE"
    assert calls(gw, "kitchen", "GET") == 3


@pytest.mark.parametrize("vendor", TARGETS)
def test_refused_connections_are_retried_then_unavailable(start: Start, vendor: str) -> None:
    started = start(dead=True, retry_attempts=3)
    assert codes(update(started.gw, vendor)) == ["UPSTREAM_UNAVAILABLE"]
    assert started.stats.retries_for(vendor) == {"connect_error": 2}


def test_retries_are_logged_and_counted(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.upstream")
    started = start()
    started.gw.fault("kantata", method="GET", status=503)
    started.gw.fault("kantata", method="GET", status=502)
    assert read(started.gw, "kantata") is None
    assert started.stats.retries_for("kantata") == {"http_503": 1, "http_502": 1}
    assert started.stats.retries_for("kitchen") == {}
    records = [r for r in caplog.records if r.name == "gateway.upstream" and hasattr(r, "reason")]
    assert [(r.vendor, r.method, r.path, r.attempt, r.reason) for r in records] == [
        ("kantata", "GET", "/invoices/101", 1, "http_503"),
        ("kantata", "GET", "/invoices/101", 2, "http_502"),
    ]
    assert all(0 <= r.delay <= FAST.retry_backoff_max for r in records)
    assert "include" not in caplog.text  # the query string is never logged
    assert "sandbox-kantata-token" not in caplog.text


# The deadline


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_slow_vendor_times_out_within_the_deadline(start: Start, vendor: str) -> None:
    gw = start(upstream_timeout=0.5, retry_attempts=5).gw
    gw.fault(vendor, method="PUT", status=503)  # a quick failure first, retried...
    gw.fault(vendor, method="PUT", delay_ms=1000, times=None)  # ...into a slow answer
    payload, elapsed = timed(lambda: update(gw, vendor))
    assert codes(payload) == ["UPSTREAM_TIMEOUT"]
    assert elapsed < 0.5 + 0.4
    assert calls(gw, vendor, "PUT") == 2


def test_slow_failures_never_hold_the_caller_past_the_deadline(start: Start) -> None:
    gw = start(upstream_timeout=0.6, retry_attempts=10, retry_backoff=0.1).gw
    gw.fault("kantata", method="GET", status=503, delay_ms=150, times=None)
    code, elapsed = timed(lambda: read(gw, "kantata"))
    assert code in {"UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT"}
    assert elapsed < 0.6 + 0.4
    assert 2 <= calls(gw, "kantata", "GET") < 10


def test_a_wait_past_the_deadline_is_not_started(start: Start) -> None:
    gw = start(upstream_timeout=1.0, retry_after_cap=10).gw
    gw.fault("kantata", method="PUT", status=429, headers={"Retry-After": "5"})
    payload, elapsed = timed(lambda: update(gw, "kantata"))
    assert codes(payload) == ["RATE_LIMITED"]  # at once, not a timeout a second later
    assert elapsed < 0.5
    assert calls(gw, "kantata", "PUT") == 1


# The circuit breaker


def open_breaker(gw: Gateway, vendor: str) -> None:
    """FAST.breaker_failures failed calls in a row (each retried: a call counts once)."""
    gw.fault(vendor, status=503, times=None)
    for _ in range(FAST.breaker_failures):
        assert read(gw, vendor) == "UPSTREAM_UNAVAILABLE"
    assert calls(gw, vendor, "GET") == FAST.breaker_failures * FAST.retry_attempts
    gw.forget_requests()


def test_the_breaker_opens_after_failures_in_a_row_and_fails_fast(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.upstream")
    started = start()
    gw = started.gw
    open_breaker(gw, "kantata")
    code, elapsed = timed(lambda: read(gw, "kantata"))
    assert code == "UPSTREAM_UNAVAILABLE"
    assert elapsed < 0.5  # no upstream call, no wait
    assert gw.requests("kantata") == []
    assert started.stats.short_circuits["kantata"] == 1
    assert [b.state for b in started.breakers] == [State.OPEN]
    assert "circuit breaker for kantata at http://127.0.0.1" in caplog.text
    # The other vendor is not affected.
    assert read(gw, "kitchen") is None
    assert codes(update(gw, "kitchen")) == []


def test_the_probe_after_the_cool_down_closes_the_breaker(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.upstream")
    gw = start().gw
    open_breaker(gw, "kitchen")
    gw.http.delete("/sandbox/kitchen/_control/faults").raise_for_status()  # it recovers
    assert read(gw, "kitchen") == "UPSTREAM_UNAVAILABLE"  # still cooling down
    assert gw.requests("kitchen") == []
    time.sleep(FAST.breaker_cooldown + 0.05)
    assert read(gw, "kitchen") is None  # the probe
    assert calls(gw, "kitchen", "GET") == 1
    for _ in range(3):
        assert read(gw, "kitchen") is None
    assert calls(gw, "kitchen", "GET") == 4
    states = [r.state for r in caplog.records if hasattr(r, "breaker")]
    assert states == ["open", "half-open", "closed"]


def test_a_failed_probe_opens_the_breaker_again(start: Start) -> None:
    gw = start().gw
    open_breaker(gw, "kantata")
    time.sleep(FAST.breaker_cooldown + 0.05)
    assert read(gw, "kantata") == "UPSTREAM_UNAVAILABLE"  # the probe: one request, no retry
    assert calls(gw, "kantata", "GET") == 1
    assert read(gw, "kantata") == "UPSTREAM_UNAVAILABLE"  # open again, for a whole cool-down
    assert calls(gw, "kantata", "GET") == 1
    gw.http.delete("/sandbox/kantata/_control/faults").raise_for_status()
    time.sleep(FAST.breaker_cooldown + 0.05)
    assert read(gw, "kantata") is None
    assert calls(gw, "kantata", "GET") == 2


def test_only_the_probe_goes_through_while_it_is_in_flight(start: Start) -> None:
    # The same read would join the probe (gateway/vendors/inflight.py): the breaker alone.
    gw = start(dedup=False).gw
    open_breaker(gw, "kantata")
    gw.http.delete("/sandbox/kantata/_control/faults").raise_for_status()
    gw.fault("kantata", method="GET", delay_ms=600)  # a slow, then good, probe
    time.sleep(FAST.breaker_cooldown + 0.05)
    with ThreadPoolExecutor(2) as pool:
        probe = pool.submit(read, gw, "kantata")
        time.sleep(0.2)
        code, elapsed = timed(lambda: read(gw, "kantata"))
        assert (code, elapsed < 0.35) == ("UPSTREAM_UNAVAILABLE", True)
        assert probe.result() is None
    assert calls(gw, "kantata", "GET") == 1
    assert read(gw, "kantata") is None


def test_refusals_and_rate_limits_never_open_the_breaker(start: Start) -> None:
    started = start()
    gw = started.gw
    gw.fault("kantata", method="GET", status=404, times=FAST.breaker_failures + 1)
    gw.fault("kantata", method="GET", status=429, times=None)
    for _ in range(FAST.breaker_failures + 1):
        assert gw.data(READ, {"id": KANTATA_DRAFT}) == {"invoice": None}  # 404: not there
    for _ in range(FAST.breaker_failures):
        assert read(gw, "kantata") == "RATE_LIMITED"
    assert [b.state for b in started.breakers] == [State.CLOSED]
    assert started.stats.short_circuits["kantata"] == 0


def test_refused_connections_open_the_breaker(start: Start) -> None:
    started = start(dead=True, retry_attempts=1)
    for _ in range(FAST.breaker_failures):
        assert codes(update(started.gw, "kitchen")) == ["UPSTREAM_UNAVAILABLE"]
    assert codes(update(started.gw, "kitchen")) == ["UPSTREAM_UNAVAILABLE"]
    assert started.stats.short_circuits == {"kitchen": 1}


# Pure parts, with an injected clock


@pytest.mark.parametrize(
    ("retry", "rand", "delay"),
    [
        (1, 0.0, 0.1),
        (1, 0.999, 0.1999),
        (2, 0.0, 0.2),
        (3, 0.5, 0.6),
        (5, 0.0, 1.0),  # 3.2 capped at 2, half of it fixed
        (200, 0.0, 1.0),
    ],
)
def test_backoff_doubles_up_to_the_cap_with_jitter(retry: int, rand: float, delay: float) -> None:
    assert backoff_delay(retry, base=0.2, cap=2.0, rand=rand) == pytest.approx(delay)


NOW = dt.datetime(2025, 3, 3, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("1", 1.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Mon, 03 Mar 2025 12:00:30 GMT", 30.0),
        ("Monday, 03-Mar-25 12:00:30 GMT", 30.0),  # the obsolete RFC 850 form
        ("Mon, 03 Mar 2025 11:00:00 GMT", 0.0),  # already past
        ("-1", None),
        ("soon", None),
        ("", None),
        ("inf", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(header: str | None, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_retryable_transport_failures_are_named() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    assert error_reason(httpx.ConnectError("refused", request=request)) == "connect_error"
    assert error_reason(httpx.ReadError("reset", request=request)) == "read_error"
    assert (
        error_reason(httpx.RemoteProtocolError("cut", request=request)) == "remote_protocol_error"
    )
    assert error_reason(httpx.ConnectTimeout("slow", request=request)) == "connect_timeout"
    assert error_reason(httpx.ReadTimeout("slow", request=request)) is None
    assert error_reason(TimeoutError()) is None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_state_machine() -> None:
    clock = Clock()
    breaker = CircuitBreaker("kantata at https://x:443", failures=2, cooldown=10, clock=clock)
    ticket = breaker.admit()
    assert ticket is Ticket.CALL
    breaker.record(ticket, Outcome.FAILURE)
    breaker.record(Ticket.CALL, Outcome.SUCCESS)  # a success resets the count
    breaker.record(Ticket.CALL, Outcome.FAILURE)
    breaker.record(Ticket.CALL, Outcome.NEUTRAL)  # neither resets nor counts
    assert breaker.state is State.CLOSED
    breaker.record(Ticket.CALL, Outcome.FAILURE)
    assert breaker.state is State.OPEN
    assert breaker.admit() is None
    assert breaker.retry_in() == 10
    clock.now += 9.9
    assert breaker.admit() is None
    clock.now += 0.1
    assert breaker.state is State.HALF_OPEN
    probe = breaker.admit()
    assert probe is Ticket.PROBE
    assert breaker.admit() is None  # one probe at a time
    assert not breaker.allows_retry(probe)
    breaker.record(Ticket.CALL, Outcome.SUCCESS)  # a late ordinary call does not decide
    assert breaker.state is State.HALF_OPEN
    breaker.record(probe, Outcome.FAILURE)
    assert breaker.state is State.OPEN
    assert breaker.retry_in() == 10  # a whole new cool-down
    clock.now += 10
    probe = breaker.admit()
    assert probe is Ticket.PROBE
    breaker.record(probe, Outcome.NEUTRAL)  # the probe's caller went away: the next probes
    probe = breaker.admit()
    assert probe is Ticket.PROBE
    breaker.record(probe, Outcome.SUCCESS)
    assert breaker.state is State.CLOSED
    assert breaker.admit() is Ticket.CALL
    assert breaker.allows_retry(Ticket.CALL)


def test_one_breaker_per_vendor_and_host() -> None:
    breakers = Breakers(FAST, clock=Clock())
    a = breakers.for_host("kitchen", "https://acme.kitchen.co/api")
    assert breakers.for_host("kitchen", "https://ACME.kitchen.co:443/other") is a
    assert breakers.for_host("kitchen", "https://demo.kitchen.co/api") is not a
    assert breakers.for_host("kantata", "https://acme.kitchen.co/api") is not a
    assert breakers.for_host("kitchen", "http://acme.kitchen.co/api") is not a
    assert origin("https://user:secret@api.example.com:8443/v1?x=1") == (
        "https://api.example.com:8443"
    )


def test_breakers_kept_are_bounded_and_remember_failing_hosts_longest() -> None:
    breakers = Breakers(FAST, clock=Clock(), capacity=3)
    failing = breakers.for_host("kitchen", "https://failing.kitchen.co/api")
    failing.record(Ticket.CALL, Outcome.FAILURE)
    for n in range(10):
        breakers.for_host("kitchen", f"https://w{n}.kitchen.co/api")
    kept = list(breakers)
    assert len(kept) == 3 and failing in kept
