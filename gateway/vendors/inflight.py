"""In-flight de-duplication: identical vendor reads that are in flight at the same moment,
from any requests of the process, share one call.

`SharedCalls` is app-level (built once by `create_app`, like the breakers) and keyed by a
digest (`read_key`) of everything that shapes the request: vendor, full URL with its query,
and the request headers, credential included. Only the digest is kept, never the
credential. Only reads are shared (`Upstream` asks for GETs without a body): a write is
never sent once for two callers.

The shared call runs in a task of its own, so the caller that started it may go away
(client gone, cancelled) without failing the others: each waiter waits with its own
deadline. The call itself keeps the deadline of the caller that started it: every caller
has the same GATEWAY_UPSTREAM_TIMEOUT, so no joiner's ends sooner, but one that joined
late may hear UPSTREAM_TIMEOUT with some of its own time left. The task is cancelled when
its last waiter leaves, and its entry is removed as soon as it ends, however it ends, so
nothing outlives the call.

A read never joins one that started before a write to the same vendor ended (`wrote`,
told by `Upstream` whenever a request other than a read comes back, however it ends):
a caller that saw its write answered, or a writer that holds the invoice's lock after the
last writer, reads what the vendor holds now, never an answer already on its way before.
The call in flight goes on for the waiters it has; later readers start a new one.

The work should return its outcome rather than raise (an error as a value): the one
result object is handed to every waiter, and each makes its own answer from it (parses
the bytes, raises a fresh exception), so no waiter sees what another changed. Should the
work raise anyway, each waiter gets a fresh `SharedCallFailed` whose cause is that error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")

# Headers that differ per request but do not change what the vendor answers.
_NOT_SHAPING = frozenset({"x-request-id", "traceparent", "tracestate"})


class SharedWatch(Protocol):
    def shared(self, vendor: str) -> None:
        """A caller joined a call already in flight to `vendor` (no vendor request)."""
        ...


class SharedCallFailed(RuntimeError):
    """The shared work raised instead of returning its outcome (a bug): one per waiter."""


def read_key(
    vendor: str, url: str, params: Sequence[tuple[str, str]], headers: Mapping[str, str]
) -> str:
    """A digest of what makes two reads the same request. The credential goes in only
    through the hash: the key may be kept, logged or compared without revealing it."""
    shaping = sorted(
        (name.lower(), value) for name, value in headers.items() if name.lower() not in _NOT_SHAPING
    )
    text = json.dumps([vendor, url, [list(p) for p in params], shaping], ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Call(Generic[T]):
    task: asyncio.Task[T]
    epoch: int  # the vendor's writes ended before it started
    waiters: int = 0


class SharedCalls:
    """The calls in flight, by `read_key`. `watch` counts the callers that joined one."""

    def __init__(self, watch: SharedWatch | None = None) -> None:
        self._watch = watch
        # Values are `_Call`s of whatever outcome type their work returns.
        self._calls: dict[str, _Call[object]] = {}
        # Writes ended, by vendor key (as many entries as vendors).
        self._epochs: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def wrote(self, vendor: str) -> None:
        """A write to `vendor` ended: no read started before may be joined any more."""
        self._epochs[vendor] = self._epochs.get(vendor, 0) + 1

    async def run(
        self,
        vendor: str,
        key: str,
        work: Callable[[], Awaitable[T]],
        deadline: float,
    ) -> T:
        """The outcome of the call under `key`: the one in flight, else `work()` started
        now. `work()` is called at once, in this caller's context, and what it raises
        (before returning its awaitable) is raised to this caller alone. Waits until
        `deadline` (the event loop's clock) at most: then TimeoutError, and the call goes
        on for the others."""
        epoch = self._epochs.get(vendor, 0)
        call = self._calls.get(key)
        if call is None or call.epoch != epoch:
            call = self._start(key, epoch, work)
        elif self._watch is not None:
            self._watch.shared(vendor)
        call.waiters += 1
        try:
            async with asyncio.timeout_at(deadline):
                outcome = await asyncio.shield(call.task)
        except (asyncio.CancelledError, TimeoutError):
            raise
        except Exception as exc:
            raise SharedCallFailed("a shared vendor call failed") from exc
        finally:
            call.waiters -= 1
            if call.waiters == 0 and not call.task.done():
                # Nobody waits any more: the vendor's answer would be read for no one.
                call.task.cancel()
                self._forget(key, call)
        return outcome  # type: ignore[return-value]  # the task of this key's `work`

    def _start(self, key: str, epoch: int, work: Callable[[], Awaitable[T]]) -> _Call[object]:
        # Called here, in the starter's context: what `work()` raises before it returns
        # its awaitable is the starter's alone (its call budget), and nothing is kept.
        pending = work()

        async def running() -> T:
            return await pending

        task: asyncio.Task[object] = asyncio.create_task(running())
        call: _Call[object] = _Call(task, epoch)
        self._calls[key] = call

        def ended(done: asyncio.Task[object]) -> None:
            self._forget(key, call)
            if not done.cancelled():
                done.exception()  # retrieved: its waiters were told, or none was left

        task.add_done_callback(ended)
        return call

    def _forget(self, key: str, call: _Call[object]) -> None:
        if self._calls.get(key) is call:  # a newer call under the same key stays
            del self._calls[key]
