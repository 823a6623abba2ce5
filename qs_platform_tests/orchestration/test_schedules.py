"""Schedules: pulls and date-dependent rebuilds on a clock, visible in the definitions with the right default
status, run by `sync --schedules` only when a tick is due; and the pull/schedule settings validated."""

import time

import dagster as dg
import pytest

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import ConfigError, load_config
from qs_platform.config.models import ProjectConfig
from qs_platform.orchestration.schedules import reads_the_clock
from qs_platform.project import build_definitions, build_schedules
from qs_platform.runtime.state import next_cron_tick


def test_shipped_schedules_and_default_status(config):
    schedules = {s.name: s for s in build_schedules(config)}
    assert schedules["pull_subscriptions_schedule"].default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedules["pull_exchange_rates_schedule"].cron_schedule == "*/5 * * * *"
    rebuild = schedules["rebuild_subscriptions_mrr_monthly_schedule"]
    assert rebuild.default_status == dg.DefaultScheduleStatus.STOPPED and rebuild.cron_schedule == "15 0 1 * *"
    clocked = config.table("subscriptions_mrr_monthly").model_copy(
        update={"sql": "select current_date as d from raw.subscriptions"}
    )
    assert reads_the_clock(clocked.sql) and not reads_the_clock(config.table("subscriptions_mrr_monthly").sql)
    assert build_schedules(ProjectConfig(tables=[clocked]))[0].default_status == dg.DefaultScheduleStatus.RUNNING
    assert next_cron_tick("15 0 1 * *", "UTC", 1704067200) == 1704068100  # 2024-01-01 00:00 -> 00:15


def test_sync_runs_a_schedule_once_per_due_tick(config, settings, sqlite_instance, tmp_path):
    instance = sqlite_instance  # Dagster's in-memory instance has no schedule storage
    table = config.table("subscriptions_versions").model_copy(
        update={
            "schedule": config.table("subscriptions_mrr_monthly").schedule.model_copy(
                update={"default_status": "running"}
            )
        }
    )
    narrow = ProjectConfig(sources=[config.source("subscriptions").model_copy(update={"pull": None})], tables=[table])
    syncer = Syncer(build_definitions(settings, narrow), instance, schedules=True)
    from qs_platform_tests.conftest import land

    land(
        syncer.defs.resources["lake"].get(),
        "landing/subscriptions/2024-01-01/pull-1.json",
        '[{"id": "a", "updated_at": 1704067200}]',
    )
    syncer.sync()
    runs = [m.asset for m in syncer.report.materialized]
    assert runs.count("processed/subscriptions_versions") == 1  # by automation; no tick of its schedule since then
    now = time.time()
    assert syncer.run_due_schedules(pulls=False, now=now + 60) == 0  # next tick: the 1st of next month
    assert syncer.run_due_schedules(pulls=False, now=now + 32 * 86400) == 1
    assert syncer.run_due_schedules(pulls=True, now=now + 32 * 86400) == 0  # no pull schedule here


@pytest.mark.parametrize(
    "yaml_pull, message",
    [
        ("{url: 'http://x/api', schedule: {cron: '* * *'}}", "pull.schedule.cron: expected 5 cron fields"),
        (
            "{url: 'http://x/api', params: {api_key: abc}, schedule: {cron: '@hourly'}}",
            "pull.params: parameters ['api_key'] look like credentials",
        ),
        ("{url: 'https://user:pw@x/api', schedule: {cron: '@hourly'}}", "pull.url: the URL must not carry credentials"),
        (
            "{url: 'http://x/api', key: 'pull-{start}.json', schedule: {cron: '@hourly'}}",
            "pull.key: the pull key needs {hash}",
        ),
        (
            "{url: 'http://x/api', key: 'pull-{hash}.csv', schedule: {cron: '@hourly'}}",
            "do not match file_pattern '*.json'",
        ),
        (
            "{url: 'http://x/api', schedule: {cron: '@hourly', timezone: Mars/Base}}",
            "pull.schedule.timezone: unknown time zone",
        ),
        (
            "{url: 'http://x/api', credentials: {kind: basic}, schedule: {cron: '@hourly'}}",
            "pull.credentials: credentials need exactly one of env",
        ),
    ],
)
def test_pull_settings_are_validated_naming_file_and_key(tmp_path, yaml_pull, message):
    (tmp_path / "api.yaml").write_text(
        f"sources:\n  - name: api\n    format: json\n    file_pattern: '*.json'\n    pull: {yaml_pull}\n    columns: [{{name: id}}]\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert f"{tmp_path / 'api.yaml'}: sources.0" in str(error.value) and message in str(error.value)
