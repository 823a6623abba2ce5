"""The automation condition: a failed file partition does not block downstream; a failed blocking check does."""

import dagster as dg
import pytest

from qs_platform.transform.automation import on_upstream_change

files = dg.DynamicPartitionsDefinition(name="files")


@dg.asset(partitions_def=files)
def raw(context: dg.AssetExecutionContext):
    if context.partition_key == "bad.csv":
        raise Exception("unreadable")


def build(blocking_check_passes: bool = True):
    condition = on_upstream_change([raw.key])

    @dg.asset(deps=[raw], automation_condition=condition,
              check_specs=[dg.AssetCheckSpec("sane", asset="table", blocking=True)])
    def table():
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(check_name="sane", passed=blocking_check_passes)])

    @dg.asset(deps=[table], automation_condition=condition)
    def dashboard():
        pass

    return [raw, table, dashboard]


def materialize_files(assets, instance, keys):
    for key in keys:
        dg.materialize(assets, selection=[raw], partition_key=key, instance=instance, raise_on_error=False)


def requested(result, key):
    return result.get_num_requested(dg.AssetKey(key))


def test_failed_file_partition_does_not_block_downstream(instance):
    assets = build()
    instance.add_dynamic_partitions("files", ["good.csv", "bad.csv"])
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    dg.materialize(assets, selection=["table", "dashboard"], instance=instance)
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert requested(second, "table") == 0
    materialize_files(assets, instance, ["good.csv", "bad.csv"])
    assert instance.get_latest_materialization_event(dg.AssetKey("raw")) is not None
    third = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=second.cursor)
    assert requested(third, "table") == 1, "eager() would wait forever for bad.csv"
    assert requested(third, "dashboard") == 1, "the chain below is requested in the same tick"


def test_missing_assets_are_built_once_and_then_wait_for_new_input(instance):
    assets = build()
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert requested(second, "table") == 1
    third = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=second.cursor)
    assert requested(third, "table") == 0, "a requested asset is not requested again every tick"


@pytest.mark.parametrize("passes, expected", [(True, 1), (False, 0)])
def test_downstream_waits_for_blocking_checks(instance, passes, expected):
    assets = build(blocking_check_passes=passes)
    instance.add_dynamic_partitions("files", ["good.csv"])
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    dg.materialize(assets, selection=["table"], instance=instance, raise_on_error=False)
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert requested(second, "dashboard") == expected


def start_file_run(assets, instance, partition_key):
    """A run of one file partition that has started and not finished (its planned materialization is logged)."""
    job = dg.Definitions(assets=assets).resolve_implicit_global_asset_job_def()
    return instance.create_run_for_job(
        job_def=job, asset_selection=frozenset({raw.key}), tags={"dagster/partition": partition_key},
        status=dg.DagsterRunStatus.STARTED,
    )


def test_continuous_arrivals_do_not_starve_downstream(instance):
    """Every tick, one file has just loaded and the next is still loading: the table still refreshes every tick."""
    assets = build()
    cursor = dg.evaluate_automation_conditions(defs=assets, instance=instance).cursor  # the first tick only starts the cursor
    loading = None
    for tick in range(3):
        instance.add_dynamic_partitions("files", [f"{tick}.csv", f"{tick + 1}.csv"])
        if loading is not None:
            instance.delete_run(loading.run_id)  # the run started last tick finishes: here, by a run of its own
        materialize_files(assets, instance, [f"{tick}.csv"])
        loading = start_file_run(assets, instance, f"{tick + 1}.csv")
        result = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=cursor)
        assert requested(result, "table") == 1, f"tick {tick}: the table waits for a file run that is always in progress"
        dg.materialize(assets, selection=["table", "dashboard"], instance=instance)
        cursor = result.cursor
    quiet = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=cursor)
    assert requested(quiet, "dashboard") == 0, "the table it was built with in the same run is not newer than it"
    assert requested(quiet, "table") == 0
    in_flight = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert [run.run_id for run in in_flight] == [loading.run_id], "the test really had an upstream run in progress"
