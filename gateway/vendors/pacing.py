"""Upstream rate shaping: at most `<PREFIX>_MAX_RATE` requests a second to a vendor per
credential, so the gateway waits its turn instead of provoking the vendor's 429.

A scheduled-slot limiter: each (vendor, credential) has the time its next request may
start; a request takes that slot (or now, when it is past) and moves it on by 1/rate.
Slots are handed out in the order requests ask, so waiting is first come, first served,
and requests are spaced evenly, with no burst: a vendor that counts per second, per
minute or with a bucket of its own sees no more than the rate in any window. A request
whose slot would come at or after its deadline takes none and is refused at once
(`Upstream` answers RATE_LIMITED, without a vendor call).

The credential is known only by a digest (`credential_key`). Callers may bring their own
tokens (and Kitchen workspaces), so the number of schedules kept is bounded: past
`capacity`, the least recently used is forgotten (its next request then starts at once;
a schedule unused for longer than 1/rate holds nothing anyway).

With `serve --workers N` each worker paces at rate/N (`share`): the workers do not talk
to each other, and together they stay within the rate.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping


def credential_key(base_url: str, credential: str) -> str:
    """A digest naming one credential at one vendor host: never the credential itself."""
    return hashlib.sha256(f"{base_url}\0{credential}".encode()).hexdigest()


class Pacer:
    """The app's schedules: `rates` is requests a second by vendor key (0 or absent: not
    paced), divided by `share` (the worker processes)."""

    def __init__(self, rates: Mapping[str, float], *, share: int = 1, capacity: int = 1024) -> None:
        if share < 1 or capacity < 1:
            raise ValueError("share and capacity are whole numbers >= 1")
        self._intervals = {vendor: share / rate for vendor, rate in rates.items() if rate > 0}
        self._capacity = capacity
        self._next: OrderedDict[tuple[str, str], float] = OrderedDict()
        # Seconds a vendor's answers take, a moving average by vendor (paced ones only).
        self._took: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._next)

    def rate(self, vendor: str) -> float | None:
        """Requests a second this process sends `vendor` per credential; None: unpaced."""
        interval = self._intervals.get(vendor)
        return None if interval is None else 1 / interval

    def answered(self, vendor: str, seconds: float) -> None:
        """A request to `vendor` was answered in `seconds`."""
        if vendor in self._intervals:
            before = self._took.get(vendor)
            self._took[vendor] = seconds if before is None else 0.8 * before + 0.2 * seconds

    def reserve(self, vendor: str, key: str, earliest: float, deadline: float) -> float | None:
        """When a request to `vendor` with the credential `key` may start: the first free
        slot not before `earliest`, taken; or None (nothing taken) when the request, started
        then, would not be answered before `deadline`. Times are the event loop's clock."""
        interval = self._intervals.get(vendor)
        if interval is None:
            return earliest
        schedule = (vendor, key)
        start = max(earliest, self._next.get(schedule, earliest))
        if start + self._took.get(vendor, 0.0) >= deadline:
            return None
        self._next[schedule] = start + interval
        self._next.move_to_end(schedule)
        if len(self._next) > self._capacity:
            self._next.popitem(last=False)
        return start

    def next_free(self, vendor: str, key: str) -> float | None:
        """The time the next slot is free (None: no schedule kept)."""
        return self._next.get((vendor, key))
