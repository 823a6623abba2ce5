"""Landing sensor: pending files (not in the ledger at their fingerprint) become runs of a group of files each."""

import json
import os

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from qs_platform.ingest.ledger import Ledger
from qs_platform.ingest.runner import ingest_group
from qs_platform.orchestration.landing import build_landing_sensor, evaluate_landing
from qs_platform.orchestration.raw import raw_op_name
from qs_platform.orchestration.resources import IngestResource, LakeResource, SqsResource
from qs_platform.runtime.instance import SOURCE_TAG
from qs_platform_tests.conftest import HEADER, land


@pytest.fixture
def source(config):
    return config.source("service_requests")


def files_of(request: dg.RunRequest, source) -> list[str]:
    return request.run_config["ops"][raw_op_name(source)]["config"]["files"]


def requested(tick, source) -> list[str]:
    return [key for request in tick.run_requests for key in files_of(request, source)]


def run(lake, source, tick):
    """Execute what a tick requested, as the raw asset would."""
    for request in tick.run_requests:
        objects = [o for o in (lake.stat(key) for key in files_of(request, source)) if o is not None]
        ingest_group(lake, lake, source, objects, Ledger.load(lake, source))


def row(i: int) -> str:
    return HEADER + f"{i},1/3/2000,1/10/2000,Toronto Water,PASS,3,1,\n"


def test_new_files_are_requested_in_one_run_and_not_again_once_loaded(lake, source):
    land(lake, "landing/service_requests/a.csv", row(1))
    land(lake, "landing/service_requests/sub dir/b,[1].csv", row(2))
    land(lake, "landing/service_requests/notes.txt", "ignored: not *.csv")
    tick = evaluate_landing(lake, lake, source, None)
    assert len(tick.run_requests) == 1, "a group of files is one run"
    assert sorted(requested(tick, source)) == [
        "landing/service_requests/a.csv",
        "landing/service_requests/sub dir/b,[1].csv",
    ]
    assert tick.run_requests[0].tags[SOURCE_TAG] == "service_requests"
    assert tick.landing_event.metadata["files_requested"].value == 2
    run(lake, source, tick)
    again = evaluate_landing(lake, lake, source, tick.cursor)
    assert again.run_requests == [] and again.pending == 0, "the ledger knows both files now"


def test_a_run_that_died_leaves_its_files_pending(lake, source):
    land(lake, "landing/service_requests/a.csv", row(1))
    first = evaluate_landing(lake, lake, source, None)
    # the run was killed before it recorded anything: the file is asked for again, under a new run key
    second = evaluate_landing(lake, lake, source, first.cursor)
    assert requested(second, source) == ["landing/service_requests/a.csv"]
    assert second.run_requests[0].run_key != first.run_requests[0].run_key, "a used run key is not proof of done"


def test_changes_and_reverts_are_loaded_touches_are_only_confirmed(lake, source, monkeypatch):
    monkeypatch.setenv("QS_LISTING_FULL_STAT_SECONDS", "0")  # a touch changes no folder: seen by a full listing
    key = land(lake, "landing/service_requests/a.csv", row(1))
    tick = evaluate_landing(lake, lake, source, None)
    run(lake, source, tick)
    land(lake, key, row(2))  # B
    tick = evaluate_landing(lake, lake, source, tick.cursor)
    assert requested(tick, source) == [key]
    run(lake, source, tick)
    land(lake, key, row(1))  # back to A: a change too, although A was loaded once before
    tick = evaluate_landing(lake, lake, source, tick.cursor)
    assert requested(tick, source) == [key]
    run(lake, source, tick)
    assert Ledger.load(lake, source).get(key).loaded_rows == 1
    loaded_at = Ledger.load(lake, source).get(key).processed_at
    os.utime(lake.uri(key), (1, 1))  # touched: a new fingerprint, the same content
    tick = evaluate_landing(lake, lake, source, tick.cursor)
    assert requested(tick, source) == [key]
    run(lake, source, tick)
    record = Ledger.load(lake, source).get(key)
    assert record.processed_at == loaded_at and record.checked_at > loaded_at, "unchanged content is not loaded again"
    assert evaluate_landing(lake, lake, source, tick.cursor).run_requests == []


def test_deleted_files_are_forgotten_without_error(lake, source):
    land(lake, "landing/service_requests/a.csv", row(1))
    land(lake, "landing/service_requests/b.csv", row(2))
    tick = evaluate_landing(lake, lake, source, None)
    os.remove(lake.uri("landing/service_requests/a.csv"))
    run(lake, source, tick)  # a.csv vanished between listing and loading
    assert list(Ledger.load(lake, source).records) == ["landing/service_requests/b.csv"]
    assert evaluate_landing(lake, lake, source, tick.cursor).run_requests == []


