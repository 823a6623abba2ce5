"""Faults of a local lake, driven end to end by `qs-platform sync` in process: the disk filling up mid-write, many files
landing at once, the same key uploaded twice in quick succession. After each, the data is checked row by row."""

from __future__ import annotations

import errno
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qs_platform.cli.main import app
from qs_platform.cli.sync import Syncer
from qs_platform.lake import LocalLake
from qs_platform_tests.conftest import config_dir, csv_text, expected_rows, local_world

runner = CliRunner()


@contextmanager
def disk_full_while_writing(monkeypatch, parts_of_keys: list[str]):
    """Every staged write whose key contains one of `parts_of_keys` goes to /dev/full, where each write fails with
    ENOSPC as on a full disk (DuckDB's COPY and Python's writes alike); the rest of the lake works. Space is freed on
    leaving."""
    real = LocalLake.staged_write

    @contextmanager
    def staged_write(self, key):
        if not any(part in key for part in parts_of_keys):
            with real(self, key) as path:
                yield path
            return
        yield Path("/dev/full")
        raise OSError(errno.ENOSPC, "No space left on device")  # a writer that buffered everything fails on close

    with monkeypatch.context() as patch:
        patch.setattr(LocalLake, "staged_write", staged_write)
        yield


@pytest.mark.parametrize(
    "full_at, names_it",
    [
        (["raw/service_requests/b.csv"], "landing/service_requests/b.csv was not loaded into raw/service_requests/"),
        # b is loaded, then the disk fills: c cannot be written, nor the ledger saying b is done
        (
            ["raw/service_requests/c.csv", "ledger/"],
            "landing/service_requests/c.csv was not loaded into raw/service_requests/",
        ),
        (["processed/service_requests"], "processed.service_requests was not written to processed/service_requests/"),
    ],
    ids=["raw", "raw-and-ledger", "processed"],
)
def test_the_disk_filling_up_fails_the_run_clearly_quarantines_nothing_and_the_next_sync_completes(
    tmp_path, instance, monkeypatch, full_at, names_it
):
    world = local_world(tmp_path)
    texts = [csv_text(1, 30), csv_text(100, 40), csv_text(200, 10)]
    world.land("a.csv", texts[0])
    defs = world.definitions()
    assert Syncer(defs, instance).sync().ok
    keys = [world.land(name, text) for name, text in [("b.csv", texts[1]), ("c.csv", texts[2])]]
    before = {o.key for o in world.lake.list("")}

    with disk_full_while_writing(monkeypatch, full_at):
        failed = Syncer(defs, instance).sync()
    assert not failed.ok and failed.quarantined == []
    lines = [line for line in failed.failed_runs if names_it in line]
    assert lines and "No space left on device" in lines[0] and "a fault of the machine" in lines[0], failed.failed_runs
    written = {o.key for o in world.lake.list("")} - before
    assert not any(key.startswith("quarantine/") for key in written), "a full disk is no bad file"
    assert not any(part in key for key in written for part in full_at), "nothing half-written is published"
    assert world.processed("service_requests", "select count(*) from {table}") == [(30,)], (
        "what was published before stays"
    )
    ledger = world.ledger()
    if full_at[0].startswith("raw/"):
        assert ledger.get(keys[0]) is None and ledger.get(keys[1]) is None, "b and the files after it stay pending"
        assert any("2 files pending" in p for p in failed.pending), failed.pending
    else:
        assert all(ledger.get(k).status == "loaded" for k in keys)
        assert any("processed/service_requests: failed" in p for p in failed.pending), failed.pending

    report = Syncer(defs, instance).sync()  # space freed
    assert report.ok, report.failed_runs + report.pending
    world.assert_complete(texts)


MANY_FILES = 300  # 1,000 and the daemon: `make bench`


