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
