"""What a vendor answers is checked before the gateway acts on it: its size, its numbers, the
credential it may echo, the wait it asks for. Over real HTTP, through the sandbox's answer
switches (`gzip_answers`, `pad_answer_bytes`, `echo_credentials_in_errors`) and faults."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.sandbox.kantata import SANDBOX_TOKEN, create_kantata_emulator
from gateway.sandbox.kitchen import SANDBOX_API_KEY, create_kitchen_emulator
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_CANCELLED, KANTATA_DRAFT, KITCHEN_DRAFT
from tests.server import serve_gateway

TARGETS = {"kantata": KANTATA_DRAFT, "kitchen": KITCHEN_DRAFT}
READ = "query($id: ID!) { invoice(id: $id) { id number total { amount currency } } }"
UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
    invoice { id } userErrors { code message field retryAfter } } }"""
TOKEN_HEADERS = {"kantata": "X-Kantata-Token", "kitchen": "X-Kitchen-Token"}
CAP = 200_000


def calls(gw: Gateway, vendor: str, method: str) -> int:
    return sum(1 for r in gw.requests(vendor) if r["method"] == method)


def read_error(gw: Gateway, vendor: str, **headers: str) -> dict[str, Any]:
    body = gw.post(READ, {"id": TARGETS[vendor]}, headers=headers)
    assert body["data"] == {"invoice": None}, body
    [error] = body["errors"]
    return dict(error)


def update(gw: Gateway, invoice_id: str, **headers: str) -> dict[str, Any]:
    data = gw.data(UPDATE, {"input": {"id": invoice_id, "notes": "n"}}, headers=headers)
    payload: dict[str, Any] = data["updateInvoice"]
    assert payload["invoice"] is None
    return payload


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    began = time.monotonic()
    result = action()
    return result, time.monotonic() - began


# Size


@pytest.fixture(scope="module")
def small_cap() -> Iterator[str]:
    """A gateway on the sandbox that reads at most CAP bytes of any vendor answer."""
    with serve_gateway(Settings(sandbox=True, upstream_max_bytes=CAP)) as url:
        yield url


@pytest.fixture
def capped(small_cap: str) -> Iterator[Gateway]:
    with httpx.Client(base_url=small_cap, timeout=60) as client:
        gateway = Gateway(client)
        gateway.reset()
        yield gateway


def _resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_growth(action: Callable[[], Any]) -> tuple[Any, int]:
    """`action()`'s result, and how far this process's resident memory rose above where
    it was while the action ran (sampled every millisecond)."""
    before = _resident()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _resident())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    return result, max(peak, _resident()) - before


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc (Linux)")
@pytest.mark.parametrize(
    ("vendor", "gzip"),
    [("kantata", False), ("kitchen", False), ("kantata", True), ("kitchen", True)],
    ids=["kantata-declared", "kitchen-declared", "kantata-gzip-streamed", "kitchen-gzip-streamed"],
)
def test_an_answer_over_the_cap_is_refused_unread(capped: Gateway, vendor: str, gzip: bool) -> None:
    # A warm gateway first: the first request of a process allocates caches of its own.
    assert "errors" not in capped.post(READ, {"id": TARGETS[vendor]})
    capped.forget_requests()
    # 400 MB: a length the emulator declares (refused before a byte is read); gzipped, it
    # is about 400 KB on the wire and has no length, so it is counted as it inflates.
    capped.settings(vendor, pad_answer_bytes=400_000_000, gzip_answers=gzip)
    error, grew = peak_growth(lambda: timed(lambda: read_error(capped, vendor)))
    error, elapsed = error
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE"}
    label = vendor.capitalize()
    assert (
        error["message"] == f"{label} answered more than {CAP} bytes; the gateway read no further"
    )
    assert grew < 100 * CAP, grew  # nowhere near the answer's 400 MB
    assert elapsed < 10
    assert calls(capped, vendor, "GET") == 1  # a GET, and still not retried
    # The gateway is none the worse: the next answer within the cap is read.
    capped.settings(vendor, pad_answer_bytes=1_000)
    assert "errors" not in capped.post(READ, {"id": TARGETS[vendor]})


