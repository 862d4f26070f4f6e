"""The Redis stores against a real redis-server: idempotency, persisted queries, rate
limits, invoice locks, and what each does when Redis stops answering. Each test has its own
namespace, so they share the session's server."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from gateway.http.apq import RedisQueryStore
from gateway.http.idempotency import InFlight, Mismatch, RedisStore, Replay, Run, StoredResponse
from gateway.http.persisted_documents import sha256_hex
from gateway.http.ratelimit import RedisRateLimiter
from gateway.settings import Settings
from gateway.store.health import StoreUnavailable, redis_health
from gateway.store.locks import RedisLocks
from tests.server import free_port, serve_gateway

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

ANSWER = StoredResponse(
    status=200, headers=[(b"content-type", b"application/json")], body=b'{"data":{}}'
)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def nowhere() -> AsyncIterator[Redis]:
    """A client of a Redis that is down: a loopback port nobody listens on."""
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
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
    assert 0 < await redis.pttl(f"{namespace}:idem:k") <= 10_000  # a dead replica frees it
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
    redis: Redis, namespace: str, nowhere: Redis
) -> None:
    reaches = [redis]  # the slow replica's Redis: cut off, then back
    slow = RedisStore(
        lambda: reaches[0], namespace=namespace, in_flight_ttl=0.3, health=redis_health(0)
    )
    other = store(redis, namespace)
    assert isinstance(await slow.claim("k", "f"), Run)
    reaches[0] = nowhere  # it can no longer renew its claim: taken for dead
    await asyncio.sleep(0.6)
    assert isinstance(await other.claim("k", "f"), Run)
    reaches[0] = redis
    await slow.finish("k", None)  # must not release the other's claim
    assert json.loads(await redis.get(f"{namespace}:idem:k"))["state"] == "running"
    await other.finish("k", ANSWER)
    assert isinstance(await slow.claim("k", "f"), Replay)


async def test_a_running_claim_is_renewed_and_a_duplicate_waits_only_its_deadline(
    redis: Redis, namespace: str
) -> None:
    one, other = store(redis, namespace, in_flight_ttl=0.3), store(redis, namespace)
    assert isinstance(await one.claim("k", "f"), Run)
    await asyncio.sleep(1.0)  # over three in-flight TTLs: still its own
    started = time.monotonic()
    assert isinstance(await other.claim("k", "f", wait=0.2), InFlight)
    assert time.monotonic() - started < 1.0
    await one.finish("k", ANSWER)
    assert isinstance(await other.claim("k", "f", wait=0.2), Replay)


async def test_a_redis_pause_during_finish_frees_the_key_within_seconds(
    redis_url: str, redis: Redis, namespace: str
) -> None:
    impatient = Redis.from_url(redis_url, socket_timeout=0.3)
    try:
        one = RedisStore(lambda: impatient, namespace=namespace, in_flight_ttl=1.0)
        assert isinstance(await one.claim("k", "f"), Run)
        await redis.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
        started = time.monotonic()
        await one.finish("k", ANSWER)  # times out: logged, never raised
        assert time.monotonic() - started < 1.0
        await asyncio.sleep(1.5)  # the pause ends
        other = store(redis, namespace)
        started = time.monotonic()
        # Freed (the marker expired) or, if Redis ran the late finish, answered: within
        # the in-flight TTL, where it was 5 minutes.
        assert isinstance(await other.claim("k", "f", wait=5), (Run, Replay))
        assert time.monotonic() - started < 2.5
    finally:
        await redis.execute_command("CLIENT", "UNPAUSE")
        await impatient.aclose()


async def test_persisted_queries_are_shared_and_expire(redis: Redis, namespace: str) -> None:
    one = RedisQueryStore(lambda: redis, namespace=namespace)
    other = RedisQueryStore(lambda: redis, namespace=namespace)
    assert await other.get("abc") is None
    assert await one.put("abc", "{ __typename }")
    assert await other.get("abc") == "{ __typename }"
    assert 86_400 - 5 < await redis.ttl(f"{namespace}:apq:abc") <= 86_400
    # Every key has a TTL, so `volatile-lru` may evict any of them.
    for key in await redis.keys(f"{namespace}:*"):
        assert await redis.pttl(key) > 0, key


async def test_using_a_persisted_query_in_persisted_only_mode_starts_its_ttl_again(
    redis: Redis, namespace: str
) -> None:
    queries = RedisQueryStore(lambda: redis, namespace=namespace, ttl=1.0)
    await queries.put("abc", "{ __typename }")
    for _ in range(4):  # used for twice its TTL: it stays
        await asyncio.sleep(0.5)
        assert await queries.get("abc", touch=True) == "{ __typename }"
    await asyncio.sleep(1.2)  # unused for its TTL: it goes
    assert await queries.get("abc") is None


async def test_persisted_queries_stay_within_their_byte_budget(
    redis: Redis, namespace: str
) -> None:
    budget = 50_000
    queries = RedisQueryStore(lambda: redis, namespace=namespace, ttl=0.8, max_bytes=budget)
    document = "{ __typename }\n#" + "x" * 5_000
    stored = [await queries.put(f"{n:064x}", document + str(n)) for n in range(30)]
    assert stored[0] and not all(stored)
    kept = await redis.mget(await redis.keys(f"{namespace}:apq:*"))
    assert 0 < sum(len(document) for document in kept) <= budget
    assert await queries.get(f"{29:064x}") is None  # refused, not stored
    # Other keys are not crowded out, nor counted: an idempotency answer still goes in.
    one = store(redis, namespace)
    assert isinstance(await one.claim("k", "f"), Run)
    await one.finish("k", ANSWER)
    assert isinstance(await one.claim("k", "f"), Replay)
    await asyncio.sleep(1.1)  # the documents expired: their room comes back
    assert await queries.put(f"{99:064x}", document)


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


# --- Redis down ---------------------------------------------------------------------------


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "gateway" and r.getMessage().startswith("Redis ")
    ]


async def test_with_redis_down_each_store_fails_its_own_way_and_it_is_logged_once(
    redis: Redis, nowhere: Redis, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    reaches = [nowhere]
    health = redis_health(probe_interval=0.05)
    idempotency = RedisStore(lambda: reaches[0], namespace=namespace, health=health)
    queries = RedisQueryStore(lambda: reaches[0], namespace=namespace, health=health)
    limiter = RedisRateLimiter(lambda: reaches[0], 6, namespace=namespace, health=health)
    locks = RedisLocks(lambda: reaches[0], namespace=namespace, health=health)
    with caplog.at_level(logging.WARNING, logger="gateway"):
        for _ in range(5):
            with pytest.raises(StoreUnavailable) as failed:
                await idempotency.claim("k", "f")
            assert failed.value.retry_after >= 1
            with pytest.raises(StoreUnavailable):
                await queries.get("abc")
            with pytest.raises(StoreUnavailable):
                await limiter.hit("me")  # the middleware lets the request pass
            async with locks.hold("invoice", wait=1, ttl=5):
                pass  # this replica's own lock alone
            await asyncio.sleep(0.02)
        assert not health.available
        assert len(outage_lines(caplog)) == 1
        assert "Redis unavailable (ConnectionError while" in outage_lines(caplog)[0]
        assert not any(r.exc_info for r in caplog.records)  # no traceback
        reaches[0] = redis
        await asyncio.sleep(0.06)  # the next call is a probe
        assert await limiter.hit("me") == 0
        assert isinstance(await idempotency.claim("k", "f"), Run)
        await idempotency.finish("k", ANSWER)
    lines = outage_lines(caplog)
    assert len(lines) == 2 and lines[1].startswith("Redis available again after")


async def test_while_redis_is_down_calls_fail_at_once_between_probes(nowhere: Redis) -> None:
    now = [0.0]
    health = redis_health(probe_interval=1.0, clock=lambda: now[0])
    calls = 0

    async def ping() -> object:
        nonlocal calls
        calls += 1
        return await nowhere.ping()

    for _ in range(10):
        with pytest.raises(StoreUnavailable):
            await health.run(ping, "pinging")
    assert calls == 1  # a store that hangs would hold one request, not ten
    now[0] += 1.0
    with pytest.raises(StoreUnavailable):
        await health.run(ping, "pinging")
    assert calls == 2


MUTATION = """mutation { updateInvoice(input: {id: "kantata:invoice:101", notes: "down"}) {
  userErrors { code } } }"""


def test_a_gateway_with_redis_down_answers_typed_503s_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = Settings(sandbox=True, redis_url=dead, rate_limit_per_minute=1_000)
    query = "{ __typename }"
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}
    with caplog.at_level(logging.INFO), serve_gateway(settings) as url:
        for _ in range(3):
            for body, headers in (
                ({"query": MUTATION}, {"Idempotency-Key": "k"}),
                ({"extensions": persisted}, {}),
            ):
                refused = httpx.post(f"{url}/graphql", json=body, headers=headers)
                assert refused.status_code == 503
                assert refused.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
                assert int(refused.headers["retry-after"]) >= 1
            # What does not need the store runs (rate limit and lock fall back).
            assert httpx.post(f"{url}/graphql", json={"query": MUTATION}).json() == {
                "data": {"updateInvoice": {"userErrors": []}}
            }
            ran = httpx.post(f"{url}/graphql", json={"query": query, "extensions": persisted})
            assert ran.json() == {"data": {"__typename": "Query"}}  # run, not stored
            read = httpx.post(
                f"{url}/graphql", json={"query": query}, headers={"Idempotency-Key": "q"}
            )
            assert read.headers["idempotent-stored"] == "false; reason=query"
            assert httpx.get(f"{url}/healthz").status_code == 200
    assert len(outage_lines(caplog)) == 1  # not a line per request
    assert not any(r.exc_info for r in caplog.records)  # and no traceback
