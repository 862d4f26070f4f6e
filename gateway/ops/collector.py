"""The cycle collector's thresholds for a serving process.

Every request leaves objects in reference cycles (asyncio futures and tasks, exceptions
with their tracebacks, GraphQL paths and infos), which only the cycle collector frees. At
CPython's default thresholds (700, 10, 10) a young collection runs every 700 net
allocations, many times within one request; with 64 requests in flight a request's objects
outlive two of them, are promoted to the oldest generation while still in use, and die
there, so full collections keep walking every object the process holds (about 120,000
after start) to find them. Measured on the scalar mutation at 64 connections (issue 16):
the collector took 2.3 to 2.5 s of 11.5 s of CPU (20%), each full collection 180 ms.

With young collections every 10,000 net allocations most of a request's cycles are
already garbage when a young collection finds them, so they are freed young, and full
collections become rare. Measured side by side (one process, wrk at 64 connections, 8 s
each, this project's 2-core machine):

| thresholds | update rps | RSS after | page of 50 rps | RSS after |
| --- | --- | --- | --- | --- |
| 700, 10, 10 (CPython's) | 571 - 659 | 89 - 90 MiB | 79 - 82 | 104 MiB |
| 10,000, 10, 10 (these) | 747 - 866 | 93 MiB | 102 - 115 | 148 - 162 MiB |
| 20,000, 20, 20 | 851 | 103 MiB | 114 | 172 MiB |

The price is memory under heavy pages: more garbage waits between collections and the
allocator keeps the arenas it grew (the RSS stays flat after that, 20,000 requests on).
`gc.freeze()` after start was measured too and gave less (1.5 to 1.8 s of collector time
at the default thresholds, nothing at larger ones).
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 10, 10)


def tune_collector() -> None:
    """For the process that serves requests (one, or each worker): set once at start."""
    gc.set_threshold(*THRESHOLDS)