@pytest.mark.parametrize("vendor", TARGETS)
def test_compressed_answers_are_read_as_plain_ones(gw: Gateway, vendor: str) -> None:
    plain = gw.data(READ, {"id": TARGETS[vendor]})
    gw.settings(vendor, gzip_answers=True, pad_answer_bytes=100_000)
    assert gw.data(READ, {"id": TARGETS[vendor]}) == plain
    [request] = [r for r in gw.requests(vendor) if r["method"] == "GET"][-1:]
    assert request["headers"]["accept-encoding"] == "gzip, deflate"


# Numbers


@pytest.mark.parametrize("vendor", TARGETS)
@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e999999", "9" * 400, "0." + "3" * 45]
)
def test_a_number_out_of_range_is_a_typed_error(gw: Gateway, vendor: str, number: str) -> None:
    body = f'{{"count": 1, "id": "101", "amount": {number}, "balance_in_cents": {number}}}'
    gw.fault(vendor, method="GET", status=200, body=body)
    error = read_error(gw, vendor)
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE"}
    assert error["message"] == f"{vendor.capitalize()} answered a number out of range"
    assert calls(gw, vendor, "GET") == 1


# Credentials a vendor writes back


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # everything, from every logger
    return caplog


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_callers_token_echoed_by_the_vendor_is_never_shown(
    gw: Gateway, vendor: str, logs: pytest.LogCaptureFixture
) -> None:
    token = "caller-token-5f2b9e1d"
    headers = {TOKEN_HEADERS[vendor]: token}
    gw.settings(vendor, echo_credentials_in_errors=True)
    payload = update(gw, TARGETS[vendor], **headers)
    error = read_error(gw, vendor, **headers)
    [problem] = payload["userErrors"]
    assert problem["code"] == error["extensions"]["code"] == "UNAUTHENTICATED"
    # The vendor did echo it (the emulator's 401 message), and the gateway took it out.
    assert "[redacted]" in problem["message"] and "[redacted]" in error["message"]
    shown = f"{payload} {error} {logs.text}"
    assert token not in shown


def test_the_configured_token_echoed_in_a_rejection_is_never_shown(
    gw: Gateway, logs: pytest.LogCaptureFixture
) -> None:
    gw.settings("kantata", echo_credentials_in_errors=True)
    [problem] = update(gw, KANTATA_CANCELLED)["userErrors"]  # the emulator's own 422
    assert problem["code"] == "UPSTREAM_REJECTED" and "cancel" in problem["message"]
    assert problem["message"].endswith("(Authorization: [redacted])")
    assert SANDBOX_TOKEN not in f"{problem} {logs.text}"


def test_a_token_in_any_form_is_scrubbed_from_a_vendor_message(
    gw: Gateway, logs: pytest.LogCaptureFixture
) -> None:
    said = (
        f"key {SANDBOX_API_KEY} (sandbox%2Dkitchen%2Dkey) may not; "
        "nor may Authorization: bearer c29tZS1vdGhlci10b2tlbg=="
    )
    gw.fault("kitchen", method="PUT", status=403, body=f'{{"message": "{said}"}}')
    gw.settings("kitchen", echo_credentials_in_errors=True)
    [problem] = update(gw, KITCHEN_DRAFT)["userErrors"]
    assert problem["code"] == "FORBIDDEN"
    assert problem["message"] == (
        "Kitchen: key [redacted] ([redacted]) may not; nor may Authorization: "
        "Bearer [redacted] (Authorization: [redacted])"
    )
    shown = f"{problem} {logs.text}".lower()
    for secret in (SANDBOX_API_KEY, "sandbox%2dkitchen%2dkey", "c29tZS1vdGhlci10b2tlbg"):
        assert secret.lower() not in shown


