"""The one adapter on Dagster's instance beyond its public API: a small key-value store, run tags, slots and pids.

Everything else in the project talks to Dagster through its public API. What is used here (pinned to the Dagster
version by `qs_platform_tests/runtime/test_state.py`):
- `instance.run_storage.get_cursor_values` / `set_cursor_values`: the key-value table Dagster's daemons keep their
  cursors in (shared by every process of the instance, durable: SQLite locally, Postgres in production);
- the tag names Dagster gives run keys and sensor names;
- `instance.event_log_storage.free_concurrency_slots_for_run`: slots a dead run still holds;
- the `pid` of the engine event "Started process for run" that Dagster's run worker reports;
- `CheckRunHealthResult` / `WorkerStatus`, what a run launcher's health check returns;
- (de)serialising the cursor of `evaluate_automation_conditions` between two `qs-platform sync`s;
- the stored on/off state of schedules (`all_instigator_state`, as switched in the UI) and the cron iterator
  Dagster's scheduler uses, for `qs-platform sync --schedules`.
"""

from __future__ import annotations

import json

import dagster as dg
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus  # for the launcher's health check
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType
from dagster._serdes import deserialize_value, serialize_value
from dagster._utils.schedules import cron_string_iterator

__all__ = ["CheckRunHealthResult", "WorkerStatus"]

DAGSTER_VERSION = "1.13"  # what this adapter is written and tested against (pyproject pins dagster==1.13.*)

RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
PARENT_RUN_ID_TAG = "dagster/parent_run_id"
WORKER_TAG = "qs_platform/worker"  # <host>:<pid>:<start>: the process executing the run (set for in-process runs)
DIED_TAG = "qs_platform/died"  # "true" on a run marked failed because its process was gone
MACHINE_FAULT_TAG = "qs_platform/machine_fault"  # "true" on a run failed by the machine (disk full), not by its input

NOT_FINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
STARTED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def get_value(instance: dg.DagsterInstance, key: str) -> str | None:
    return instance.run_storage.get_cursor_values({key}).get(key)


def set_value(instance: dg.DagsterInstance, key: str, value: str) -> None:
    instance.run_storage.set_cursor_values({key: value})


def get_json(instance: dg.DagsterInstance, key: str, default=None):
    value = get_value(instance, key)
    return json.loads(value) if value else default


def set_json(instance: dg.DagsterInstance, key: str, value) -> None:
    set_value(instance, key, json.dumps(value, sort_keys=True))


def free_slots(instance: dg.DagsterInstance, run_id: str) -> None:
    """Concurrency slots (pools) a run still holds; a run that died never gave them back."""
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        storage.free_concurrency_slots_for_run(run_id)


def worker_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[int, float] | None:
    """(pid, when it was reported) of the process Dagster started for a run, from its engine events."""
    for record in instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records:
        entry = record.event_log_entry
        event = entry.dagster_event
        data = getattr(event, "engine_event_data", None) if event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None and "Started process" in (entry.message or event.message or ""):
            return int(getattr(pid, "value", pid)), entry.timestamp
    return None


def load_automation_cursor(instance: dg.DagsterInstance, key: str):
    stored = get_value(instance, key)
    return deserialize_value(stored, AssetDaemonCursor) if stored else None


def save_automation_cursor(instance: dg.DagsterInstance, key: str, cursor) -> None:
    set_value(instance, key, serialize_value(cursor))


def mark_dead(instance: dg.DagsterInstance, run: dg.DagsterRun, message: str) -> None:
    """A run whose process is gone: tagged as died, failed with the reason, its pool slots freed."""
    instance.add_run_tags(run.run_id, {DIED_TAG: "true"})
    if not run.is_finished:
        instance.report_run_failed(run, message)
    free_slots(instance, run.run_id)


def schedule_switches(instance: dg.DagsterInstance) -> dict[str, bool]:
    """Schedules switched on (True) or off (False) in the UI; a schedule not listed follows its default status."""
    switched = {}
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE):
        if state.status in (InstigatorStatus.RUNNING, InstigatorStatus.STOPPED):
            switched[state.origin.instigator_name] = state.status == InstigatorStatus.RUNNING
    return switched


def next_cron_tick(cron: str, timezone: str, after: float) -> float:
    """The first tick of `cron` (in `timezone`) strictly after the epoch time `after`, as Dagster's scheduler counts."""
    for tick in cron_string_iterator(after, cron, timezone):
        if tick.timestamp() > after:
            return tick.timestamp()
    raise ValueError(f"cron {cron!r} has no tick after {after}")


def validate_instance_yaml(folder) -> dict:
    """The `dagster.yaml` in `folder`, validated by Dagster as an instance would load it (DagsterInvalidConfigError
    naming the key otherwise), with each configurable class's own section validated against that class's schema."""
    from dagster._config import validate_config
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes.config_class import class_from_code_pointer

    config, _ = dagster_instance_config(str(folder))
    for section in ("run_launcher", "compute_logs"):
        entry = config.get(section)
        if entry and "module" in entry:
            cls = class_from_code_pointer(entry["module"], entry["class"])
            checked = validate_config(cls.config_type(), entry.get("config") or {})
            if not checked.success:
                raise DagsterInvalidConfigError(
                    f"{section}: {entry['class']} config", checked.errors, entry.get("config")
                )
    return config