@pytest.fixture
def command_line(tmp_path, monkeypatch):
    """`qs-platform` on the pipeline world's lake and minimal configuration, with a Dagster home of its own."""
    world = local_world(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", "set by the command")  # recorded, so that the command's own value is undone
    for name in ("DAGSTER_HOME", "QS_CATALOG_PATH", "QS_QUICKSIGHT_STORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QS_CONFIG_DIR", str(config_dir(tmp_path / "config", world.config)))
    monkeypatch.setenv("QS_LAKE_URL", world.lake.url)
    return world


def test_hundreds_of_files_landed_at_once_are_all_loaded_once_by_one_sync(command_line):
    world = command_line
    texts = [csv_text(10 * n, 1 + n % 3) for n in range(MANY_FILES)]
    for n, text in enumerate(texts):
        world.land(f"drop/{n:04d}.csv", text)

    synced = runner.invoke(app, ["sync"])
    assert synced.exit_code == 0, synced.output
    world.assert_complete(texts)
    ledger = world.ledger()
    assert len(ledger.records) == MANY_FILES and {r.status for r in ledger.records.values()} == {"loaded"}
    status = runner.invoke(app, ["status"])
    rows = sum(1 + n % 3 for n in range(MANY_FILES))
    assert status.exit_code == 0, status.output
    assert (
        f"service_requests: {MANY_FILES} landed = {MANY_FILES} loaded + 0 archives + 0 quarantined; rows {rows} = {rows} loaded + 0 rejected"
        in status.output
    )


def upload_again_once(monkeypatch, module, name: str, world, key: str, text: str) -> None:
    """Wrap `module.name` so that its first call is followed by a second upload of `key` with `text` (a new file
    renamed over the old one, as the platform's uploads and most clients do)."""
    real = getattr(module, name)
    done = []

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        if not done:
            done.append(world.land(key.removeprefix("landing/service_requests/"), text))
        return result

    monkeypatch.setattr(module, name, wrapped)


@contextmanager
def uploaded_again_after(monkeypatch, moment: str, world, key: str, text: str):
    import qs_platform.ingest.runner as runner_module

    with monkeypatch.context() as patch:
        if moment == "listing":  # the sensor listed the first version; the run reads the second
            upload_again_once(patch, LocalLake, "list", world, key, text)
        else:  # the run hashed the first version and loads the second
            upload_again_once(patch, runner_module, "file_digest", world, key, text)
        yield


@pytest.mark.parametrize("moment", ["listing", "hashing"])
def test_the_same_key_uploaded_twice_in_quick_succession_loads_only_the_final_content(
    tmp_path, instance, monkeypatch, moment
):
    from qs_platform.lake.hashing import file_digest

    world = local_world(tmp_path)
    first, final = csv_text(1, 5), csv_text(500, 7)
    key = world.land("twice.csv", first)
    path = Path(world.lake.uri(key))
    defs = world.definitions()

    with uploaded_again_after(monkeypatch, moment, world, key, final):
        report = Syncer(defs, instance).sync()
    assert report.ok, report.failed_runs + report.pending
    world.assert_complete([final])  # no row of the first version
    record = world.ledger().get(key)
    assert (
        list(world.ledger().records) == [key] and record.content_hash == file_digest(path) and record.loaded_rows == 7
    )

    land_back = world.land("twice.csv", first)  # and back to the first content: a change too
    assert Syncer(defs, instance).sync().ok
    world.assert_complete([first])
    assert world.ledger().get(land_back).content_hash == file_digest(path)


def test_an_overwrite_in_place_of_the_same_size_and_modification_time_is_still_a_change(
    tmp_path, instance, monkeypatch
):
    """Clients that keep timestamps (rsync -t, cp -p) or a filesystem with coarse ones: the fingerprint is more than
    size and mtime."""
    import os

    monkeypatch.setenv(
        "QS_LISTING_FULL_STAT_SECONDS", "0"
    )  # a rewrite in place changes no folder: a full listing sees it
    world = local_world(tmp_path)
    first, second = csv_text(1, 5), csv_text(1, 5).replace("note", "NOTE").replace("PASS", "FAIL")
    assert len(first) == len(second)
    key = world.land("same.csv", first)
    path = Path(world.lake.uri(key))
    defs = world.definitions()
    assert Syncer(defs, instance).sync().ok
    before = path.stat()
    with open(path, "r+") as handle:  # in place: the same inode
        handle.write(second)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert Syncer(defs, instance).sync().ok
    world.assert_complete([second])


def test_the_disk_filling_up_while_partitions_are_written_publishes_none_of_them(tmp_path, instance, monkeypatch):
    from qs_platform.config.models import Table

    world = local_world(tmp_path)
    by_day = Table.model_validate(
        {
            "name": "requests_by_day",
            "sql": "select id, start_date from raw.service_requests",
            "partition_by": {"column": "start_date", "grain": "day", "input": "raw.service_requests"},
        }
    )
    world.config = world.config.model_copy(update={"tables": [*world.config.tables, by_day]})
    defs = world.definitions()
    texts = [csv_text(1, 10), csv_text(100, 40)]
    world.land("a.csv", texts[0])
    assert Syncer(defs, instance).sync().ok
    rows = "select id, start_date from {table} order by id"
    first = world.processed("requests_by_day", rows)
    world.land("b.csv", texts[1])

    with disk_full_while_writing(monkeypatch, ["start_date=2024-01-09"]):  # written after 01-02 … 01-08
        failed = Syncer(defs, instance).sync()
    assert any(
        "processed.requests_by_day was not written" in line and "No space left on device" in line
        for line in failed.failed_runs
    ), failed.failed_runs
    assert world.processed("requests_by_day", rows) == first, "no partition of the failed run is published"

    assert Syncer(defs, instance).sync().ok  # space freed
    world.assert_complete(texts)
    assert len(world.processed("requests_by_day", rows)) == 50


def land_bad_file(world, kind: str) -> str:
    if kind == "bad header":
        return world.land("b-bad.csv", "id;start\n1;2\n")
    link = Path(world.lake.uri("landing/service_requests")) / "b-bad.csv"
    link.symlink_to("/etc/hostname")  # out of the lake: quarantined unread
    return "landing/service_requests/b-bad.csv"


@pytest.mark.parametrize("kind", ["bad header", "link out of the lake"])
def test_the_disk_filling_up_while_a_bad_file_is_quarantined_fails_clearly_and_the_next_sync_quarantines_it(
    tmp_path, instance, monkeypatch, kind
):
    world = local_world(tmp_path)
    good = csv_text(1, 10)
    world.land("a-good.csv", good)
    bad = land_bad_file(world, kind)
    defs = world.definitions()

    with disk_full_while_writing(monkeypatch, ["quarantine/service_requests/files/b-bad"]):
        failed = Syncer(defs, instance).sync()
    lines = [
        line for line in failed.failed_runs if f"{bad} was not loaded" in line and "No space left on device" in line
    ]
    assert lines and failed.quarantined == [], failed.failed_runs
    assert world.ledger().get(bad) is None and not any(world.lake.list("quarantine/")), (
        "pending, nothing half-quarantined"
    )

    report = Syncer(defs, instance).sync()
    assert report.quarantined and all(line.startswith(f"{bad}: ") for line in report.quarantined), report.quarantined
    assert world.raw_rows() == expected_rows([good]) and world.ledger().get(bad).status == "quarantined"
