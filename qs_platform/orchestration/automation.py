"""When downstream assets materialize on their own.

`AutomationCondition.eager()` fires after a failed blocking check, and waits for upstream runs in progress, which
never ends when files keep arriving. This condition is eager without either trap.
"""

from __future__ import annotations

import dagster as dg

from qs_platform.runtime.state import DIED_TAG, MACHINE_FAULT_TAG

AC = dg.AutomationCondition


class UpstreamNewerThanLatestRun(dg.AutomationCondition):
    """True when an upstream asset materialized after this asset's latest run was planned.

    The `since_last_handled` trigger alone loses an update: when an upstream file finishes loading after this asset's
    run has started, both "upstream updated" and "this asset updated" reach the next tick together, and Dagster lets
    the reset win (timing is not carried through `|`). Comparing event storage ids instead (ids only grow) catches it:
    the asset runs once more. A failed run counts as handled too (its planned event is newer), so failures wait for
    new input rather than retrying every tick.
    """

    @property
    def name(self) -> str:
        return "upstream_newer_than_latest_run"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        parents = sorted(context.asset_graph.get(context.key).parent_keys, key=str)
        if not parents or context.partitions_def is not None:
            return dg.AutomationResult(true_subset=context.get_empty_subset(), context=context)
        instance = context.asset_graph_view.instance
        latest_run = instance.get_latest_planned_materialization_info(context.key)
        newer = latest_run is not None and any(
            _newer_than(record.asset_entry.last_materialization_record, latest_run)
            for record in instance.get_asset_records(parents)
        )
        return dg.AutomationResult(
            true_subset=context.candidate_subset if newer else context.get_empty_subset(), context=context
        )


class AfterDeadRun(dg.AutomationCondition):
    """True when the asset's latest run died (its process was killed: out of memory, a redeploy, a killed sync) or
    failed by a fault of the machine (the disk full), fewer than `limit` times in a row. A failure of the asset itself
    is not retried: it waits for new input."""

    limit: int = 3

    @property
    def name(self) -> str:
        return f"latest_run_died_fewer_than_{self.limit}_times"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        if context.partitions_def is not None or consecutive_deaths(
            context.asset_graph_view.instance, context.key, self.limit
        ) in (0, self.limit):
            return dg.AutomationResult(true_subset=context.get_empty_subset(), context=context)
        return dg.AutomationResult(true_subset=context.candidate_subset, context=context)


def consecutive_deaths(instance: dg.DagsterInstance, key: dg.AssetKey, limit: int) -> int:
    """How many of the asset's latest runs died or failed by the machine, newest first, up to `limit`."""
    latest = instance.get_latest_planned_materialization_info(key)
    run = instance.get_run_by_id(latest.run_id) if latest else None
    if not _died(run):
        return 0  # the common case, in two lookups
    deaths = 0
    for record in instance.fetch_planned_materializations(key, limit=limit).records:
        if not _died(instance.get_run_by_id(record.run_id)):
            break
        deaths += 1
    return deaths


def _died(run: dg.DagsterRun | None) -> bool:
    return run is not None and "true" in (run.tags.get(DIED_TAG), run.tags.get(MACHINE_FAULT_TAG))


def _newer_than(materialization, latest_run) -> bool:
    """An upstream materialization after the run was planned, by another run (one of the same run fed it already)."""
    return (
        materialization is not None
        and materialization.storage_id > latest_run.storage_id
        and materialization.event_log_entry.run_id != latest_run.run_id
    )


def on_upstream_change() -> dg.AutomationCondition:
    """An asset waits while an input was never materialized (a source without any file yet): nothing to build from."""
    return (
        # `missing` (not eager's `newly_missing`): an asset added to the config, or missing when automation
        # first starts, is built too; a failed one waits for new input instead of retrying every tick.
        # `code_version_changed`: editing a table's SQL or a dashboard spec in assets_config/ rebuilds it.
        (
            (
                (AC.missing() & ~AC.execution_failed()) | AC.any_deps_updated() | AC.code_version_changed()
            ).since_last_handled()
            | UpstreamNewerThanLatestRun()
            | AfterDeadRun()  # a run whose process was killed is not a handled update: run it again (3 times at most)
        )
        & ~AC.any_deps_missing()
        # No `~any_deps_in_progress()`: with files arriving continuously some file run is always in flight, and
        # waiting for none would starve every table below. Inputs are published atomically, so reading them while
        # another file loads is safe; that run's materialization requests one more run afterwards.
        & ~AC.in_progress()
        & AC.all_deps_blocking_checks_passed()
    ).with_label("on upstream change (blocking checks respected, no wait for runs in flight upstream)")


def automation_sensor(minimum_interval_seconds: int = 5) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "qs_platform_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=minimum_interval_seconds,
        use_user_code_server=True,  # UpstreamNewerThanLatestRun is Python of ours: it runs where the code is
        description="Materializes processed tables, catalog entries, datasets and dashboards when their inputs change.",
    )
