"""The Redis stores against a real redis-server: idempotency, persisted queries, rate
limits. Each test has its own namespace, so they share the session's server."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from gateway.apq import RedisQueryStore
from gateway.idempotency import Mismatch, RedisStore, Replay, Run, StoredResponse
from gateway.ratelimit import RedisRateLimiter

ANSWER = StoredResponse(
    status=200, headers=[(b"content-type", b"application/json")], body=b'{"data":{}}'
)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex}"


def store(redis: Redis, namespace: str, **kw: float) -> RedisStore:
    return RedisStore(lambda: redis, namespace=namespace, poll_interval=0.01, **kw)


async def test_first_runs_then_replays(redis: Redis, namespace: str) -> None:
    one, other = store(redis, namespace), store(redis, namespace)  # two replicas
    assert isinstance(await one.claim("k", "f"), Run)
    await one.finish("k", ANSWER)
    replay = await other.claim("k", "f")
    assert isinstance(replay, Replay) and replay.response == ANSWER


async def test_the_answer_is_kept_for_the_ttl_under_the_namespace(
    redis: Redis, namespace: str
) -> None:
    one = store(redis, namespace)
    await one.claim("k", "f")
    await one.finish("k", ANSWER)
    assert await redis.keys(f"{namespace}:*") == [f"{namespace}:idem:k".encode()]
    assert 24 * 3600 - 5 < await redis.ttl(f"{namespace}:idem:k") <= 24 * 3600
    value = json.loads(await redis.get(f"{namespace}:idem:k"))
    assert value["state"] == "done" and value["fingerprint"] == "f"


async def test_another_body_under_the_same_key_is_a_mismatch(redis: Redis, namespace: str) -> None:
    one, other = store(redis, namespace), store(redis, namespace)
    assert isinstance(await one.claim("k", "f"), Run)
    assert isinstance(await other.claim("k", "g"), Mismatch)  # while running
    await one.finish("k", ANSWER)
    assert isinstance(await other.claim("k", "g"), Mismatch)  # and after


async def test_a_duplicate_on_another_replica_waits_for_the_first(
    redis: Redis, namespace: str
) -> None:
    one, other = store(redis, namespace), store(redis, namespace)
    assert isinstance(await one.claim("k", "f"), Run)
    marker = json.loads(await redis.get(f"{namespace}:idem:k"))
    assert marker["state"] == "running"
    assert 0 < await redis.pttl(f"{namespace}:idem:k") <= 300_000  # a dead replica frees it
    waiting = asyncio.create_task(other.claim("k", "f"))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await one.finish("k", ANSWER)
    replay = await asyncio.wait_for(waiting, 5)
    assert isinstance(replay, Replay) and replay.response == ANSWER


async def test_a_failed_first_run_releases_the_key(redis: Redis, namespace: str) -> None:
    one, other = store(redis, namespace), store(redis, namespace)
    assert isinstance(await one.claim("k", "f"), Run)
    waiting = asyncio.create_task(other.claim("k", "f"))
    await asyncio.sleep(0.05)
    await one.finish("k", None)
    assert isinstance(await asyncio.wait_for(waiting, 5), Run)
    await other.finish("k", ANSWER)
    assert isinstance(await one.claim("k", "f"), Replay)


async def test_an_expired_claim_is_not_overwritten_by_its_late_finish(
    redis: Redis, namespace: str
) -> None:
    slow, other = store(redis, namespace, in_flight_ttl=0.1), store(redis, namespace)
    assert isinstance(await slow.claim("k", "f"), Run)
    await asyncio.sleep(0.2)  # the marker expired: the replica is taken for dead
    assert isinstance(await other.claim("k", "f"), Run)
    await slow.finish("k", None)  # must not release the other's claim
    assert json.loads(await redis.get(f"{namespace}:idem:k"))["state"] == "running"
    await other.finish("k", ANSWER)
    assert isinstance(await slow.claim("k", "f"), Replay)


async def test_persisted_queries_are_shared(redis: Redis, namespace: str) -> None:
    one = RedisQueryStore(lambda: redis, namespace=namespace)
    other = RedisQueryStore(lambda: redis, namespace=namespace)
    assert await other.get("abc") is None
    await one.put("abc", "{ __typename }")
    assert await other.get("abc") == "{ __typename }"
    assert await redis.ttl(f"{namespace}:apq:abc") == -1  # a registry: no expiry


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_rate_limit_is_shared_and_slides(redis: Redis, namespace: str) -> None:
    clock = Clock()
    one = RedisRateLimiter(lambda: redis, 6, namespace=namespace, clock=clock)
    other = RedisRateLimiter(lambda: redis, 6, namespace=namespace, clock=clock)
    for limiter in (one, other, one, other, one, other):
        assert await limiter.hit("me") == 0
    wait = await one.hit("me")
    assert wait == pytest.approx(10.0)  # one request back every 60/6 seconds
    assert await other.hit("you") == 0  # callers are counted apart
    clock.now += 10
    assert await other.hit("me") == 0
    assert await one.hit("me") > 0
    assert 0 < await redis.pttl(f"{namespace}:rate:me") <= 62_000
