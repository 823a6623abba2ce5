"""Batches: a store-day reaches downstream once its three files have loaded, or at its deadline with a warning."""

import datetime as dt
import shutil
import time

import dagster as dg
import duckdb
import yaml

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import load_config
from qs_platform.examples.generators import generate_sales
from qs_platform.ingest.ledger import Ledger
from qs_platform.lake import LocalLake
from qs_platform.orchestration.batches import batch_states
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR


def sales_config(tmp_path, deadline_seconds):
    """The shipped sales source and tables alone, with this deadline."""
    folder = tmp_path / f"config-{deadline_seconds}"
    (folder / "sources").mkdir(parents=True)
    shutil.copy(CONFIG_DIR / "sources" / "sales.yaml", folder / "sources")
    if (CONFIG_DIR / "tables" / "sales.yaml").exists():
        (folder / "tables").mkdir()
        shutil.copy(CONFIG_DIR / "tables" / "sales.yaml", folder / "tables")
    path = folder / "sources" / "sales.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["sources"][0]["batch"]["deadline_seconds"] = deadline_seconds
    path.write_text(yaml.safe_dump(spec))
    return load_config(folder)


def stores_in_raw(settings):
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        return con.execute(
            "select store, date, count(distinct name) from raw.sales group by all order by all"
        ).fetchall()


def batch_run(report):
    return next(m for m in report.materialized if m.asset == "batches/sales")


def test_incomplete_store_days_wait_then_are_released_at_the_deadline(tmp_path, settings, lake, instance):
    """The deadline is judged when the batches are read (now > first arrival + deadline). Rather than sleep through
    a long one, the test shortens it in the YAML, as a user may: the raw view is registered again (its code version
    is the source's declaration) and releases the store-day whose first file arrived longer ago, as time would."""
    generate_sales(lake.root / "landing", stores=["A", "B"], days=[dt.date(2024, 3, 1)], rows_per_file=20)
    (lake.root / "landing/sales/A/2024-03-01/part-3.csv").rename(tmp_path / "late-part-3.csv")
    an_hour = sales_config(tmp_path, deadline_seconds=3600)
    report = Syncer(build_definitions(settings, an_hour), instance).sync()
    assert report.ok
    assert stores_in_raw(settings) == [("B", "2024-03-01", 3)], "store A waits for its third file"
    assert batch_run(report).metadata["waiting"] == 1 and batch_run(report).metadata["complete"] == 1
    [waiting] = [b for b in batch_states(lake, an_hour.source("sales")) if b["state"] == "waiting"]

    deadline = 2
    config = sales_config(tmp_path, deadline_seconds=deadline)
    defs = build_definitions(settings, config)
    overdue_at = waiting["first_arrival"] + dt.timedelta(seconds=deadline + 0.5)
    time.sleep(max(0.0, (overdue_at - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()))
    report = Syncer(defs, instance).sync()
    released = batch_run(report)
    assert released.metadata["released_incomplete"] == 1
    assert stores_in_raw(settings) == [("A", "2024-03-01", 2), ("B", "2024-03-01", 3)], "past the deadline A proceeds"
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:  # the sales dashboard lists it
        incomplete = con.execute(
            "select franchise_store, files_arrived, files_missing from processed.sales_store_days where not complete"
        ).fetchall()
    assert incomplete == [("A", 2, 1)]
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey(["batches", "sales"]), "batches_complete")]
    )[dg.AssetCheckKey(dg.AssetKey(["batches", "sales"]), "batches_complete")]
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed is False and "A/2024-03-01: missing ['part-3.csv']" in evaluation.description

    shutil.move(tmp_path / "late-part-3.csv", lake.root / "landing/sales/A/2024-03-01/part-3.csv")
    report = Syncer(defs, instance).sync()
    assert batch_run(report).metadata["complete"] == 2
    assert stores_in_raw(settings) == [("A", "2024-03-01", 3), ("B", "2024-03-01", 3)]


def test_complete_batches_flow_without_waiting(tmp_path, settings, lake, instance):
    generate_sales(
        lake.root / "landing", stores=["A"], days=[dt.date(2024, 3, 1), dt.date(2024, 3, 2)], rows_per_file=10
    )
    report = Syncer(build_definitions(settings, sales_config(tmp_path, deadline_seconds=3600)), instance).sync()
    assert report.ok and batch_run(report).metadata["complete"] == 2
    assert stores_in_raw(settings) == [("A", "2024-03-01", 3), ("A", "2024-03-02", 3)]


def test_a_copy_sorting_before_the_original_does_not_hold_the_batch_back(tmp_path, settings, lake, instance):
    generate_sales(lake.root / "landing", stores=["A"], days=[dt.date(2024, 3, 1)], rows_per_file=10)
    original = lake.root / "landing/sales/A/2024-03-01/part-2.csv"
    shutil.copy(original, lake.root / "landing/sales/A/2024-03-01/part-2 (1).csv")  # " " sorts before "."
    config = sales_config(tmp_path, deadline_seconds=3600)
    report = Syncer(build_definitions(settings, config), instance).sync()
    assert report.ok and batch_run(report).metadata["complete"] == 1
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        files = con.execute("select distinct name from raw.sales order by 1").fetchall()
        rows = con.execute("select count(*) from raw.sales").fetchone()[0]
    assert files == [("part-1.csv",), ("part-2 (1).csv",), ("part-3.csv",)], "the copy's rows count, once"
    ledger = Ledger.load(LocalLake(settings.lake_url), config.source("sales")).records
    loaded = {key.removeprefix("landing/sales/"): record.loaded_rows for key, record in ledger.items()}
    assert loaded["A/2024-03-01/part-2 (1).csv"] == loaded["A/2024-03-01/part-2.csv"]
    assert (
        rows
        == loaded["A/2024-03-01/part-1.csv"] + loaded["A/2024-03-01/part-2.csv"] + loaded["A/2024-03-01/part-3.csv"]
    )
