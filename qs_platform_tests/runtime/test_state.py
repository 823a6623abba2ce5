"""The adapter on Dagster's non-public API, pinned to the Dagster version: a Dagster upgrade that moves or changes
any of it fails here, in one place, rather than in a sync or a recovery."""

import tomllib

import dagster as dg
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor

from qs_platform.runtime import state
from qs_platform_tests.conftest import PROJECT


@dg.asset
def one() -> int:
    return 1


@dg.asset(automation_condition=dg.AutomationCondition.missing())
def automated() -> int:
    return 2


def test_the_installed_dagster_is_the_version_the_adapter_is_written_for():
    pins = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"dagster=={state.DAGSTER_VERSION}.*" in pins
    assert dg.__version__.startswith(state.DAGSTER_VERSION + "."), f"dagster {dg.__version__}: review runtime/state.py"


def test_key_values_and_the_automation_cursor_round_trip_through_the_instance(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert state.get_value(instance, "qs/missing") is None and state.get_json(instance, "qs/missing", []) == []
        state.set_json(instance, "qs/k", {"b": 1, "a": [2]})
        assert state.get_json(instance, "qs/k") == {"a": [2], "b": 1}
        cursor = dg.evaluate_automation_conditions(defs=[automated], instance=instance).cursor
        state.save_automation_cursor(instance, "qs/cursor", cursor)
        loaded = state.load_automation_cursor(instance, "qs/cursor")
        assert isinstance(loaded, AssetDaemonCursor) and loaded.evaluation_id == cursor.evaluation_id > 0


def test_a_dead_run_is_tagged_failed_and_its_slots_freed(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        job = dg.Definitions(assets=[one]).resolve_implicit_global_asset_job_def()
        run = instance.create_run_for_job(job, run_id=None)
        state.mark_dead(instance, run, "process 123 is gone")
        stored = instance.get_run_by_id(run.run_id)
        assert stored.status == dg.DagsterRunStatus.FAILURE and stored.tags[state.DIED_TAG] == "true"
        assert state.worker_pid(instance, stored) is None, "no run worker ever reported a pid"


def test_schedule_switches_and_cron_ticks_as_dagsters_scheduler_counts(tmp_path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert state.schedule_switches(instance) == {}
    midnight_utc = 1_767_225_600  # 2026-01-01T00:00:00Z
    assert state.next_cron_tick("0 * * * *", "UTC", midnight_utc) == midnight_utc + 3600, "strictly after"
    assert state.next_cron_tick("0 0 * * *", "Europe/Berlin", midnight_utc) == midnight_utc + 23 * 3600
