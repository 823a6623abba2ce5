"""Processed analytics of the sales and clickstream sources and the ward KPIs: the shipped SQL against
computations made independently in Python (csv, json, decimal, numpy) from the landed files."""

import csv
import datetime as dt
import json
import re
import shutil
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import duckdb
import numpy as np
import pytest

from qs_platform.catalog.tables import table_prefix
from qs_platform.cli.sync import Syncer
from qs_platform.examples.generators import generate_clickstream, generate_sales
from qs_platform.project import build_definitions
from qs_platform.transform.run import run_transform
from qs_platform_tests.conftest import HEADER, SEEDS, SERVICE_REQUESTS_CSV, ingest, land

NEW_TABLES = ("sales_daily", "clickstream_hourly", "clickstream_elements", "ward_kpis")
CLICKSTREAM_SEED = SEEDS / "clickstream" / "clickstream_sample_events.ndjson"
if not CLICKSTREAM_SEED.exists():  # a clone without ../shared: the copy shipped for `make dev`
    CLICKSTREAM_SEED = next((Path(__file__).resolve().parents[1] / "examples" / "landing" / "clickstream").rglob("*.json"))


def read_table(lake, result) -> list[tuple]:
    return duckdb.sql(f"select * from {lake.parquet_scan(table_prefix(result.table))}").fetchall()


@pytest.mark.parametrize("table", NEW_TABLES)
def test_every_new_table_runs_on_empty_inputs(lake, config, table):
    if table == "ward_kpis":
        run_transform(lake, config, config.table("service_requests"))
    result = run_transform(lake, config, config.table(table))
    assert result.row_count == 0 and result.columns


# ---- sales ---------------------------------------------------------------------------------------------------

SALES_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")
SALES_INTEGERS = ("row_id", "quantity")
SALES_DECIMALS = ("sale_amount", "tax_amount", "discount_amount", "profit")
SALES_DATES = ("order_date", "ship_date", "transaction_date")
SALES_REQUIRED = ("row_id", "order_id", "item", "sale_amount", "franchise_store", "transaction_date")


def _integer(text):
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _decimal(text):
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value if abs(value) < Decimal(10) ** 10 else None  # decimal(12,2)


def _date(text):
    for fmt in SALES_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def accepted_sales_rows(path):
    """The rows of one file that sources/sales.yaml accepts: types, required columns, ranges, unique row_id."""
    first_line_of_row_id = set()
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = {k: (v if v != "" else None) for k, v in row.items()}  # an empty CSV field is NULL
            broken = False
            for columns, convert in ((SALES_INTEGERS, _integer), (SALES_DECIMALS, _decimal), (SALES_DATES, _date)):
                for column in columns:
                    text = (values[column] or "").strip()
                    values[column] = convert(text) if text else None
                    broken |= bool(text) and values[column] is None
            broken |= any(values[c] is None for c in SALES_REQUIRED)
            broken |= values["row_id"] is not None and values["row_id"] < 0
            broken |= values["quantity"] is not None and values["quantity"] < 1
            row_id = values["row_id"]
            broken |= row_id is not None and row_id in first_line_of_row_id  # a repeat, even of a rejected row
            if row_id is not None:
                first_line_of_row_id.add(row_id)
            if not broken:
                yield values


def expected_sales_daily(paths) -> list[tuple]:
    groups = defaultdict(lambda: [0, Decimal(0), None, None])
    for path in paths:
        for row in accepted_sales_rows(path):
            acc = groups[(row["franchise_store"], row["item"], row["transaction_date"])]
            acc[0] += 1
            acc[1] += row["sale_amount"]
            for i, column in ((2, "tax_amount"), (3, "discount_amount")):
                if row[column] is not None:
                    acc[i] = (acc[i] or Decimal(0)) + row[column]
    return sorted((*key, *acc) for key, acc in groups.items())


