"""Shared by the end-to-end tests: independent recomputations of what the replaced systems computed (from their own
code's rules, with csv/json/decimal, no DuckDB), and the browser fixture of the viewer page tests."""

from __future__ import annotations

import csv
import datetime as dt
import json
import statistics
from collections import defaultdict
from decimal import Decimal

from qs_platform_tests.local.viewer.static.conftest import chromium_browser  # noqa: F401 - the fixture, for test_demo

# The replaced system's validation Lambda (Input-Validation-Layer.py: validate_row) moved a row to its Bad-Data layer
# when one of these fields was the text 'null', a date was not YYYY-MM-DD, or quantity, sale or tax amount was
# negative. Its bug: only the literal 'null' counted as missing, so the empty values its own generator wrote passed.
ORIGINAL_PRESENT = ("franchise_state", "segment", "ship_mode", "transaction_date", "delivery_city", "order_id")


ORIGINAL_DATES = ("order_date", "ship_date", "transaction_date")


def original_validates(row: dict) -> bool:
    """validate_row of the replaced system, with its bug fixed: empty and 'null' both mean missing."""
    if any(row[f].strip() in ("null", "") for f in ORIGINAL_PRESENT):
        return False
    for field in ORIGINAL_DATES:
        try:
            dt.datetime.strptime(row[field], "%Y-%m-%d")
        except ValueError:
            return False
    try:
        return not (int(row["quantity"]) < 0 or float(row["sale_amount"]) < 0 or float(row["tax_amount"]) < 0)
    except ValueError:  # there the Lambda raised on an unreadable number; here that row is bad data too
        return False


def _money(text: str) -> Decimal | None:
    return Decimal(text).quantize(Decimal("0.01")) if text.strip() else None


def validated_sales_rows(paths) -> list[dict]:
    """Every row the original keeps (its Filtered-Data layer), amounts as Decimal, dates as dates."""
    rows = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if original_validates(row):
                    rows.append({**row, "_store": path.parent.parent.name, "_day": path.parent.name,
                                 "transaction_date": dt.date.fromisoformat(row["transaction_date"]),
                                 "quantity": int(row["quantity"]),
                                 **{c: _money(row[c]) for c in ("sale_amount", "tax_amount", "discount_amount")}})  # fmt: skip
    return rows


def _sums(rows: list[dict]) -> tuple:
    """count, then sums of sale, tax and discount amounts (None when every value is missing), like SQL sum()."""

    def total(column):
        values = [r[column] for r in rows if r[column] is not None]
        return sum(values, Decimal(0)) if values else None

    return (len(rows), total("sale_amount"), total("tax_amount"), total("discount_amount"))


def group(rows: list[dict], *keys: str) -> dict[tuple, list[dict]]:
    groups = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in keys)].append(row)
    return groups


def daily_sums(rows: list[dict]) -> list[tuple]:
    """Pyspark.py: groupBy(franchise_store, item, transaction_date) sum(sale, tax, discount) over the filtered rows."""
    return sorted((*key, *_sums(g)) for key, g in group(rows, "franchise_store", "item", "transaction_date").items())


def expected_sales_daily(paths) -> list[tuple]:
    """processed.sales_daily from the landed files: the original's validation, then its aggregation."""
    return daily_sums(validated_sales_rows(paths))


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
    """(created_at, element, time_spent, source_menu) as sources/clickstream.yaml accepts them."""
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
            yield created, str(element), spent, record.get("source_menu")


def click_stats(spent: list) -> tuple:
    known = [s for s in spent if s is not None]
    if not known:
        return (len(spent), None, None, None, None, None)
    return (len(spent), sum(known), sum(known) / len(known), min(known), max(known), float(statistics.median(known)))
