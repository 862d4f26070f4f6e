"""`serve --workers auto`: one worker per core this process may use. Expected values are
written from the kernel's cgroup v2 documentation: `cpu.max` holds "$MAX $PERIOD", where
$MAX is "max" (no limit) or the microseconds of CPU the group may use in each period."""

from __future__ import annotations

import pytest

from gateway.ops.cores import cores_from


@pytest.mark.parametrize(
    ("schedulable", "cpu_max", "count", "why"),
    [
        (2, None, 2, "2 CPUs available"),  # no cgroup v2 file
        (1, None, 1, "1 CPU available"),
        (8, "max 100000\n", 8, "8 CPUs available"),  # a group without a limit
        (64, "150000 100000\n", 2, "cgroup CPU limit 1.5"),  # a 1.5-CPU container
        (64, "50000 100000", 1, "cgroup CPU limit 0.5"),  # half a CPU is still one worker
        (64, "200000 100000", 2, "cgroup CPU limit 2"),
        (2, "400000 100000", 2, "2 CPUs available"),  # a limit above the CPUs changes nothing
        (4, "400000 100000", 4, "4 CPUs available"),
        (4, "garbage", 4, "4 CPUs available"),
        (4, "100000", 4, "4 CPUs available"),
        (4, "0 100000", 4, "4 CPUs available"),
        (4, "-1 100000", 4, "4 CPUs available"),
        (4, "100000 0", 4, "4 CPUs available"),
        (0, None, 1, "1 CPU available"),  # never fewer than one worker
    ],
)
def test_one_worker_per_core_the_process_may_use(
    schedulable: int, cpu_max: str | None, count: int, why: str
) -> None:
    cores = cores_from(schedulable, cpu_max)
    assert (cores.count, cores.why) == (count, why)
