"""The in-memory idempotency store, with an injected clock (no network needed)."""

from __future__ import annotations

import asyncio
import time

from gateway.http.idempotency import InFlight, MemoryStore, Mismatch, Replay, Run, StoredResponse

ANSWER = StoredResponse(status=200, headers=[(b"content-type", b"application/json")], body=b"{}")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_first_runs_then_replays_then_expires() -> None:
    clock = Clock()
    store = MemoryStore(ttl=60, clock=clock)
    assert isinstance(await store.claim("k", "f"), Run)
    await store.finish("k", ANSWER)
    replay = await store.claim("k", "f")
    assert isinstance(replay, Replay) and replay.response is ANSWER
    clock.now += 61
    assert isinstance(await store.claim("k", "f"), Run)


async def test_another_body_under_the_same_key_is_a_mismatch() -> None:
    store = MemoryStore()
    assert isinstance(await store.claim("k", "f"), Run)
    assert isinstance(await store.claim("k", "g"), Mismatch)
    await store.finish("k", ANSWER)
    assert isinstance(await store.claim("k", "g"), Mismatch)


async def test_a_duplicate_waits_for_the_first() -> None:
    store = MemoryStore()
    assert isinstance(await store.claim("k", "f"), Run)
    waiting = asyncio.create_task(store.claim("k", "f"))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await store.finish("k", ANSWER)
    assert isinstance(await waiting, Replay)


async def test_a_failed_first_run_lets_the_duplicate_run() -> None:
    store = MemoryStore()
    assert isinstance(await store.claim("k", "f"), Run)
    waiting = asyncio.create_task(store.claim("k", "f"))
    await asyncio.sleep(0.01)
    await store.finish("k", None)
    assert isinstance(await waiting, Run)


async def test_the_store_stays_bounded() -> None:
    store = MemoryStore(max_entries=3)
    for key in "abcde":
        await store.claim(key, "f")
        await store.finish(key, ANSWER)
    assert isinstance(await store.claim("a", "f"), Run)  # the oldest were dropped
    assert isinstance(await store.claim("e", "f"), Replay)


async def test_a_duplicate_waits_at_most_its_deadline() -> None:
    store = MemoryStore()
    assert isinstance(await store.claim("k", "f"), Run)
    started = time.monotonic()
    assert isinstance(await store.claim("k", "f", wait=0.1), InFlight)
    assert time.monotonic() - started < 1
    await store.finish("k", ANSWER)
    assert isinstance(await store.claim("k", "f", wait=0.1), Replay)


async def test_the_store_stays_within_its_bytes() -> None:
    store = MemoryStore(max_bytes=10_000)
    big = StoredResponse(status=200, headers=[], body=b"x" * 3_000)
    for key in "abcde":
        await store.claim(key, "f")
        await store.finish(key, big)
        assert store.bytes <= 10_000
    assert isinstance(await store.claim("a", "f"), Run)  # the oldest were dropped
    assert isinstance(await store.claim("e", "f"), Replay)


async def test_a_running_request_is_never_dropped_to_make_room() -> None:
    store = MemoryStore(max_entries=1)
    assert isinstance(await store.claim("running", "f"), Run)
    for key in "abc":
        await store.claim(key, "f")
        await store.finish(key, ANSWER)
    assert isinstance(await store.claim("running", "f", wait=0.05), InFlight)
