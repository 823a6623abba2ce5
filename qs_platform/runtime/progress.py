"""Which file a raw run is loading, kept in the Dagster instance, so that a run killed mid-file is traced to it.

Before each file the run records `{run, key, fingerprint}` under `qs_platform/loading/<source>`, and clears it at
the end (also when it fails normally). A record left by a run that is no longer alive means that run died while
loading that file: the next run of the source counts a death for it (`qs_platform/deaths/<source>`), and at
`max_run_deaths` the runner quarantines the file instead of loading it again. One small write per file, to the
instance's own storage (SQLite locally, Postgres in production), not to the lake.
"""

from __future__ import annotations

import dagster as dg

from qs_platform.lake import LakeObject
from qs_platform.runtime.liveness import worker_alive
from qs_platform.runtime.state import get_json, set_json

FINISHED_OK = dg.DagsterRunStatus.SUCCESS


def loading_key(source_name: str) -> str:
    return f"qs_platform/loading/{source_name}"


def deaths_key(source_name: str) -> str:
    return f"qs_platform/deaths/{source_name}"


def run_is_dead(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    if run is None or run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
        return True
    if run.is_finished:
        return False
    return worker_alive(instance, run) is False


class RunProgress:
    def __init__(self, instance: dg.DagsterInstance, source_name: str, run_id: str, log=None):
        self.instance, self.source_name, self.run_id, self.log = instance, source_name, run_id, log
        self._deaths: dict = get_json(instance, deaths_key(source_name), {})
        self._count_previous_death()

    def _count_previous_death(self) -> None:
        marker = get_json(self.instance, loading_key(self.source_name))
        if not marker or marker.get("run_id") == self.run_id or not run_is_dead(self.instance, marker["run_id"]):
            return
        entry = self._deaths.get(marker["key"])
        if entry is None or entry["fingerprint"] != marker["fingerprint"]:
            entry = {"fingerprint": marker["fingerprint"], "count": 0, "runs": []}
        entry["count"] += 1
        entry["runs"] = [*entry["runs"], marker["run_id"]][-5:]
        self._deaths[marker["key"]] = entry
        set_json(self.instance, deaths_key(self.source_name), self._deaths)
        set_json(self.instance, loading_key(self.source_name), {})
        if self.log:
            self.log.warning(
                f"run {marker['run_id']} died while loading {marker['key']} ({entry['count']} times so far)"
            )

    def deaths(self, obj: LakeObject) -> int:
        entry = self._deaths.get(obj.key)
        return entry["count"] if entry and entry["fingerprint"] == obj.etag else 0

    def loading(self, obj: LakeObject) -> None:
        set_json(
            self.instance,
            loading_key(self.source_name),
            {"run_id": self.run_id, "key": obj.key, "fingerprint": obj.etag},
        )

    def done(self, finished: list[str] = ()) -> None:
        marker = get_json(self.instance, loading_key(self.source_name))
        if marker and marker.get("run_id") == self.run_id:
            set_json(self.instance, loading_key(self.source_name), {})
        resolved = [key for key in finished if key in self._deaths]
        if resolved:
            for key in resolved:
                del self._deaths[key]
            set_json(self.instance, deaths_key(self.source_name), self._deaths)
