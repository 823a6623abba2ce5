"""`qs-platform sync`: do everything pending once, without a daemon.

Each round evaluates every landing sensor (its own cursor kept in the Dagster instance, beside the daemon's),
executes the requested file runs, then evaluates the automation conditions and executes what they request.
Rounds repeat until nothing is requested. Runs carry the same run keys as the daemon's, so a file processed
here is not processed again by `dagster dev`, and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import dagster as dg
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor
from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG
from dagster._serdes import deserialize_value, serialize_value

from qs_platform.config.models import Table
from qs_platform.ingest.sensor import LANDING_KEY_TAG
from qs_platform.transform.assets import full_rebuild_config

AUTOMATION_CURSOR_KEY = "qs_platform/sync/automation_cursor"
MAX_ROUNDS = 50
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}  # sync prints its own summary


def _sensor_cursor_key(sensor_name: str) -> str:
    return f"qs_platform/sync/sensor_cursor/{sensor_name}"


@dataclass
class Materialized:
    asset: str
    partition: str | None
    metadata: dict


@dataclass
class SyncReport:
    materialized: list[Materialized] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)  # one readable line per failed run
    quarantined: list[str] = field(default_factory=list)  # "<landing key>: <reason>"
    failed_checks: list[str] = field(default_factory=list)  # "<asset> <check> (blocking|warning): <description>"
    skipped_duplicates: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed_runs


def _get_kv(instance: dg.DagsterInstance, key: str) -> str | None:
    return instance.run_storage.get_cursor_values({key}).get(key)


def _set_kv(instance: dg.DagsterInstance, key: str, value: str) -> None:
    instance.run_storage.set_cursor_values({key: value})


def _run_key_exists(instance: dg.DagsterInstance, sensor_name: str, run_key: str) -> bool:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}))
    return any(run.tags.get(SENSOR_NAME_TAG) == sensor_name for run in runs)


class Syncer:
    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, echo: Callable[[str], None] = lambda _: None):
        self.defs = defs
        self.instance = instance
        self.echo = echo
        self.job = defs.resolve_implicit_global_asset_job_def()
        self.report = SyncReport()

    # -- landing sensors ---------------------------------------------------------------------------------------

    def _landing_sensors(self) -> list[dg.SensorDefinition]:
        """Landing and batch-deadline sensors: every sensor but the automation one, which run_automation replaces."""
        return [s for s in self.defs.sensors if not isinstance(s, dg.AutomationConditionSensorDefinition)]

    def run_landing_sensors(self) -> int:
        launched = 0
        for sensor in self._landing_sensors():
            cursor_key = _sensor_cursor_key(sensor.name)
            context = dg.build_sensor_context(
                instance=self.instance,
                cursor=_get_kv(self.instance, cursor_key),
                definitions=self.defs,
                sensor_name=sensor.name,
                resources=self.defs.resources,
            )
            data = sensor(context)  # the SensorResult as returned, before Dagster's partition validation
            if not isinstance(data, dg.SensorResult):
                continue  # a SkipReason
            for request in data.dynamic_partitions_requests or []:
                self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            for event in data.asset_events or []:
                self.instance.report_runless_asset_event(event)
            for request in data.run_requests or []:
                if _run_key_exists(self.instance, sensor.name, request.run_key):
                    self.report.skipped_duplicates += 1
                    continue
                tags = {**request.tags, RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: sensor.name}
                keys = list(request.asset_selection or sensor.asset_selection.resolve(self.defs.resolve_asset_graph()))
                self._execute(keys, request.partition_key, tags)
                launched += 1
            if data.cursor is not None:
                _set_kv(self.instance, cursor_key, data.cursor)
        return launched

    # -- automation --------------------------------------------------------------------------------------------

    def run_automation(self) -> int:
        stored = _get_kv(self.instance, AUTOMATION_CURSOR_KEY)
        cursor = deserialize_value(stored, AssetDaemonCursor) if stored else None
        result = dg.evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=cursor)
        _set_kv(self.instance, AUTOMATION_CURSOR_KEY, serialize_value(result.cursor))
        by_partition: dict[str | None, list[dg.AssetKey]] = {}
        for key in self._automated_keys:
            if result.get_num_requested(key):
                for partition in result.get_requested_partitions(key):
                    by_partition.setdefault(partition, []).append(key)
        for partition, keys in by_partition.items():
            self._execute(keys, partition, {"qs_platform/launched_by": "sync"})
        return len(by_partition)

    @cached_property
    def _automated_keys(self) -> list[dg.AssetKey]:
        graph = self.defs.resolve_asset_graph()
        return sorted((k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None), key=str)

    # -- execution ---------------------------------------------------------------------------------------------

    def rebuild(self, tables: list[Table]) -> None:
        """Recompute the tables whole, in one run (dependency order); `sync` then brings what is downstream along."""
        keys = [dg.AssetKey(t.table_name.split(".")) for t in tables]
        self._execute(keys, None, {"qs_platform/launched_by": "rebuild"}, full_rebuild_config(keys))

    def _execute(self, keys: list[dg.AssetKey], partition: str | None, tags: dict, run_config: dict | None = None) -> None:
        label = ", ".join(k.to_user_string() for k in keys) + (f" [{partition}]" if partition else "")
        result = self.job.execute_in_process(
            run_config={**QUIET_LOGS, **(run_config or {})}, instance=self.instance, asset_selection=keys, partition_key=partition,
            tags=tags, raise_on_error=False,
        )
        for event in result.all_events:
            if event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
                evaluation = event.event_specific_data
                severity = "blocking" if evaluation.blocking else "warning"
                line = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} ({severity}): {evaluation.description or 'failed'}"
                self.report.failed_checks.append(line)
                self.echo(f"  check failed: {line}")
            if event.event_type_value == "ASSET_MATERIALIZATION":
                materialization = event.event_specific_data.materialization
                metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
                done = Materialized(materialization.asset_key.to_user_string(), materialization.partition, metadata)
                self.report.materialized.append(done)
                self.echo(f"  materialized {done.asset}" + (f" [{done.partition}]" if done.partition else "") + _summary(metadata))
                if metadata.get("status") == "quarantined" or metadata.get("refused_members"):
                    self.report.quarantined.append(f"{metadata.get('landing_key')}: {metadata.get('quarantine_reason')}")
        if not result.success:
            failures = [
                f"{e.step_key}: {_root_cause(e.event_specific_data.error)}" for e in result.all_events if e.event_type_value == "STEP_FAILURE"
            ]
            line = f"run {result.run_id} ({label}) failed: " + ("; ".join(failures) or "see the Dagster UI")
            if tags.get(LANDING_KEY_TAG):
                line += f" [file {tags[LANDING_KEY_TAG]}]"
            self.report.failed_runs.append(line)
            self.echo("  " + line)

    def sync(self) -> SyncReport:
        for _ in range(MAX_ROUNDS):
            launched = self.run_landing_sensors() + self.run_automation()
            if not launched:
                return self.report
        self.report.failed_runs.append(f"still requesting work after {MAX_ROUNDS} rounds; stopped")
        return self.report


def _root_cause(error) -> str:
    """The innermost error message: Dagster wraps the exception users need to read in its own."""
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name or "failed"


def _summary(metadata: dict) -> str:
    if metadata.get("status") == "quarantined":
        return f": QUARANTINED ({metadata.get('quarantine_reason')})"
    if metadata.get("status") == "expanded":
        return f": archive expanded into {len(metadata.get('archive_members', []))} files" + (
            f", {len(metadata['refused_members'])} members refused" if metadata.get("refused_members") else ""
        )
    if "input_rows" in metadata:
        return f": {metadata['loaded_rows']} rows loaded, {metadata['rejected_rows']} quarantined"
    if "action" in metadata:
        return f": {metadata['action']}"
    if "partition_mode" in metadata:
        return f": {metadata['dagster/row_count']} rows, {metadata['partitions_rewritten']} of {metadata['partitions']} partitions rewritten ({metadata['partition_reason']})"
    if "dagster/row_count" in metadata:
        return f": {metadata['dagster/row_count']} rows"
    return ""