# Retry-After


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_long_retry_after_is_rate_limited_at_once(gw: Gateway, vendor: str) -> None:
    gw.fault(vendor, method="PUT", status=429, headers={"Retry-After": "120"}, times=None)
    payload, elapsed = timed(lambda: update(gw, TARGETS[vendor]))
    assert elapsed < 2
    [problem] = payload["userErrors"]
    assert (problem["code"], problem["retryAfter"]) == ("RATE_LIMITED", 120)
    assert "120 s" in problem["message"]
    assert calls(gw, vendor, "PUT") == 1  # no retry


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_long_retry_after_on_a_read_is_in_the_extensions(gw: Gateway, vendor: str) -> None:
    gw.fault(vendor, method="GET", status=429, headers={"Retry-After": "120"}, times=None)
    error, elapsed = timed(lambda: read_error(gw, vendor))
    assert elapsed < 2
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 120}
    assert calls(gw, vendor, "GET") == 1


def test_a_503_asking_for_an_hour_is_unavailable_at_once(gw: Gateway) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    header = email.utils.format_datetime(when, usegmt=True)
    gw.fault("kantata", method="GET", status=503, headers={"Retry-After": header}, times=None)
    error, elapsed = timed(lambda: read_error(gw, "kantata"))
    assert elapsed < 2
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert 3590 <= error["extensions"]["retryAfter"] <= 3600
    assert calls(gw, "kantata", "GET") == 1


def test_a_short_retry_after_is_still_waited_and_retried(gw: Gateway) -> None:
    gw.fault("kantata", method="PUT", status=429, headers={"Retry-After": "1"})
    data, elapsed = timed(lambda: gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "n"}}))
    assert data["updateInvoice"]["userErrors"] == []
    assert 0.9 <= elapsed < 5
    assert calls(gw, "kantata", "PUT") == 2


def test_other_errors_have_no_retry_after(gw: Gateway) -> None:
    gw.fault("kantata", method="PUT", status=422, body="{}")
    [problem] = update(gw, KANTATA_DRAFT)["userErrors"]
    assert (problem["code"], problem["retryAfter"]) == ("UPSTREAM_REJECTED", None)
    gw.fault("kantata", method="GET", status=404, body="{}")
    body = gw.post(READ, {"id": KANTATA_DRAFT})
    assert "retryAfter" not in str(body)


# The sandbox's answer switches themselves


def test_answer_switches_are_checked_listed_and_reset(gw: Gateway) -> None:
    control = "/sandbox/kitchen/_control/settings"
    before = gw.http.get(control).json()
    switches = {"gzip_answers": False, "pad_answer_bytes": 0, "echo_credentials_in_errors": False}
    assert before.items() >= switches.items()  # listed, all off
    for bad in ({"pad_answer_bytes": -1}, {"gzip_answers": "true"}, {"pad_answer_bytes": 1.5}):
        assert gw.http.patch(control, json=bad).status_code == 400, bad
    assert gw.http.get(control).json() == before
    gw.settings("kitchen", gzip_answers=True, pad_answer_bytes=5)
    assert gw.http.get(control).json() == {**before, "gzip_answers": True, "pad_answer_bytes": 5}
    gw.reset()
    assert gw.http.get(control).json() == before
    create_kitchen_emulator(quirks={"echo_credentials_in_errors": True, "pad_answer_bytes": 9})
    with pytest.raises(ValueError):
        create_kantata_emulator(quirks={"gzip_answers": 1})


def test_answer_switches_shape_what_the_emulator_sends(gw: Gateway) -> None:
    url = "/sandbox/kantata/api/v1/users/7"
    auth = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    plain = gw.http.get(url, headers={**auth, "Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers  # off by default: untouched
    gw.settings("kantata", gzip_answers=True, pad_answer_bytes=70_000)
    packed = gw.http.get(url, headers={**auth, "Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-length" not in packed.headers
    assert packed.json() == {"padding": "x" * 70_000, **plain.json()}
    unpacked = gw.http.get(url, headers={**auth, "Accept-Encoding": "identity"})
    assert "content-encoding" not in unpacked.headers
    assert int(unpacked.headers["content-length"]) == len(unpacked.content)
    assert unpacked.json() == packed.json()
    gw.settings("kantata", gzip_answers=False, pad_answer_bytes=0, echo_credentials_in_errors=True)
    refused = gw.http.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    [error] = refused.json()["errors"]
    assert error["message"].endswith(" (Authorization: Bearer not-a-token)")
    assert gw.http.get(url, headers=auth).json() == plain.json()  # a 200 is not touched
