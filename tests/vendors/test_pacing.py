"""The scheduled-slot limiter behind `<PREFIX>_MAX_RATE` (gateway/vendors/pacing.py), on its
own: pure arithmetic on a clock the test holds."""

from __future__ import annotations

import pytest

from gateway.vendors.pacing import Pacer, credential_key


def test_slots_are_handed_out_in_order_evenly_spaced() -> None:
    pacer = Pacer({"kantata": 4})
    starts = [pacer.reserve("kantata", "k", 10.0, 100.0) for _ in range(5)]
    assert starts == [10.0, 10.25, 10.5, 10.75, 11.0]


def test_a_slot_past_the_deadline_is_refused_and_not_taken() -> None:
    pacer = Pacer({"kantata": 1})
    assert pacer.reserve("kantata", "k", 0.0, 5.0) == 0.0
    assert pacer.reserve("kantata", "k", 0.0, 0.5) is None  # its turn would be at 1.0
    assert pacer.next_free("kantata", "k") == 1.0  # the refusal took nothing
    assert pacer.reserve("kantata", "k", 0.0, 5.0) == 1.0


def test_an_idle_schedule_starts_at_once() -> None:
    pacer = Pacer({"kantata": 2})
    assert pacer.reserve("kantata", "k", 0.0, 9.0) == 0.0
    assert pacer.reserve("kantata", "k", 3.0, 9.0) == 3.0


def test_each_credential_and_vendor_has_its_own_schedule() -> None:
    pacer = Pacer({"kantata": 1, "kitchen": 1})
    assert pacer.reserve("kantata", "a", 0.0, 9.0) == 0.0
    assert pacer.reserve("kantata", "b", 0.0, 9.0) == 0.0
    assert pacer.reserve("kitchen", "a", 0.0, 9.0) == 0.0


def test_an_unpaced_vendor_never_waits_and_keeps_nothing() -> None:
    pacer = Pacer({"kantata": 0})
    assert pacer.rate("kantata") is None
    assert [pacer.reserve("kantata", "k", 1.0, 2.0) for _ in range(3)] == [1.0] * 3
    assert len(pacer) == 0


def test_workers_share_the_rate() -> None:
    pacer = Pacer({"kantata": 10}, share=4)
    assert pacer.rate("kantata") == pytest.approx(2.5)
    assert pacer.reserve("kantata", "k", 0.0, 9.0) == 0.0
    assert pacer.reserve("kantata", "k", 0.0, 9.0) == pytest.approx(0.4)


def test_schedules_kept_are_bounded_whatever_the_tokens() -> None:
    pacer = Pacer({"kitchen": 1}, capacity=32)
    for n in range(10_000):
        pacer.reserve("kitchen", credential_key(f"https://w{n}.example/api", f"Bearer t{n}"), 0, 9)
    assert len(pacer) == 32


def test_the_key_never_holds_the_credential() -> None:
    key = credential_key("https://acme.kitchen.co/api", "Bearer s3cret-token")
    assert "s3cret" not in key
    assert key != credential_key("https://other.kitchen.co/api", "Bearer s3cret-token")


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError):
        Pacer({"kantata": 1}, share=0)


def test_a_slot_too_late_for_the_answer_is_refused() -> None:
    # The vendor answers in about 0.4 s: a turn 0.25 s before the deadline is no use.
    pacer = Pacer({"kantata": 4})
    pacer.answered("kantata", 0.4)
    assert pacer.reserve("kantata", "k", 0.0, 1.0) == 0.0
    assert pacer.reserve("kantata", "k", 0.0, 1.0) == 0.25
    assert pacer.reserve("kantata", "k", 0.0, 1.0) == 0.5
    assert pacer.reserve("kantata", "k", 0.0, 1.0) is None  # 0.75 + 0.4 is past 1.0
    for _ in range(3):  # answers got faster: the estimate follows, in steps
        pacer.answered("kantata", 0.0)
    assert pacer.reserve("kantata", "k", 0.0, 1.0) == 0.75
