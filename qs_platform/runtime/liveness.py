"""Is a run's process still alive? For runs of this machine: its pid, checked against pid reuse.

A run executed in process (`qs-platform sync`) carries its process identity in the `qs_platform/worker` tag; a run
launched by the daemon is found by the pid its run worker reported when it started.
"""

from __future__ import annotations

import dagster as dg

from qs_platform.processes import identity_is_alive, is_alive, started_at
from qs_platform.runtime.state import WORKER_TAG, worker_pid

CLOCK_SLACK_SECONDS = 2.0


def worker_alive(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool | None:
    """True/False when it can be told; None when the run has no known process yet (or one on another host)."""
    worker = run.tags.get(WORKER_TAG)
    if worker:
        return identity_is_alive(worker)
    found = worker_pid(instance, run)
    if found is None:
        return None
    pid, reported_at = found
    if not is_alive(pid):
        return False
    start = started_at(pid)
    return start is None or start <= reported_at + CLOCK_SLACK_SECONDS  # a younger process only reuses the pid
