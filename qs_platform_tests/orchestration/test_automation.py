"""The automation condition: a failed raw run does not block downstream; a failed blocking check does."""

import dagster as dg
import pytest

from qs_platform.orchestration.automation import on_upstream_change


class Files(dg.Config):
    fail: bool = False


@dg.asset
def raw(config: Files):
    if config.fail:
        raise Exception("the lake is unreachable")


def build(blocking_check_passes: bool = True):
    condition = on_upstream_change()

    @dg.asset(
        deps=[raw],
        automation_condition=condition,
        check_specs=[dg.AssetCheckSpec("sane", asset="table", blocking=True)],
    )
    def table():
        return dg.MaterializeResult(
            check_results=[dg.AssetCheckResult(check_name="sane", passed=blocking_check_passes)]
        )

    @dg.asset(deps=[table], automation_condition=condition)
    def dashboard():
        pass

    return [raw, table, dashboard]


def materialize_raw(assets, instance, fail: bool = False):
    dg.materialize(
        assets,
        selection=[raw],
        instance=instance,
        raise_on_error=False,
        run_config={"ops": {"raw": {"config": {"fail": fail}}}},
    )


def requested(result, key):
    return result.get_num_requested(dg.AssetKey(key))


def test_a_failed_raw_run_does_not_block_downstream(instance):
    assets = build()
    materialize_raw(assets, instance)
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    dg.materialize(assets, selection=["table", "dashboard"], instance=instance)
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert requested(second, "table") == 0
    materialize_raw(assets, instance, fail=True)
    materialize_raw(assets, instance)
    third = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=second.cursor)
    assert requested(third, "table") == 1, "the failed run in between changes nothing"
    assert requested(third, "dashboard") == 1, "the chain below is requested in the same tick"


def test_missing_assets_are_built_once_and_then_wait_for_new_input(instance):
    assets = build()
    assert requested(dg.evaluate_automation_conditions(defs=assets, instance=instance), "table") == 0, "no input yet"
    materialize_raw(assets, instance)
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert requested(second, "table") == 1
    third = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=second.cursor)
    assert requested(third, "table") == 0, "a requested asset is not requested again every tick"


@pytest.mark.parametrize("passes, expected", [(True, 1), (False, 0)])
def test_downstream_waits_for_blocking_checks(instance, passes, expected):
    assets = build(blocking_check_passes=passes)
    materialize_raw(assets, instance)
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    dg.materialize(assets, selection=["table"], instance=instance, raise_on_error=False)
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert requested(second, "dashboard") == expected


def start_raw_run(assets, instance):
    """A raw run that has started and not finished (its planned materialization is logged)."""
    job = dg.Definitions(assets=assets).resolve_implicit_global_asset_job_def()
    return instance.create_run_for_job(
        job_def=job, asset_selection=frozenset({raw.key}), status=dg.DagsterRunStatus.STARTED
    )


def test_continuous_arrivals_do_not_starve_downstream(instance):
    """Every tick, one group of files has just loaded and the next is still loading: the table still refreshes."""
    assets = build()
    cursor = dg.evaluate_automation_conditions(
        defs=assets, instance=instance
    ).cursor  # the first tick only starts the cursor
    loading = None
    for tick in range(3):
        if loading is not None:
            instance.delete_run(loading.run_id)  # the run started last tick finishes: here, by a run of its own
        materialize_raw(assets, instance)
        loading = start_raw_run(assets, instance)
        result = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=cursor)
        assert requested(result, "table") == 1, f"tick {tick}: the table waits for a raw run that is always in progress"
        dg.materialize(assets, selection=["table", "dashboard"], instance=instance)
        cursor = result.cursor
    quiet = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=cursor)
    assert requested(quiet, "dashboard") == 0, "the table it was built with in the same run is not newer than it"
    assert requested(quiet, "table") == 0
    in_flight = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert [run.run_id for run in in_flight] == [loading.run_id], "the test really had an upstream run in progress"