def test_sales_daily_counts_complete_store_days_once(settings, config, lake, instance):
    landing = lake.root / "landing"
    days = [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    complete = generate_sales(landing, stores=["DEL-A", "BLR-B"], days=days, rows_per_file=40, seed=11)
    # (a) a store-day with 2 of its 3 files: waits (the shipped deadline is 6 hours)
    waiting = generate_sales(landing, stores=["HYD-C"], days=days[:1], rows_per_file=40, seed=12, files_per_store_day=2)
    # (b) the same content delivered again under another key
    original = landing / "sales/DEL-A/2024-03-01/part-2.csv"
    shutil.copy(original, original.with_name("part-2.resent.csv"))

    report = Syncer(build_definitions(settings, config), instance).sync()

    assert report.ok, report.failed_runs
    done = {m.asset: m.metadata for m in report.materialized}
    assert "processed/sales_daily" in done
    waiting = {a.key for a in report.assets if a.state == "waiting"}
    assert "processed/clickstream_hourly" in waiting and "processed/ward_kpis" in waiting, "no file yet: nothing to build from"
    assert done["batches/sales"]["waiting"] == 1 and done["batches/sales"]["complete"] == 4
    assert done["catalog/raw/sales"]["duplicate_files_ignored"] == {
        "landing/sales/DEL-A/2024-03-01/part-2.resent.csv": "landing/sales/DEL-A/2024-03-01/part-2.csv"
    }
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        got = con.execute(
            "select franchise_store, item, transaction_date, row_count, sale_amount, tax_amount, discount_amount "
            "from processed.sales_daily"
        ).fetchall()
        loaded_files = con.execute("select count(distinct _source_key) from raw.sales").fetchone()[0]
    expected = expected_sales_daily(landing / key for key in complete)  # each complete file once, nothing else
    assert sorted(got) == expected
    assert len(expected) > 100 and sum(r[3] for r in expected) > 300
    assert loaded_files == len(complete) == 12
    assert not [r for r in got if r[0] == "HYD-C"], f"{waiting} wait for part-3.csv"
    assert len({(r[0], r[1], r[2]) for r in got}) == len(got), "one row per store, item and day"


# ---- clickstream ---------------------------------------------------------------------------------------------


def json_records(path):
    """JSON Lines and records concatenated without separators, decoded one value after the other."""
    text = path.read_text(encoding="utf-8")
    decoder, position = json.JSONDecoder(), 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return
        value, position = decoder.raw_decode(text, position)
        yield value


def accepted_click_events(paths):
    """(created_at, element, time_spent) as sources/clickstream.yaml accepts them."""
    for path in paths:
        for record in json_records(path):
            created = record.get("created_at", record.get("createdAt"))
            created = None if created is None else str(created).replace("\u2013", "-").strip()
            try:
                created = dt.datetime.strptime(created, "%Y-%m-%d %H:%M:%S") if created else None
            except ValueError:
                continue  # not a timestamp: quarantined
            spent = record.get("time_spent")
            spent = None if spent is None else int(spent)
            element = record.get("element_clicked")
            if element is None or created is None or (spent is not None and spent < 0):
                continue
            yield created, str(element), spent


def click_stats(spent: list) -> tuple:
    known = [s for s in spent if s is not None]
    if not known:
        return (len(spent), None, None, None, None, None)
    return (len(spent), sum(known), sum(known) / len(known), min(known), max(known), float(statistics.median(known)))


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

    events = list(accepted_click_events(landing / key for key in keys))
    assert len(events) == 3 * 60 + 5
    by_hour, by_element = defaultdict(list), defaultdict(list)
    for created, element, spent in events:
        by_hour[(created.replace(minute=0, second=0), element)].append(spent)
        by_element[element].append((created, spent))
    assert sorted(hourly) == sorted((*key, *click_stats(spent)) for key, spent in by_hour.items())
    expected_elements = []
    for element, items in by_element.items():
        times = [c for c, _ in items]
        hours = {c.replace(minute=0, second=0) for c in times}
        count, *stats = click_stats([s for _, s in items])
        expected_elements.append((element, count, len(hours), min(times), max(times), *stats))
    assert sorted(elements) == sorted(expected_elements)

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
        groups[ward].append((int(np.busday_count(start, end)), Decimal(row["estimated_cost"]), row["service_result"] or None))
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
