"""Processed analytics of the sales and clickstream sources and the ward KPIs: the shipped SQL against
computations made independently in Python (csv, json, decimal, numpy) from the landed files."""

import csv
import datetime as dt
import shutil
from collections import defaultdict
from decimal import Decimal

import duckdb
import numpy as np
import pytest

from qs_platform.catalog.tables import table_prefix
from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import lineage_config
from qs_platform.examples.generators import generate_clickstream, generate_sales
from qs_platform.project import build_definitions
from qs_platform.transform.run import run_transform
from qs_platform_tests.conftest import EXAMPLES, HEADER, SEEDS, SERVICE_REQUESTS_CSV, ingest, land
from qs_platform_tests.integration.conftest import (
    ORIGINAL_PRESENT,
    _sums,
    accepted_click_events,
    click_stats,
    daily_sums,
    group,
    validated_sales_rows,
)

SALES_TABLES = ("sales_daily", "sales_daily_detail", "sales_trend_daily", "sales_items", "sales_store_days")
NEW_TABLES = (*SALES_TABLES, "clickstream_hourly", "clickstream_elements", "clickstream_menus", "ward_kpis")
CLICKSTREAM_SEED = SEEDS / "clickstream" / "clickstream_sample_events.ndjson"
if not CLICKSTREAM_SEED.exists():  # a clone without ../shared: the copy shipped for `make dev`
    CLICKSTREAM_SEED = next((EXAMPLES / "clickstream").rglob("*.json"))


def read_table(lake, result) -> list[tuple]:
    return duckdb.sql(f"select * from {lake.parquet_scan(table_prefix(result.table))}").fetchall()


@pytest.mark.parametrize("table", NEW_TABLES)
def test_every_new_table_runs_on_empty_inputs(lake, config, table):
    if table == "ward_kpis":
        run_transform(lake, config, config.table("service_requests"))
    result = run_transform(lake, config, config.table(table))
    assert result.row_count == 0 and result.columns


# ---- sales ---------------------------------------------------------------------------------------------------


