"""One /metrics for `serve --workers N`: prometheus_client's multiprocess mode.

Each worker process keeps its own values; a scrape reaches one worker, which alone would
report its own share (a counter read 2, then 1, then 2 across scrapes). In multiprocess
mode every process writes its values to files in one directory, and a scrape, whichever
worker answers it, adds up the files of all of them (`MultiProcessCollector`): counters
and histograms summed, the breaker gauge summed over the live workers (`livesum`).

The wiring, in order:

1. The parent (`serving.run` with workers > 1) makes a private directory
   (`shared_metrics`) and names it in its environment as `ENV`, before any worker starts:
   prometheus_client picks its kind of values once, when it is first imported, from that
   variable, and each worker is a fresh interpreter that inherits it.
2. Each worker's app is told the directory (`SharedMetrics.of_worker`, read by
   `gateway.cli.worker_app` with the rest of the settings); its observer checks that
   prometheus_client did pick multiprocess values for it (`check`) and serves
   `registry()`.
3. When a worker exits (uvicorn replaces a dead or hung one) the parent marks it dead
   (`process_gone`), so its gauges stop counting; its counters stay in the sums, so no
   total ever goes down. At exit the directory is removed.

One worker (`serve` alone, and every app a test makes in its process) keeps a registry of
its own per app: nothing to add up, and no files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# The variable prometheus_client reads (at import, and when it makes each value).
ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class SharedMetrics:
    """The directory where every worker process keeps its metric values."""

    directory: Path

    @classmethod
    def of_worker(cls, environ: Mapping[str, str]) -> SharedMetrics | None:
        """The directory the parent named for its workers, or None (one process)."""
        value = environ.get(ENV, "").strip()
        return cls(Path(value)) if value else None

    def check(self) -> None:
        """That this process's values go to the directory; else RuntimeError (the variable
        was set after prometheus_client was imported, or names another directory)."""
        if not getattr(values.ValueClass, "_multiprocess", False):
            raise RuntimeError(
                f"{ENV} was set after prometheus_client was imported: this process's metrics "
                "would not be shared with the other workers"
            )
        if os.environ.get(ENV) != str(self.directory):
            raise RuntimeError(f"{ENV} does not name {self.directory}")

    def registry(self) -> CollectorRegistry:
        """What a scrape reads: the values of every worker, added up."""
        registry = CollectorRegistry(auto_describe=True)
        # The library's collector is not annotated.
        MultiProcessCollector(registry, path=str(self.directory))  # type: ignore[no-untyped-call]
        return registry

    def process_gone(self, pid: int) -> None:
        """A worker exited: its live gauges (the breakers it held) no longer count."""
        mark_process_dead(pid, str(self.directory))  # type: ignore[no-untyped-call]


@contextmanager
def shared_metrics(environ: MutableMapping[str, str]) -> Iterator[SharedMetrics]:
    """For the parent of the workers: a private directory, named in `environ` (which the
    workers it starts inherit) until the end, then removed with its files."""
    directory = Path(tempfile.mkdtemp(prefix="invoice-gateway-metrics-"))
    previous = environ.get(ENV)
    environ[ENV] = str(directory)
    try:
        yield SharedMetrics(directory)
    finally:
        if previous is None:
            environ.pop(ENV, None)
        else:
            environ[ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)
