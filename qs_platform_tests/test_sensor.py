"""Landing sensor: new and changed files run once each; duplicates and deletions do not disturb it."""

import json
import os

import dagster as dg
import pytest

from qs_platform.ingest.assets import file_partitions
from qs_platform.ingest.sensor import LANDING_KEY_TAG, build_landing_sensor, evaluate_landing
from qs_platform.resources import LakeResource, SqsResource
from qs_platform_tests.conftest import land


@pytest.fixture
def source(config):
    return config.source("service_requests")


def keys(runs):
    return [r.tags[LANDING_KEY_TAG] for r in runs]


def test_new_files_each_get_a_partition_and_a_content_run_key(lake, source):
    land(lake, "landing/service_requests/a.csv", "a")
    land(lake, "landing/service_requests/sub dir/b,[1].csv", "b")
    land(lake, "landing/service_requests/notes.txt", "ignored: not *.csv")
    runs, partitions, events, cursor = evaluate_landing(lake, source, None)
    assert sorted(keys(runs)) == ["landing/service_requests/a.csv", "landing/service_requests/sub dir/b,[1].csv"]
    assert sorted(partitions) == ["a.csv", "sub~20dir/b~2C~5B1~5D.csv"]
    assert all(r.run_key.endswith("|" + lake.content_hash(r.tags[LANDING_KEY_TAG])) for r in runs)
    assert {e.metadata["key"].value for e in events} == set(keys(runs))
    assert evaluate_landing(lake, source, cursor)[0] == [], "an unchanged landing zone requests nothing"


def test_changed_content_runs_again_identical_rewrite_keeps_its_run_key(lake, source):
    land(lake, "landing/service_requests/a.csv", "v1")
    [first], _, _, cursor = evaluate_landing(lake, source, None)
    land(lake, "landing/service_requests/a.csv", "v1")  # same bytes delivered again
    [again], _, _, cursor = evaluate_landing(lake, source, cursor)
    assert again.run_key == first.run_key, "Dagster drops a repeated run key: no second run for identical content"
    land(lake, "landing/service_requests/a.csv", "v2")
    [changed], _, _, _ = evaluate_landing(lake, source, cursor)
    assert changed.run_key != first.run_key and changed.partition_key == first.partition_key


def test_deleted_files_are_forgotten_without_error(lake, source):
    land(lake, "landing/service_requests/a.csv", "a")
    land(lake, "landing/service_requests/b.csv", "b")
    _, _, _, cursor = evaluate_landing(lake, source, None)
    os.remove(lake.uri("landing/service_requests/a.csv"))
    runs, _, _, cursor = evaluate_landing(lake, source, cursor)
    assert runs == [] and list(json.loads(cursor)["seen"]) == ["landing/service_requests/b.csv"]


def test_work_per_tick_is_bounded_and_the_rest_follows(lake, source):
    for i in range(7):
        land(lake, f"landing/service_requests/{i}.csv", str(i))
    first, _, _, cursor = evaluate_landing(lake, source, None, max_files=3)
    second, _, _, cursor = evaluate_landing(lake, source, cursor, max_files=3)
    third, _, _, cursor = evaluate_landing(lake, source, cursor, max_files=3)
    assert [len(first), len(second), len(third)] == [3, 3, 1]
    assert len(set(keys(first + second + third))) == 7


def test_sensor_definition_adds_partitions_and_is_running_by_default(lake, source, instance):
    land(lake, "landing/service_requests/a.csv", "a")
    partitions = file_partitions(source)
    sensor = build_landing_sensor(source, dg.AssetKey(["raw", "service_requests"]), partitions)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    resources = {"landing": LakeResource(url=str(lake.root)), "sqs": SqsResource(region="us-east-1")}
    context = dg.build_sensor_context(instance=instance, resources=resources)
    result = sensor(context)
    assert [r.partition_key for r in result.run_requests] == ["a.csv"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["a.csv"]
    instance.add_dynamic_partitions(partitions.name, ["a.csv"])
    land(lake, "landing/service_requests/a.csv", "changed")
    again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor, resources=resources))
    assert len(again.run_requests) == 1 and again.dynamic_partitions_requests == [], "a known partition is not added twice"


def test_start_after_listing_keeps_a_lookback_window_and_moves_its_watermark(lake, source):
    windowed = source.model_copy(update={"listing": source.listing.model_copy(update={"mode": "start_after", "lookback_seconds": 60})})
    land(lake, "landing/service_requests/2024/01/01/a.csv", "a")
    runs, _, _, cursor = evaluate_landing(lake, windowed, None, now=1000)
    assert keys(runs) == ["landing/service_requests/2024/01/01/a.csv"]
    land(lake, "landing/service_requests/2024/01/01/a.csv", "rewritten within the window")
    land(lake, "landing/service_requests/2024/01/02/b.csv", "b")
    runs, _, _, cursor = evaluate_landing(lake, windowed, cursor, now=1030)
    assert sorted(keys(runs)) == ["landing/service_requests/2024/01/01/a.csv", "landing/service_requests/2024/01/02/b.csv"]
    # past the window, a.csv falls behind the watermark: it is no longer listed at all
    runs, _, _, cursor = evaluate_landing(lake, windowed, cursor, now=1100)
    state = json.loads(cursor)
    assert runs == [] and state["after"] == "landing/service_requests/2024/01/02/b.csv" and state["recent"] == {}
    os.remove(lake.uri("landing/service_requests/2024/01/02/b.csv"))  # the watermark key may vanish
    land(lake, "landing/service_requests/2024/01/03/c.csv", "c")
    runs, _, _, cursor = evaluate_landing(lake, windowed, cursor, now=1200)
    assert keys(runs) == ["landing/service_requests/2024/01/03/c.csv"]
