"""Rebuild schedules of processed tables: for tables whose result depends on the date (month-end snapshots,
"active today"), recomputed whole on a clock; what is downstream follows through automation.

A table's `schedule:` runs by default when its SQL reads the clock (current_date, now(), ...), and is otherwise
declared stopped until someone switches it on in the UI (or sets `default_status: running`).
"""

from __future__ import annotations

import re

import dagster as dg

from qs_platform.config.models import Table
from qs_platform.orchestration.processed import full_rebuild_config
from qs_platform.orchestration.pulls import default_running

CLOCK_FUNCTIONS = re.compile(
    r"\b(current_date|current_timestamp|current_time|localtimestamp|now\s*\(|today\s*\(|get_current_timestamp\s*\(|get_current_time\s*\()",
    re.IGNORECASE,
)


def reads_the_clock(sql: str) -> bool:
    return bool(CLOCK_FUNCTIONS.search(sql))


def rebuild_job_name(table: Table) -> str:
    return f"rebuild_{table.name}"


def build_rebuild_schedule(table: Table) -> dg.ScheduleDefinition:
    schedule = table.schedule
    key = dg.AssetKey(table.table_name.split("."))
    job = dg.define_asset_job(
        rebuild_job_name(table),
        selection=[key],
        config=full_rebuild_config([key]),
        description=f"Recompute {table.table_name} whole (every partition).",
    )
    needs = reads_the_clock(table.sql)
    return dg.ScheduleDefinition(
        name=f"{rebuild_job_name(table)}_schedule",
        job=job,
        cron_schedule=schedule.cron,
        execution_timezone=schedule.timezone,
        default_status=default_running(schedule, needs_clock=needs),
        description=f"Rebuilds {table.table_name} ({schedule.cron}, {schedule.timezone}); "
        + ("its SQL reads the date" if needs else "its SQL does not read the date: switched on by hand"),
    )