def test_groups_are_bounded_and_runs_in_flight_are_left_alone(lake, source):
    for i in range(7):
        land(lake, f"landing/service_requests/{i}.csv", row(i))
    ingest = IngestResource(max_files_per_run=3, max_runs_in_flight=2)
    tick = evaluate_landing(lake, lake, source, None, ingest=ingest)
    assert [len(files_of(r, source)) for r in tick.run_requests] == [3, 3], "two runs at most in flight"
    in_flight = (set(requested(tick, source)), 2, False)
    assert evaluate_landing(lake, lake, source, tick.cursor, ingest=ingest, in_flight=in_flight).run_requests == []
    one_done = (set(files_of(tick.run_requests[1], source)), 1, False)
    later = evaluate_landing(lake, lake, source, tick.cursor, ingest=ingest, in_flight=one_done)
    assert requested(later, source) == sorted(set(requested(later, source)))
    assert set(requested(later, source)).isdisjoint(one_done[0]) and len(later.run_requests) == 1


def test_cursor_does_not_grow_with_history(lake, source):
    for i in range(300):
        land(lake, f"landing/service_requests/2024/01/{i:03d}.csv", row(i))
    tick = evaluate_landing(lake, lake, source, None, ingest=IngestResource(max_runs_in_flight=10))
    run(lake, source, tick)
    tick = evaluate_landing(lake, lake, source, tick.cursor)
    assert tick.run_requests == [] and len(tick.cursor) < 100, tick.cursor


def test_sensor_definition_is_running_by_default_and_names_the_source(lake, source, instance):
    land(lake, "landing/service_requests/a.csv", row(1))
    sensor = build_landing_sensor(source)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    resources = {
        "landing": LakeResource(url=str(lake.root), s3=S3Resource()),
        "lake": LakeResource(url=str(lake.root), s3=S3Resource()),
        "sqs": SqsResource(region_name="us-east-1"),
        "ingest": IngestResource(),
    }
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    assert [files_of(r, source) for r in result.run_requests] == [["landing/service_requests/a.csv"]]
    assert result.asset_events[0].asset_key == dg.AssetKey(["landing", "service_requests"])


def test_start_after_listing_keeps_a_lookback_window_and_moves_its_watermark(lake, source):
    windowed = source.model_copy(
        update={"listing": source.listing.model_copy(update={"mode": "start_after", "lookback_seconds": 60})}
    )
    land(lake, "landing/service_requests/2024/01/01/a.csv", row(1))
    tick = evaluate_landing(lake, lake, windowed, None, now=1000)
    assert requested(tick, windowed) == ["landing/service_requests/2024/01/01/a.csv"]
    run(lake, windowed, tick)
    land(lake, "landing/service_requests/2024/01/01/a.csv", row(2))  # rewritten within the window
    land(lake, "landing/service_requests/2024/01/02/b.csv", row(3))
    tick = evaluate_landing(lake, lake, windowed, tick.cursor, now=1030)
    assert sorted(requested(tick, windowed)) == [
        "landing/service_requests/2024/01/01/a.csv",
        "landing/service_requests/2024/01/02/b.csv",
    ]
    run(lake, windowed, tick)
    # past the window, a.csv falls behind the watermark: it is no longer listed at all
    tick = evaluate_landing(lake, lake, windowed, tick.cursor, now=1100)
    state = json.loads(tick.cursor)["listing"]
    assert (
        tick.run_requests == []
        and state["after"] == "landing/service_requests/2024/01/02/b.csv"
        and state["recent"] == {}
    )
    os.remove(lake.uri("landing/service_requests/2024/01/02/b.csv"))  # the watermark key may vanish
    land(lake, "landing/service_requests/2024/01/03/c.csv", row(4))
    tick = evaluate_landing(lake, lake, windowed, tick.cursor, now=1200)
    assert requested(tick, windowed) == ["landing/service_requests/2024/01/03/c.csv"]


def test_local_listing_reuses_unchanged_folders_and_sees_rewrites_in_place_at_the_next_full_listing(
    lake, source, monkeypatch
):
    for i in range(3):
        land(lake, f"landing/service_requests/2024/{i}/a.csv", row(i))
    first = {o.key: o.etag for o in lake.list("landing/service_requests/")}
    land(lake, "landing/service_requests/2024/1/b.csv", row(9))  # a new file: its folder changes
    land(lake, "landing/service_requests/2024/0/a.csv", row(8))  # replaced by a rename: a new inode
    again = {o.key: o.etag for o in lake.list("landing/service_requests/")}
    assert set(again) - set(first) == {"landing/service_requests/2024/1/b.csv"}
    assert again["landing/service_requests/2024/0/a.csv"] != first["landing/service_requests/2024/0/a.csv"]
    path = lake.root / "landing/service_requests/2024/2/a.csv"
    path.write_text(row(7))  # rewritten in place: no folder changes
    assert {o.key: o.etag for o in lake.list("landing/service_requests/")}[str(path.relative_to(lake.root))] == first[
        str(path.relative_to(lake.root))
    ]
    monkeypatch.setenv("QS_LISTING_FULL_STAT_SECONDS", "0")
    assert {o.key: o.etag for o in lake.list("landing/service_requests/")}[str(path.relative_to(lake.root))] != first[
        str(path.relative_to(lake.root))
    ]
