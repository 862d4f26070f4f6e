"""The registry of vendor calls in flight (gateway/vendors/inflight.py) on its own, and
`Upstream` sharing reads over a fake transport (HTTP plumbing only; the real thing, over the
sandbox, is tests/gateway/test_shared_reads.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gateway.core.budget import CallBudget
from gateway.core.errors import ErrorCode, GatewayError
from gateway.vendors.http import Upstream
from gateway.vendors.inflight import SharedCallFailed, SharedCalls, read_key


class Joins:
    def __init__(self) -> None:
        self.vendors: list[str] = []

    def shared(self, vendor: str) -> None:
        self.vendors.append(vendor)


def test_the_key_hides_the_credential_and_tells_reads_apart() -> None:
    headers = {"Authorization": "Bearer s3cret-token", "Accept": "application/json"}
    key = read_key("kantata", "https://v/api/invoices/1", [("include", "user")], headers)
    assert "s3cret" not in key
    again = {**headers, "X-Request-Id": "another request"}
    assert read_key("kantata", "https://v/api/invoices/1", [("include", "user")], again) == key
    others = [
        read_key("kitchen", "https://v/api/invoices/1", [("include", "user")], headers),
        read_key("kantata", "https://v/api/invoices/2", [("include", "user")], headers),
        read_key("kantata", "https://v/api/invoices/1", [], headers),
        read_key(
            "kantata",
            "https://v/api/invoices/1",
            [("include", "user")],
            {**headers, "Authorization": "Bearer other"},
        ),
        read_key(
            "kantata",
            "https://v/api/invoices/1",
            [("include", "user")],
            {**headers, "Accept": "text/csv"},
        ),
    ]
    assert len({key, *others}) == len(others) + 1


def test_waiters_share_one_run_and_the_entry_goes_when_it_ends() -> None:
    joins = Joins()
    shared = SharedCalls(watch=joins)
    runs = 0

    async def work() -> str:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.05)
        return "answer"

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        results = await asyncio.gather(*(shared.run("v", "k", work, deadline) for _ in range(5)))
        assert len(shared) == 0
        return results

    assert asyncio.run(scenario()) == ["answer"] * 5
    assert runs == 1
    assert joins.vendors == ["v"] * 4


def test_the_first_waiter_leaving_does_not_cancel_the_call() -> None:
    shared = SharedCalls()
    finished = []

    async def work() -> str:
        await asyncio.sleep(0.1)
        finished.append(True)
        return "answer"

    async def scenario() -> str:
        deadline = asyncio.get_running_loop().time() + 5
        first = asyncio.create_task(shared.run("v", "k", work, deadline))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(shared.run("v", "k", work, deadline))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(scenario()) == "answer"
    assert finished == [True]


def test_a_waiter_s_own_deadline_ends_its_wait_not_the_call() -> None:
    shared = SharedCalls()

    async def work() -> str:
        await asyncio.sleep(0.15)
        return "answer"

    async def scenario() -> str:
        now = asyncio.get_running_loop().time()
        patient = asyncio.create_task(shared.run("v", "k", work, now + 5))
        await asyncio.sleep(0)
        with pytest.raises(TimeoutError):
            await shared.run("v", "k", work, now + 0.05)
        return await patient

    assert asyncio.run(scenario()) == "answer"


def test_the_call_is_cancelled_and_forgotten_when_nobody_waits() -> None:
    shared = SharedCalls()
    cancelled = []

    async def work() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return "never"

    async def scenario() -> None:
        deadline = asyncio.get_running_loop().time() + 5
        waiters = [asyncio.create_task(shared.run("v", "k", work, deadline)) for _ in range(2)]
        await asyncio.sleep(0.01)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        assert len(shared) == 0
        await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert cancelled == [True]


def test_work_that_raises_is_a_fresh_error_for_each_waiter() -> None:
    shared = SharedCalls()

    async def work() -> str:
        await asyncio.sleep(0.01)
        raise KeyError("bug")

    async def scenario() -> list[BaseException]:
        deadline = asyncio.get_running_loop().time() + 5
        runs = [shared.run("v", "k", work, deadline) for _ in range(3)]
        results = await asyncio.gather(*runs, return_exceptions=True)
        assert len(shared) == 0
        return [r for r in results if isinstance(r, BaseException)]

    errors = asyncio.run(scenario())
    assert [type(e) for e in errors] == [SharedCallFailed] * 3
    assert len({id(e) for e in errors}) == 3
    assert all(isinstance(e.__cause__, KeyError) for e in errors)


def test_no_read_joins_one_that_started_before_a_write_ended() -> None:
    shared = SharedCalls()
    runs = 0

    async def work() -> int:
        nonlocal runs
        runs += 1
        mine = runs
        await asyncio.sleep(0.05)
        return mine

    async def scenario() -> list[int]:
        deadline = asyncio.get_running_loop().time() + 5
        before = asyncio.create_task(shared.run("v", "k", work, deadline))
        await asyncio.sleep(0.01)
        shared.wrote("other vendor")  # no matter here
        joined = asyncio.create_task(shared.run("v", "k", work, deadline))
        await asyncio.sleep(0.01)
        shared.wrote("v")
        after = [asyncio.create_task(shared.run("v", "k", work, deadline)) for _ in range(2)]
        results = await asyncio.gather(before, joined, *after)
        assert len(shared) == 0
        return results

    assert asyncio.run(scenario()) == [1, 1, 2, 2]


# Upstream over a fake transport


def upstream(
    handler: Any, shared: SharedCalls, budget: CallBudget | None = None, token: str = "t0ken"
) -> tuple[Upstream, httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return (
        Upstream(
            client,
            vendor_label="Vendor",
            base_url="https://vendor.test/api",
            headers={"Authorization": f"Bearer {token}"},
            read_errors=lambda data: [(data["message"], None)],
            shared=shared,
            budget=budget,
        ),
        client,
    )


def slow(status: int, body: bytes, sent: list[str]) -> Any:
    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        await asyncio.sleep(0.05)
        return httpx.Response(status, content=body)

    return handler


def test_each_waiter_gets_its_own_parsed_answer() -> None:
    sent: list[str] = []
    shared = SharedCalls()

    async def scenario() -> list[Any]:
        first, client = upstream(slow(200, b'{"items": [1, 2]}', sent), shared)
        second, _ = upstream(slow(200, b"", sent), shared)
        async with client:
            answers = await asyncio.gather(first.request("GET", "/x"), second.request("GET", "/x"))
        answers[0]["items"].append(3)  # one caller changing its answer
        return list(answers)

    answers = asyncio.run(scenario())
    assert sent == ["GET"]
    assert answers == [{"items": [1, 2, 3]}, {"items": [1, 2]}]


def test_each_waiter_raises_its_own_typed_error() -> None:
    sent: list[str] = []
    shared = SharedCalls()

    async def scenario() -> list[BaseException]:
        caller, client = upstream(slow(404, b'{"message": "gone"}', sent), shared)
        async with client:
            results = await asyncio.gather(
                *(caller.request("GET", "/x") for _ in range(3)), return_exceptions=True
            )
        return [r for r in results if isinstance(r, BaseException)]

    errors = asyncio.run(scenario())
    assert sent == ["GET"]
    assert all(isinstance(e, GatewayError) and e.code is ErrorCode.NOT_FOUND for e in errors)
    assert len({id(e) for e in errors}) == 3


def test_puts_and_other_credentials_are_sent_each() -> None:
    sent: list[str] = []
    shared = SharedCalls()

    async def scenario() -> None:
        one, client = upstream(slow(200, b"{}", sent), shared)
        other, _ = upstream(slow(200, b"{}", sent), shared, token="another")
        async with client:
            await asyncio.gather(
                one.request("PUT", "/x", body={"a": 1}),
                one.request("PUT", "/x", body={"a": 1}),
                one.request("GET", "/x"),
                other.request("GET", "/x"),
            )

    asyncio.run(scenario())
    assert sorted(sent) == ["GET", "GET", "PUT", "PUT"]


def test_who_joins_spends_none_of_its_budget_and_the_starter_s_limit_is_its_own() -> None:
    sent: list[str] = []
    shared = SharedCalls()
    spent, joiner_budget = CallBudget(0), CallBudget(1)

    async def scenario() -> tuple[BaseException | Any, ...]:
        starter, client = upstream(slow(200, b"{}", sent), shared, budget=CallBudget(5))
        broke, _ = upstream(slow(200, b"{}", sent), shared, budget=spent)
        joiner, _ = upstream(slow(200, b"{}", sent), shared, budget=joiner_budget)
        async with client:
            return tuple(
                await asyncio.gather(
                    starter.request("GET", "/x"),
                    broke.request("GET", "/y"),  # would start a call: its budget says no
                    joiner.request("GET", "/x"),
                    return_exceptions=True,
                )
            )

    ok, refused, joined = asyncio.run(scenario())
    assert ok == {} and joined == {}
    assert isinstance(refused, GatewayError) and refused.code is ErrorCode.LIMIT_EXCEEDED
    assert sent == ["GET"]
    assert joiner_budget.spent == 0
