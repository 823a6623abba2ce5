"""Turn `assets_config/` into Dagster definitions: every asset, sensor and check comes from a factory."""

from __future__ import annotations

import dagster as dg

from qs_platform.config.loader import load_config
from qs_platform.config.models import ProjectConfig
from qs_platform.config.settings import Settings
from qs_platform.orchestration.automation import automation_sensor, on_upstream_change
from qs_platform.orchestration.batches import build_batches_asset, build_deadline_sensor
from qs_platform.orchestration.catalog import build_catalog_asset
from qs_platform.orchestration.landing import build_landing_sensor
from qs_platform.orchestration.processed import build_processed_asset, rebuild_job
from qs_platform.orchestration.pulls import build_pull_asset, build_pull_schedule
from qs_platform.orchestration.quicksight import build_dashboard_asset, build_data_source_asset, build_dataset_asset
from qs_platform.orchestration.raw import build_raw_asset, landing_spec, raw_asset_key
from qs_platform.orchestration.resources import resources_for
from qs_platform.orchestration.schedules import build_rebuild_schedule


def build_assets_and_sensors(config: ProjectConfig) -> tuple[list, list]:
    """Unbound assets and sensors (tests bind their own resources)."""
    assets: list = []
    sensors: list = [automation_sensor()]
    condition = on_upstream_change()
    for source in config.sources:
        assets += [build_pull_asset(source) if source.pull else landing_spec(source), build_raw_asset(source, config)]
        sensors.append(build_landing_sensor(source))
        if source.batch:
            assets.append(build_batches_asset(source, raw_asset_key(source), condition))
            sensors.append(build_deadline_sensor(source))
    assets += [build_processed_asset(table, config, condition) for table in config.tables]
    assets += [build_catalog_asset(name, config, condition) for name in config.catalog_tables + config.ledger_tables]
    if config.datasets:
        assets.append(build_data_source_asset(condition))
        assets += [build_dataset_asset(dataset, config, condition) for dataset in config.datasets]
    assets += [build_dashboard_asset(dashboard, condition) for dashboard in config.dashboards]
    return assets, sensors


def build_schedules(config: ProjectConfig) -> list[dg.ScheduleDefinition]:
    """What runs on a clock: every pull source, and the tables declaring a rebuild `schedule:`."""
    return [build_pull_schedule(s) for s in config.sources if s.pull] + [
        build_rebuild_schedule(t) for t in config.tables if t.schedule
    ]


def build_definitions(settings: Settings, config: ProjectConfig | None = None) -> dg.Definitions:
    config = config or load_config(settings.config_dir)
    assets, sensors = build_assets_and_sensors(config)
    jobs = [rebuild_job(config.tables)] if config.tables else []
    return dg.Definitions(
        assets=assets,
        sensors=sensors,
        jobs=jobs,
        schedules=build_schedules(config),
        resources=resources_for(settings),
        # One process per run, not one per step: a run of six small steps would otherwise start six Python processes.
        executor=dg.in_process_executor,
    )
