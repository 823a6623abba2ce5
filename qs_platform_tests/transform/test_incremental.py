"""Partitioned processed tables: only the partitions new input touches are recomputed; the result always equals a
full recomputation and an independent one in Python."""

import datetime as dt
import hashlib
import json

import duckdb
import pytest

from qs_platform.catalog.tables import table_prefix
from qs_platform.config.models import PartitionBy, SqlCheck
from qs_platform.examples.generators import generate_clickstream, generate_sales
from qs_platform.transform.incremental import MANIFEST, empty_marker_key, partition_key, partition_of_key
from qs_platform.transform.run import PartitionMismatch, run_transform
from qs_platform_tests.conftest import ingest as ingest_one
from qs_platform_tests.integration.conftest import accepted_click_events, click_stats, expected_sales_daily

DAYS = [dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 3)]


def ingest(lake, config, source_name, keys):
    source = config.source(source_name)
    for key in keys:
        result = ingest_one(lake, source, f"landing/{key}")
        assert result.status == "loaded", result


def partition_files(lake, table_name) -> dict[str, tuple[str, int]]:
    """{key: (md5 of the bytes, mtime in ns)} of every Parquet file of the table."""
    files = {}
    for obj in lake.list(table_prefix(table_name)):
        if obj.key.endswith(".parquet"):
            path = lake.root / obj.key
            files[obj.key] = (hashlib.md5(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return files


def table_rows(lake, table_name, columns="*") -> list[tuple]:
    return sorted(duckdb.sql(f"select {columns} from {lake.parquet_scan(table_prefix(table_name))}").fetchall())


SALES_COLUMNS = "franchise_store, item, transaction_date, row_count, sale_amount, tax_amount, discount_amount"


def test_late_file_for_an_old_date_rewrites_exactly_that_date(lake, config):
    landing = lake.root / "landing"
    table = config.table("sales_daily")
    keys = generate_sales(landing, stores=["DEL-A", "BLR-B"], days=DAYS, rows_per_file=30, seed=21)
    ingest(lake, config, "sales", keys)

    first = run_transform(lake, config, table)
    dates = sorted({r[2].isoformat() for r in expected_sales_daily(landing / k for k in keys)})
    assert first.published and first.partitions.mode == "full"
    assert list(first.partitions.rewritten) == dates and "2024-02-29" in dates, "~3% are late rows of the day before"
    before = partition_files(lake, table.table_name)
    assert sorted(before) == [partition_key(table, d) for d in dates]

    # a new store's complete batch for the oldest day arrives late
    late = generate_sales(landing, stores=["HYD-C"], days=DAYS[:1], rows_per_file=30, seed=22)
    ingest(lake, config, "sales", late)
    second = run_transform(lake, config, table)

    late_dates = sorted({r[2].isoformat() for r in expected_sales_daily(landing / k for k in late)})
    assert second.partitions.mode == "incremental"
    assert list(second.partitions.rewritten) == late_dates and late_dates[-1] == "2024-03-01"
    assert second.partitions.total == len(dates)
    after = partition_files(lake, table.table_name)
    rewritten = {partition_key(table, d) for d in late_dates}
    assert all(after[key][0] != before[key][0] for key in rewritten), "the late dates' partitions were rewritten"
    assert {k: v for k, v in after.items() if k not in rewritten} == {
        k: v for k, v in before.items() if k not in rewritten
    }, "every other partition file is untouched (same bytes, same mtime)"
    expected = expected_sales_daily(landing / k for k in keys + late)
    assert table_rows(lake, table.table_name, SALES_COLUMNS) == expected
    assert any(r[0] == "HYD-C" for r in expected)
    assert second.row_count == len(expected)

    # nothing new: nothing recomputed; a full rebuild rewrites everything to the same rows
    third = run_transform(lake, config, table)
    assert third.partitions.rewritten == {} and third.partitions.reason == "no input file changed"
    assert partition_files(lake, table.table_name) == after
    rebuilt = run_transform(lake, config, table, full_rebuild=True)
    assert rebuilt.partitions.mode == "full" and list(rebuilt.partitions.rewritten) == dates
    assert table_rows(lake, table.table_name, SALES_COLUMNS) == expected


def test_duplicate_and_incomplete_batches_touch_nothing_until_they_count(lake, config):
    landing = lake.root / "landing"
    table = config.table("sales_daily")
    keys = generate_sales(landing, stores=["DEL-A"], days=DAYS[:2], rows_per_file=20, seed=31)
    ingest(lake, config, "sales", keys)
    run_transform(lake, config, table)
    before = partition_files(lake, table.table_name)

    original = landing / "sales/DEL-A/2024-03-02/part-1.csv"
    (original.parent / "part-1.resent.csv").write_bytes(original.read_bytes())
    two_of_three = generate_sales(
        landing, stores=["PUN-D"], days=DAYS[:1], rows_per_file=20, seed=32, files_per_store_day=2
    )
    ingest(lake, config, "sales", ["sales/DEL-A/2024-03-02/part-1.resent.csv", *two_of_three])
    result = run_transform(lake, config, table)

    assert result.partitions.rewritten == {}, "a copy of a loaded file and an incomplete batch change no partition"
    assert partition_files(lake, table.table_name) == before
    assert table_rows(lake, table.table_name, SALES_COLUMNS) == expected_sales_daily(landing / k for k in keys)


def click_rows(lake):
    return table_rows(lake, "processed.clickstream_hourly")


def expected_hourly(paths):
    by_hour = {}
    for created, element, spent, _ in accepted_click_events(paths):
        by_hour.setdefault((created.replace(minute=0, second=0), element), []).append(spent)
    return sorted((*key, *click_stats(spent)) for key, spent in by_hour.items())


def test_changed_and_replaced_files_rewrite_their_old_and_new_days(lake, config):
    landing = lake.root / "landing"
    table = config.table("clickstream_hourly")
    day_one = generate_clickstream(landing, start=dt.datetime(2024, 3, 1, 22), hours=1, events_per_hour=1, seed=41)
    day_three = generate_clickstream(landing, start=dt.datetime(2024, 3, 3, 8), hours=1, events_per_hour=30, seed=42)
    assert len(day_one) == 1
    ingest(lake, config, "clickstream", day_one + day_three)
    assert run_transform(lake, config, table).partitions.total == 2

    # the day-one file is delivered again under the same key, now holding events of day two
    events = [
        {
            "element_clicked": f"drink_{i % 3}",
            "time_spent": 10 + i,
            "source_menu": "drinks",
            "created_at": f"2024-03-02 10:{i:02d}:00",
        }
        for i in range(12)
    ]
    (landing / day_one[0]).write_text("\n".join(json.dumps(e) for e in events))
    ingest(lake, config, "clickstream", day_one)
    result = run_transform(lake, config, table)

    assert result.partitions.mode == "incremental"
    assert sorted(result.partitions.rewritten) == ["2024-03-02"] and result.partitions.deleted == ["2024-03-01"]
    assert not (lake.root / partition_key(table, "2024-03-01")).exists(), "a day without rows has no file left"
    assert click_rows(lake) == expected_hourly(landing / k for k in day_one + day_three)


def test_blocking_check_keeps_every_partition_and_the_manifest(lake, config):
    landing = lake.root / "landing"
    table = config.table("sales_daily")
    keys = generate_sales(landing, stores=["DEL-A"], days=DAYS[:2], rows_per_file=20, seed=51)
    ingest(lake, config, "sales", keys)
    run_transform(lake, config, table)
    before = partition_files(lake, table.table_name)
    manifest = (lake.root / table_prefix(table.table_name) / MANIFEST).read_bytes()

    late = generate_sales(landing, stores=["GOA-E"], days=DAYS[2:], rows_per_file=20, seed=52)
    ingest(lake, config, "sales", late)
    strict = table.model_copy(
        update={
            "checks": [
                *table.checks,
                SqlCheck(
                    name="at_most_two_days",
                    kind="sql",
                    blocking=True,
                    sql="select * from {table} where transaction_date > date '2024-03-02'",
                ),
            ]
        }
    )
    refused = run_transform(lake, config, strict)

    assert not refused.published
    assert partition_files(lake, table.table_name) == before
    assert (lake.root / table_prefix(table.table_name) / MANIFEST).read_bytes() == manifest
    accepted = run_transform(lake, config, table)  # the manifest still lacks the new file: it is recomputed now
    late_dates = sorted({r[2].isoformat() for r in expected_sales_daily(landing / k for k in late)})
    assert accepted.published and list(accepted.partitions.rewritten) == late_dates


def test_a_partition_expression_that_does_not_match_the_output_is_refused(lake, config):
    landing = lake.root / "landing"
    table = config.table("clickstream_hourly")
    wrong = table.model_copy(
        update={
            "partition_by": PartitionBy(
                column="event_hour",
                grain="day",
                input="raw.clickstream",
                input_expression="created_at + interval 1 day",
            )
        }
    )
    ingest(
        lake, config, "clickstream", generate_clickstream(landing, start=dt.datetime(2024, 3, 1, 9), hours=1, seed=61)
    )
    run_transform(lake, config, wrong)
    ingest(
        lake, config, "clickstream", generate_clickstream(landing, start=dt.datetime(2024, 3, 5, 9), hours=1, seed=62)
    )

    with pytest.raises(
        PartitionMismatch, match=r"processed.clickstream_hourly: partition_by: .*2024-03-06.*2024-03-05"
    ):
        run_transform(lake, config, wrong)


def test_empty_input_publishes_an_empty_table_and_the_first_rows_replace_it(lake, config):
    table = config.table("sales_daily")
    empty = run_transform(lake, config, table)
    assert empty.published and empty.row_count == 0 and empty.partitions.total == 0
    assert (lake.root / empty_marker_key(table)).exists()
    assert table_rows(lake, table.table_name) == []

    keys = generate_sales(lake.root / "landing", stores=["DEL-A"], days=DAYS[:1], rows_per_file=10, seed=71)
    ingest(lake, config, "sales", keys)
    dates = {r[2] for r in expected_sales_daily(lake.root / "landing" / k for k in keys)}
    assert run_transform(lake, config, table).partitions.total == len(dates) >= 1
    assert not (lake.root / empty_marker_key(table)).exists()


def test_changing_the_declaration_rebuilds_and_removes_the_old_layout(lake, config):
    landing = lake.root / "landing"
    ingest(lake, config, "sales", generate_sales(landing, stores=["DEL-A"], days=DAYS[:2], rows_per_file=10, seed=81))
    unpartitioned = config.table("sales_daily").model_copy(update={"partition_by": None})
    run_transform(lake, config, unpartitioned)
    assert (lake.root / "processed/sales_daily/data.parquet").exists()

    result = run_transform(lake, config, config.table("sales_daily"))

    assert result.partitions.mode == "full" and result.partitions.reason == "first build (no manifest)"
    assert not (lake.root / "processed/sales_daily/data.parquet").exists(), "no row may be read twice"
    manifest = json.loads((lake.root / "processed/sales_daily" / MANIFEST).read_text())
    assert manifest["spec"] == config.table("sales_daily").version and len(manifest["files"]) == 6


@pytest.mark.parametrize(
    "value", ["2024-03-01", "North / South", "a=b", "Zürich, CH [1]", "__HIVE_DEFAULT_PARTITION__"]
)
def test_partition_keys_round_trip(config, value):
    table = config.table("logistics_items_by_period")
    key = partition_key(table, value)
    assert key.count("/") == 3 and key.endswith("/data.parquet")
    assert partition_of_key(table, key) == value
