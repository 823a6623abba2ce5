"""Deterministic example deliveries for the source systems qs-platform replaces.

Each generator writes files under ``out_dir`` using the landing key layout of its source and returns the
relative keys (POSIX, ``/``-separated) it wrote, in write order. Everything is derived from a seeded
``random.Random`` (string seeds are hashed with SHA-512 by :mod:`random`, so output does not depend on
``PYTHONHASHSEED``); there is no global state, no clock and no network. Rows are written as they are generated,
so big deliveries never sit in memory.

The quirks of the original systems are reproduced on purpose (see ``../shared/data/seeds/README.md``):

* franchise sales: ~``anomaly_rate`` rows with some of city/state/segment/transaction_date/order_id/ship_mode
  empty, ~``bad_format_rate`` rows with ``dd-mm-YYYY`` order/ship dates and negative quantity/profit/row_id;
* subscriptions: Chargebee-like objects, several versions per id across incremental pulls, later deletions,
  nested objects and (sometimes empty) nested lists, amounts in cents and epoch-second timestamps;
* clickstream: EN DASH (U+2013) dates, ``createdAt`` schema drift and Firehose-style files whose records are
  concatenated without newlines (``{...}{...}``);
* logistics: one folder of CSVs per assessment (course of action), see :mod:`qs_platform.examples.logistics`.

The generators live in one module per replaced system (``sales``, ``subscriptions``, ``clickstream``,
``logistics``); this module re-exports them and lands the demo.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from qs_platform.examples.clickstream import generate_clickstream
from qs_platform.examples.logistics import DEMO_ASSESSMENTS, generate_logistics_assessment
from qs_platform.examples.sales import SALES_ANOMALY_FIELDS, SALES_COLUMNS, generate_sales
from qs_platform.examples.subscriptions import generate_exchange_rates, generate_subscriptions

__all__ = [
    "SALES_COLUMNS",
    "SALES_ANOMALY_FIELDS",
    "generate_sales",
    "generate_subscriptions",
    "generate_exchange_rates",
    "generate_clickstream",
    "generate_logistics_assessment",
    "write_demo_landing",
]

# --------------------------------------------------------------------------------------------------------------
# Demo landing
# --------------------------------------------------------------------------------------------------------------

DEMO_STORES = ("DEL-A", "BLR-B")
DEMO_LATE_STORE = "HYD-C"  # its part-3.csv never arrives
DEMO_FIRST_DAY = dt.date(2024, 3, 1)


def write_demo_landing(out_dir: str | Path, *, days: int = 3, seed: int = 0) -> list[str]:
    """A small, complete landing zone: 2 stores x ``days`` days of sales (from 2024-03-01, 50 rows a file) and a
    third store whose first day lacks part-3.csv (released incomplete once its deadline passes), subscriptions for
    2024-01..2024-03, exchange rates 2024-01-01..2024-04-30, 3 hours of clickstream (2024-03-01 09:00-12:00) and
    three logistics assessments (courses of action 10901-10903, every file of their folders, different days of
    supply, durations and forces). Returns every key written."""
    keys = generate_sales(
        out_dir,
        stores=list(DEMO_STORES),
        days=[DEMO_FIRST_DAY + dt.timedelta(days=i) for i in range(days)],
        rows_per_file=50,
        seed=seed,
    )
    keys += generate_sales(out_dir, stores=[DEMO_LATE_STORE], days=[DEMO_FIRST_DAY], rows_per_file=50, seed=seed,
                           files_per_store_day=2)  # fmt: skip
    keys += generate_subscriptions(out_dir, n_subscriptions=50, months=["2024-01", "2024-02", "2024-03"], seed=seed)
    keys += generate_exchange_rates(out_dir, seed=seed)
    keys += generate_clickstream(out_dir, start=dt.datetime(2024, 3, 1, 9), hours=3, events_per_hour=40, seed=seed)
    for assessment in DEMO_ASSESSMENTS:
        keys += generate_logistics_assessment(out_dir, assessment, seed=seed)
    return keys
