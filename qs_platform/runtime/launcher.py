"""Dagster's default run launcher, plus the health check its run monitoring needs to notice dead runs.

`DefaultRunLauncher` cannot tell whether a run's process is alive, so run monitoring never fails a run whose
process was killed (by the OOM killer, a laptop lid, a redeploy, or a `qs-platform sync` killed mid-run): the run
stays STARTED and everything below it waits. This launcher answers from the run's process id on this machine
(`liveness.py`); run monitoring then marks the run failed and run retries start it again. On ECS, dagster-aws's
`EcsRunLauncher` does the same from the task status (see deploy/aws/).
"""

from __future__ import annotations

from dagster import DefaultRunLauncher

from qs_platform.runtime.liveness import worker_alive
from qs_platform.runtime.state import DIED_TAG, CheckRunHealthResult, WorkerStatus


class LocalRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        alive = worker_alive(self._instance, run)
        if alive is False:
            self._instance.add_run_tags(run.run_id, {DIED_TAG: "true"})  # automation runs its assets again (bounded)
            return CheckRunHealthResult(WorkerStatus.FAILED, "the run's process is gone (killed or crashed)")
        return CheckRunHealthResult(WorkerStatus.RUNNING if alive else WorkerStatus.UNKNOWN, None)
