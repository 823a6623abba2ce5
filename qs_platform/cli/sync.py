"""`qs-platform sync`: do everything pending once, without a daemon, and say whether everything is done.

1. Recover: runs still marked in progress whose process is gone (a sync killed mid-run, a crashed daemon run)
   are marked failed (and died) with the reason and their pool slots freed; their files are pending again by the
   ledger, and the automation condition runs their other assets again (at most 3 deaths in a row).
2. Rounds: evaluate every landing and deadline sensor (each with its own cursor, kept in the Dagster instance
   beside the daemon's), execute the runs they request, then evaluate the automation conditions and execute what
   they request; repeat until nothing is requested.
3. Status: "up to date" only when every landed file is processed or quarantined and every automated asset is
   current for its inputs; otherwise what is pending or stuck is named and the exit status is 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import dagster as dg

from qs_platform.config.models import Table
from qs_platform.orchestration.automation import consecutive_deaths
from qs_platform.orchestration.metadata import RawRun, summary_of
from qs_platform.orchestration.processed import full_rebuild_config
from qs_platform.orchestration.raw import declared_sources
from qs_platform.processes import identity
from qs_platform.runtime.instance import SOURCE_TAG
from qs_platform.runtime.liveness import worker_alive
from qs_platform.runtime.state import (
    NOT_FINISHED,
    RUN_KEY_TAG,
    SENSOR_NAME_TAG,
    WORKER_TAG,
    get_value,
    load_automation_cursor,
    mark_dead,
    next_cron_tick,
    save_automation_cursor,
    schedule_switches,
    set_value,
)
from qs_platform.runtime.status import AssetState, SourceBalance, automated_asset_states, source_balance
from qs_platform.sql.engine import clean_dead_temp_dirs

AUTOMATION_CURSOR_KEY = "qs_platform/sync/automation_cursor"
MAX_ROUNDS = 50
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}  # sync prints its own summary
LAUNCHED_BY_TAG = "qs_platform/launched_by"


def _sensor_cursor_key(sensor_name: str) -> str:
    return f"qs_platform/sync/sensor_cursor/{sensor_name}"


def _schedule_key(schedule_name: str) -> str:
    return f"qs_platform/sync/schedule_ran_at/{schedule_name}"


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
    recovered: list[str] = field(default_factory=list)  # dead runs found at start, marked failed
    balances: list[SourceBalance] = field(default_factory=list)
    assets: list[AssetState] = field(default_factory=list)

    @property
    def pending(self) -> list[str]:
        """What is not done: files pending per source, assets missing, stale or failed."""
        lines = []
        for balance in self.balances:
            if balance.pending:
                oldest = balance.pending[0]
                lines.append(
                    f"{balance.source}: {len(balance.pending)} files pending (oldest {oldest[0]}, {oldest[1]:.0f} s)"
                )
            if balance.unreconciled:
                lines.append(f"{balance.source}: rows do not add up in {balance.unreconciled[:5]}")
        lines += [f"{a.key}: {a.state} ({a.detail})" for a in self.assets if a.is_work_left]
        return lines

    @property
    def ok(self) -> bool:
        return not self.failed_runs and not self.pending

    @property
    def up_to_date(self) -> bool:
        return self.ok and not self.materialized


class Syncer:
    def __init__(
        self,
        defs: dg.Definitions,
        instance: dg.DagsterInstance,
        echo: Callable[[str], None] = lambda _: None,
        schedules: bool = False,
    ):
        self.defs = defs
        self.schedules = schedules  # also run the schedules that are due (pulls, rebuilds), as the daemon would
        self.sources = declared_sources(defs)
        self.instance = instance
        self.echo = echo
        self.job = defs.resolve_implicit_global_asset_job_def()
        self.report = SyncReport()
        self.worker = identity()
        # sources whose raw run failed in this sync (a fault of the machine: S3 unreachable, disk full): their other
        # pending files wait for the next sync rather than being asked for again every round
        self.failed_sources: set[str] = set()
        # assets whose automated run failed by the machine (disk full) in this sync: the automation condition asks
        # for them again (AfterDeadRun, bounded), which the next sync does, not every round of this one
        self.failed_assets: set[dg.AssetKey] = set()

    # -- recovery ----------------------------------------------------------------------------------------------

    def recover(self) -> None:
        """Mark runs whose process is gone as failed (and died): their files are pending again by the ledger, and the
        automation condition runs their other assets again."""
        clean_dead_temp_dirs()
        for run in self.instance.get_runs(filters=dg.RunsFilter(statuses=NOT_FINISHED)):
            if worker_alive(self.instance, run) is not False:
                continue  # alive, queued for the daemon, or on another machine
            message = f"the process running it ({run.tags.get(WORKER_TAG) or 'run worker'}) is gone: killed or crashed; marked failed by qs-platform sync"
            mark_dead(self.instance, run, message)
            line = f"run {run.run_id} ({', '.join(sorted(k.to_user_string() for k in run.asset_selection or []))}): {message}"
            self.report.recovered.append(line)
            self.echo(f"  recovered: {line}")

    # -- landing sensors ---------------------------------------------------------------------------------------

    def _landing_sensors(self) -> list[dg.SensorDefinition]:
        """Landing and batch-deadline sensors: every sensor but the automation one, which run_automation replaces."""
        return [s for s in self.defs.sensors if not isinstance(s, dg.AutomationConditionSensorDefinition)]

    def run_landing_sensors(self) -> int:
        launched = 0
        for sensor in self._landing_sensors():
            cursor_key = _sensor_cursor_key(sensor.name)
            with dg.build_sensor_context(
                instance=self.instance,
                cursor=get_value(self.instance, cursor_key),
                definitions=self.defs,
                sensor_name=sensor.name,
                resources=self.defs.resources,
            ) as context:
                data = sensor(context)
            if not isinstance(data, dg.SensorResult):
                continue  # a SkipReason
            for event in data.asset_events or []:
                self.instance.report_runless_asset_event(event)
            if data.cursor is not None:
                set_value(
                    self.instance, cursor_key, data.cursor
                )  # before running: a run that dies is pending by the ledger
            for request in data.run_requests or []:
                source = request.tags.get(SOURCE_TAG)
                if source in self.failed_sources:
                    continue  # its files stay pending for the next sync: one failed run per source and sync, not fifty
                tags = {**request.tags, RUN_KEY_TAG: f"sync:{request.run_key}", SENSOR_NAME_TAG: sensor.name}
                keys = list(request.asset_selection or sensor.asset_selection.resolve(self.defs.resolve_asset_graph()))
                if not self._execute(keys, tags, request.run_config or None) and source:
                    self.failed_sources.add(source)
                launched += 1
        return launched

    # -- schedules -----------------------------------------------------------------------------------------------

    def run_due_schedules(self, *, pulls: bool, now: float | None = None) -> int:
        """Run each switched-on schedule with a tick since it last ran here or its assets last materialized (or
        that never ran at all): what the daemon's scheduler would have launched meanwhile, once. `pulls`: the pull
        schedules (before the sensors), else the rebuilds (after them, so their inputs exist)."""
        now = time.time() if now is None else now
        switches = schedule_switches(self.instance)
        launched = 0
        for schedule in self.defs.schedules:
            if not switches.get(schedule.name, schedule.default_status == dg.DefaultScheduleStatus.RUNNING):
                continue
            keys = self._schedule_assets(schedule)
            if all(k.path[0] == "landing" for k in keys) != pulls:
                continue
            records = [r for r in self.instance.get_asset_records(keys) if r.asset_entry.last_materialization_record]
            last = max(
                [float(get_value(self.instance, _schedule_key(schedule.name)) or 0)]
                + [r.asset_entry.last_materialization_record.timestamp for r in records]
            )
            if last and next_cron_tick(schedule.cron_schedule, schedule.execution_timezone or "UTC", last) > now:
                continue
            set_value(self.instance, _schedule_key(schedule.name), str(now))
            processed = all(k.path[0] == "processed" for k in keys)
            self._execute(
                keys, {LAUNCHED_BY_TAG: f"sync:{schedule.name}"}, full_rebuild_config(keys) if processed else None
            )
            launched += 1
        return launched

    def run_pulls(self, keys: list[dg.AssetKey]) -> None:
        """Pull now, whatever the schedules say."""
        for key in keys:
            self._execute([key], {LAUNCHED_BY_TAG: "pull"})

    def _schedule_assets(self, schedule: dg.ScheduleDefinition) -> list[dg.AssetKey]:
        job = self.defs.resolve_job_def(schedule.job_name)
        return sorted(job.asset_layer.selected_asset_keys, key=str)

    # -- automation --------------------------------------------------------------------------------------------

    def run_automation(self) -> int:
        cursor = load_automation_cursor(self.instance, AUTOMATION_CURSOR_KEY)
        result = dg.evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=cursor)
        save_automation_cursor(self.instance, AUTOMATION_CURSOR_KEY, result.cursor)
        keys = [key for key in self._automated_keys if result.get_num_requested(key) and key not in self.failed_assets]
        if keys and not self._execute(keys, {LAUNCHED_BY_TAG: "sync"}):
            self.failed_assets.update(k for k in keys if consecutive_deaths(self.instance, k, limit=1))
        return 1 if keys else 0

    @cached_property
    def _automated_keys(self) -> list[dg.AssetKey]:
        graph = self.defs.resolve_asset_graph()
        return sorted((k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None), key=str)

    # -- execution ---------------------------------------------------------------------------------------------

    def rebuild(self, tables: list[Table]) -> None:
        """Recompute the tables whole, in one run (dependency order); `sync` then brings what is downstream along."""
        keys = [dg.AssetKey(t.table_name.split(".")) for t in tables]
        self._execute(keys, {LAUNCHED_BY_TAG: "rebuild"}, full_rebuild_config(keys))

    def _execute(self, keys: list[dg.AssetKey], tags: dict, run_config: dict | None = None) -> bool:
        """Run the assets in this process; whether the run succeeded (failures are in the report)."""
        label = ", ".join(k.to_user_string() for k in keys)
        result = self.job.execute_in_process(
            run_config={**QUIET_LOGS, **(run_config or {})},
            instance=self.instance,
            asset_selection=keys,
            tags={**tags, WORKER_TAG: self.worker},
            raise_on_error=False,
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
                summary = summary_of(materialization.asset_key, materialization.metadata)
                self.echo(f"  materialized {done.asset}" + (f": {summary.summary()}" if summary else ""))
        self.report.quarantined += self._quarantined(result)
        if not result.success:
            failures = [
                f"{e.step_key}: {_root_cause(e.event_specific_data.error)}"
                for e in result.all_events
                if e.event_type_value == "STEP_FAILURE"
            ]
            line = f"run {result.run_id} ({label}) failed: " + ("; ".join(failures) or "see the Dagster UI")
            if tags.get(SOURCE_TAG):
                line += f" [files of {tags[SOURCE_TAG]}]"
            self.report.failed_runs.append(line)
            self.echo("  " + line)
        return result.success

    @staticmethod
    def _quarantined(result) -> list[str]:
        """ "<key>: <reason>" for every file a raw run quarantined, or archive whose members it refused."""
        lines = []
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                materialization = event.event_specific_data.materialization
                if materialization.asset_key.path[0] == "raw":
                    run = RawRun.from_metadata(materialization.metadata)
                    lines += [f"{key}: {reason}" for key, reason in run.quarantined_files.items()]
        return lines

    # -- the whole sync ----------------------------------------------------------------------------------------

    def sync(self) -> SyncReport:
        self.recover()
        if self.schedules:
            self.run_due_schedules(pulls=True)
        self._rounds()
        if self.schedules and self.run_due_schedules(pulls=False):
            self._rounds()
        self.status()
        return self.report

    def _rounds(self) -> None:
        for _ in range(MAX_ROUNDS):
            launched = self.run_landing_sensors() + self.run_automation()
            if not launched:
                break
        else:
            self.report.failed_runs.append(f"still requesting work after {MAX_ROUNDS} rounds; stopped")

    def status(self) -> None:
        resources = self.defs.resources
        store, lake = resources["landing"].get(), resources["lake"].get()
        self.report.balances = [source_balance(store, lake, source) for source in self.sources]
        self.report.assets = automated_asset_states(self.defs, self.instance)


def _root_cause(error) -> str:
    """The innermost error message: Dagster wraps the exception users need to read in its own. A wrapper that quotes
    its cause (a MachineFault naming the file or table) is the one to read."""
    if error is None:
        return "failed"
    while error.cause is not None and _message_of(error.cause) not in error.message:
        error = error.cause
    return error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name or "failed"


def _message_of(error) -> str:
    """The exception's text without its class name (Dagster stores `module.Class: text`)."""
    return error.message.strip().split(": ", 1)[-1]
