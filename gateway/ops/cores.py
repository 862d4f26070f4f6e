"""How many worker processes `serve --workers auto` starts: one per core this process may
use, as Hive Gateway forks one per core in production.

"May use" is the smaller of the CPUs the scheduler lets it run on (`sched_getaffinity`,
which honours `taskset` and cpusets) and the cgroup v2 CPU quota (`cpu.max`, what a
container's CPU limit becomes), rounded up: a container limited to 1.5 CPUs on a 64-core
host gets 2 workers, not 64 that would share 1.5 CPUs and 64 times the memory."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


@dataclass(frozen=True)
class Cores:
    count: int
    why: str  # for the start-up line: where the count came from


def cores_from(schedulable: int, cpu_max: str | None) -> Cores:
    """`schedulable`: CPUs in the affinity mask; `cpu_max`: the text of cgroup v2's
    `cpu.max` ("max 100000", "150000 100000"), or None where there is none."""
    schedulable = max(1, schedulable)
    quota = _quota(cpu_max)
    if quota is not None and math.ceil(quota) < schedulable:
        return Cores(max(1, math.ceil(quota)), f"cgroup CPU limit {quota:g}")
    return Cores(schedulable, f"{schedulable} CPU{'s' if schedulable != 1 else ''} available")


def _quota(cpu_max: str | None) -> float | None:
    if cpu_max is None:
        return None
    parts = cpu_max.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    if quota <= 0 or period <= 0:
        return None
    return quota / period


def available_cores(cpu_max: Path = CPU_MAX) -> Cores:
    """The cores of this process, read from the running system."""
    try:
        schedulable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        schedulable = os.cpu_count() or 1
    try:
        text: str | None = cpu_max.read_text()
    except OSError:
        text = None
    return cores_from(schedulable, text)