def test_sales_tables_follow_the_original_validation_and_count_complete_store_days_once(
    settings, config, lake, instance
):
    landing = lake.root / "landing"
    days = [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    complete = generate_sales(landing, stores=["DEL-A", "BLR-B"], days=days, rows_per_file=40, seed=11)
    # (a) a store-day with 2 of its 3 files: waits (the shipped deadline is 6 hours)
    waiting = generate_sales(landing, stores=["HYD-C"], days=days[:1], rows_per_file=40, seed=12, files_per_store_day=2)
    # (b) the same content delivered again under another key
    original = landing / "sales/DEL-A/2024-03-01/part-2.csv"
    shutil.copy(original, original.with_name("part-2.resent.csv"))

    report = Syncer(build_definitions(settings, lineage_config(config, ["sales"])), instance).sync()

    assert report.ok, report.failed_runs
    done = {m.asset: m.metadata for m in report.materialized}
    assert {f"processed/{t}" for t in SALES_TABLES} <= done.keys()
    assert done["batches/sales"]["waiting"] == 1 and done["batches/sales"]["complete"] == 4
    assert done["catalog/raw/sales"]["duplicate_files_ignored"] == {
        "landing/sales/DEL-A/2024-03-01/part-2.resent.csv": "landing/sales/DEL-A/2024-03-01/part-2.csv"
    }
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:

        def table(sql):
            return con.execute(sql).fetchall()

        daily = table("select franchise_store, item, transaction_date, row_count, sale_amount, tax_amount, discount_amount "
                      "from processed.sales_daily")  # fmt: skip
        detail = table("select franchise_store, transaction_date, item, franchise_state, segment, ship_mode, row_count, "
                       "sale_amount, tax_amount, discount_amount, quantity from processed.sales_daily_detail")  # fmt: skip
        trend = table("select transaction_date, row_count, sale_amount, tax_amount, discount_amount, sale_amount_change, "
                      "sale_amount_7d_avg from processed.sales_trend_daily order by transaction_date")  # fmt: skip
        items = table("select item, row_count, sale_amount, sales_rank from processed.sales_items")
        store_days = table("select franchise_store, delivery_date, files_arrived, files_missing, complete, row_count, "
                           "sale_amount from processed.sales_store_days order by 1, 2")  # fmt: skip
        loaded_files = table("select count(distinct _source_key) from raw.sales")[0][0]
        rejected = dict(table("select r, count(*) from quarantine.sales, unnest(_rules) as u(r) group by r"))

    rows = validated_sales_rows(landing / key for key in complete)  # each complete file once, nothing else
    raw_lines = [r for key in complete for r in csv.DictReader((landing / key).open(newline="", encoding="utf-8"))]
    # the inputs hold what the original rejected: the literal 'null', empty fields and refunds (negative amounts)
    assert sum(any(r[f] == "null" for f in ORIGINAL_PRESENT) for r in raw_lines) > 0
    assert sum(any(r[f] == "" for f in ORIGINAL_PRESENT) for r in raw_lines) > 0
    assert sum(float(r["sale_amount"]) < 0 for r in raw_lines) > 0
    assert 0 < len(rows) < len(raw_lines) * 0.8
    assert {
        "franchise_state_present",
        "segment_present",
        "sale_amount_not_negative",
        "type_order_date",
    } <= rejected.keys()

    expected = daily_sums(rows)
    assert sorted(daily) == expected
    assert len(expected) > 60 and all(r[4] >= 0 and r[5] >= 0 for r in expected)
    assert loaded_files == len(complete) == 12
    assert not [r for r in daily if r[0] == "HYD-C"], f"{waiting} wait for part-3.csv"

    by_detail = group(rows, "franchise_store", "transaction_date", "item", "franchise_state", "segment", "ship_mode")
    assert sorted(detail) == sorted((*k, *_sums(g), sum(r["quantity"] for r in g)) for k, g in by_detail.items())

    by_day = sorted(group(rows, "transaction_date").items())
    expected_trend = []
    for i, ((day,), g) in enumerate(by_day):
        count, sale, tax, discount = _sums(g)
        window = [_sums(w)[1] for _, w in by_day[max(0, i - 6) : i + 1]]
        change = None if i == 0 else sale - _sums(by_day[i - 1][1])[1]
        expected_trend.append((day, count, sale, tax, discount, change, float(sum(window)) / len(window)))
    assert [r[:6] for r in trend] == [r[:6] for r in expected_trend]
    assert [r[6] for r in trend] == pytest.approx([r[6] for r in expected_trend], rel=1e-12)

    by_item = {item: _sums(g) for (item,), g in group(rows, "item").items()}
    ranking = sorted(by_item.values(), key=lambda s: -s[1])
    assert sorted(items) == sorted(
        (item, s[0], s[1], 1 + sum(other[1] > s[1] for other in ranking)) for item, s in by_item.items()
    )

    # every released store-day delivered its three contents (the resent copy counts once); HYD-C is still waiting
    expected_days = sorted(
        (store, day, 3, 0, True, *_sums(g)[:2]) for (store, day), g in group(rows, "_store", "_day").items()
    )
    assert store_days == expected_days and len(expected_days) == 4


# ---- clickstream ---------------------------------------------------------------------------------------------


def test_clickstream_hourly_and_elements(lake, config):
    landing = lake.root / "landing"
    keys = generate_clickstream(landing, start=dt.datetime(2024, 3, 1, 9), hours=3, events_per_hour=60, seed=5)
    seed_key = "clickstream/2022/09/11/23/seed.json"
    land(lake, f"landing/{seed_key}", CLICKSTREAM_SEED.read_bytes())
    keys.append(seed_key)
    source = config.source("clickstream")
    for key in keys:
        result = ingest(lake, source, f"landing/{key}")
        assert result.status == "loaded" and result.rejected_rows == 0, result
    hourly = read_table(lake, run_transform(lake, config, config.table("clickstream_hourly")))
    elements = read_table(lake, run_transform(lake, config, config.table("clickstream_elements")))
    menus = read_table(lake, run_transform(lake, config, config.table("clickstream_menus")))

    events = list(accepted_click_events(landing / key for key in keys))
    assert len(events) == 3 * 60 + 5
    by_hour, by_element, by_menu = defaultdict(list), defaultdict(list), defaultdict(list)
    for created, element, spent, menu in events:
        by_hour[(created.replace(minute=0, second=0), element)].append(spent)
        by_element[element].append((created, spent))
        by_menu[(element, menu)].append(spent)
    assert sorted(hourly) == sorted((*key, *click_stats(spent)) for key, spent in by_hour.items())
    expected_elements = []
    for element, items in by_element.items():
        times = [c for c, _ in items]
        hours = {c.replace(minute=0, second=0) for c in times}
        count, *stats = click_stats([s for _, s in items])
        expected_elements.append((element, count, len(hours), min(times), max(times), *stats))
    assert sorted(elements) == sorted(expected_elements)
    # time spent per element and source menu (the median is not part of it)
    assert sorted(menus, key=str) == sorted(((*key, *click_stats(s)[:5]) for key, s in by_menu.items()), key=str)
    assert len({m for _, m in by_menu}) > 3 and sum(r[2] for r in menus) == len(events)

    # the seed sample: EN DASH dates and the createdAt spelling land in their hour
    seed_hour = {r[1]: r[2:] for r in hourly if r[0] == dt.datetime(2022, 9, 11, 23)}
    assert seed_hour == {
        "drink_1": (1, 15, 15.0, 15, 15, 15.0),
        "drink_3": (1, 14, 14.0, 14, 14, 14.0),
        "entree_1": (2, 79, 39.5, 12, 67, 39.5),
        "entree_4": (1, 32, 32.0, 32, 32, 32.0),
    }


# ---- ward KPIs -----------------------------------------------------------------------------------------------


def expected_ward_kpis(path) -> dict:
    """From the CSV text alone: newest delivery of an id wins, business days as numpy.busday_count."""
    by_id = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_id[row["id"]] = row
    groups = defaultdict(list)
    for row in by_id.values():
        start = dt.datetime.strptime(row["start_date"], "%m/%d/%Y").date()
        end = dt.datetime.strptime(row["end_date"], "%m/%d/%Y").date()
        ward = int(row["ward_id"]) if row["ward_id"].strip() else None
        groups[ward].append(
            (int(np.busday_count(start, end)), Decimal(row["estimated_cost"]), row["service_result"] or None)
        )
    result = {}
    for ward, items in groups.items():
        avg_days = sum(d for d, _, _ in items) / len(items)
        total = sum(c for _, c, _ in items)
        results = [r for _, _, r in items if r is not None]
        pass_rate = sum(r == "PASS" for r in results) / len(results) if results else None
        result[ward] = (len(items), avg_days, total, float(total) / avg_days if avg_days else None, pass_rate)
    return result


def test_ward_kpis_on_the_real_service_requests(lake, config):
    land(lake, "landing/service_requests/division_data_24-12-23.csv", SERVICE_REQUESTS_CSV.read_bytes())
    ingest(lake, config.source("service_requests"), "landing/service_requests/division_data_24-12-23.csv")
    run_transform(lake, config, config.table("service_requests"))
    got = {r[0]: r[1:] for r in read_table(lake, run_transform(lake, config, config.table("ward_kpis")))}

    expected = expected_ward_kpis(SERVICE_REQUESTS_CSV)
    assert len(expected) == 25 and set(got) == set(expected)
    assert sum(e[0] for e in expected.values()) == 19324
    for ward, (requests, avg_days, total, per_day, pass_rate) in expected.items():
        assert got[ward][0] == requests, ward
        assert got[ward][1] == pytest.approx(avg_days, rel=1e-12), ward
        assert got[ward][2] == total, ward
        assert got[ward][3] == pytest.approx(per_day, rel=1e-12), ward
        assert got[ward][4] == pytest.approx(pass_rate, rel=1e-12), ward


def test_ward_kpis_are_null_safe(lake, config):
    rows = [
        "1,1/3/2000,1/3/2000,Toronto Water,,7,100,",  # ward 7: 0 business days, no known result
        "2,1/8/2000,1/9/2000,Toronto Water,,7,50,",  # a weekend: 0 business days
        "3,1/3/2000,1/10/2000,Toronto Water,FAIL,8,,",  # ward 8: no cost
        "4,1/3/2000,1/5/2000,Toronto Water,PASS,8,10,",
        "5,1/3/2000,1/5/2000,Toronto Water,PASS,8,20,",
    ]
    land(lake, "landing/service_requests/a.csv", HEADER + "\n".join(rows) + "\n")
    ingest(lake, config.source("service_requests"), "landing/service_requests/a.csv")
    run_transform(lake, config, config.table("service_requests"))
    got = read_table(lake, run_transform(lake, config, config.table("ward_kpis")))
    # ward 8: days 5, 2, 2 -> avg 3; cost 30 (a missing cost adds nothing); 2 PASS of 3 known results
    assert got == [(7, 2, 0.0, Decimal("150.00"), None, None), (8, 3, 3.0, Decimal("30.00"), 10.0, 2 / 3)]
