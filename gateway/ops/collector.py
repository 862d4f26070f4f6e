"""The cycle collector's thresholds for a serving process.

Every request leaves objects in reference cycles (asyncio futures and tasks, exceptions
with their tracebacks, GraphQL paths and infos), which only the cycle collector frees. At
CPython's default thresholds (700, 10, 10) a young collection runs every 700 net
allocations, many times within one request; with 64 requests in flight a request's objects
outlive two of them, are promoted to the oldest generation while still in use, and die
there, so full collections keep walking every object the process holds (about 120,000
after start) to find them. Measured on the scalar mutation at 64 connections (issue 16):
the collector took 2.3 to 2.5 s of 11.5 s of CPU (20%), full collections 180 ms each.

With (20_000, 20, 20) most of a request's cycles are already garbage when a young
collection finds them, so they are freed young; full collections all but stop (none in
a 10 s run) and the collector takes 0.8 to 1.1 s of the same CPU. The price is at most
about 20,000 more container objects alive between collections: a few MB.

`gc.freeze()` after start was measured too and gave less (1.5 to 1.8 s at the default
thresholds, no gain at these).
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 20, 20)


def tune_collector() -> None:
    """For the process that serves requests (one, or each worker): set once at start."""
    gc.set_threshold(*THRESHOLDS)
