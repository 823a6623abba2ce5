"""When downstream assets materialize on their own.

`AutomationCondition.eager()` has two traps here (see DESIGN.md): below a per-file partitioned asset it never
fires while any file partition is missing (one bad file would block every dashboard), and it fires after a
failed blocking check. This condition is eager without either trap.
"""

from __future__ import annotations

import dagster as dg

AC = dg.AutomationCondition


def on_upstream_change(file_partitioned: list[dg.AssetKey]) -> dg.AutomationCondition:
    ignore_missing_files = dg.AssetSelection.assets(*file_partitioned) if file_partitioned else None
    any_deps_missing = AC.any_deps_missing()
    if ignore_missing_files is not None:
        any_deps_missing = any_deps_missing.ignore(ignore_missing_files)
    return (
        # `missing` (not eager's `newly_missing`): an asset added to the config, or missing when automation
        # first starts, is built too; a failed one waits for new input instead of retrying every tick.
        # `code_version_changed`: editing a table's SQL or a dashboard spec in assets_config/ rebuilds it.
        ((AC.missing() & ~AC.execution_failed()) | AC.any_deps_updated() | AC.code_version_changed()).since_last_handled()
        & ~any_deps_missing
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
        & AC.all_deps_blocking_checks_passed()
    ).with_label("on upstream change (missing file partitions ignored, blocking checks respected)")


def automation_sensor(minimum_interval_seconds: int = 10) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "qs_platform_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Materializes processed tables, catalog entries, datasets and dashboards when their inputs change.",
    )
