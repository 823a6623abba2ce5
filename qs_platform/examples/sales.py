"""Franchise sales deliveries: three CSVs per store and day with the original generator's anomalies."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from qs_platform.examples.common import FIRST_NAMES, LAST_NAMES, check_rate, open_key, seeded

__all__ = ["SALES_COLUMNS", "SALES_ANOMALY_FIELDS", "generate_sales"]

SALES_COLUMNS: tuple[str, ...] = (
    "row_id", "order_id", "order_date", "ship_date", "ship_mode", "segment", "customer_id", "customer_name",
    "item", "sale_amount", "tax_amount", "quantity", "discount_amount", "profit", "franchise_store",
    "transaction_date", "delivery_city", "franchise_state", "postal_code", "region", "product_id", "category",
    "sub_category",
)  # fmt: skip

#: the fields the original generator blanked in its "anomaly" rows
SALES_ANOMALY_FIELDS: tuple[str, ...] = (
    "delivery_city", "franchise_state", "segment", "transaction_date", "order_id", "ship_mode",
)  # fmt: skip

_SHIP_MODES = ("Standard", "Express", "Next Day", "Two-Day", "Ground", "Air", "Courier")
_SEGMENTS = ("Preparation", "Cooking", "Baking", "Utensils", "Appliances", "Miscellaneous")

# item -> (unit price, category, sub_category); product_id is the item's position + 1001
_ITEMS: tuple[tuple[str, float, str, str], ...] = (
    ("cutting board", 18.50, "Preparation", "Boards"),
    ("chef's knife", 64.00, "Cutlery", "Knives"),
    ("paring knife", 14.90, "Cutlery", "Knives"),
    ("bread knife", 29.00, "Cutlery", "Knives"),
    ("steak knives", 45.00, "Cutlery", "Knives"),
    ("kitchen scissors", 12.75, "Cutlery", "Shears"),
    ("frying pan", 39.99, "Cookware", "Pans"),
    ("saucepan", 34.50, "Cookware", "Pans"),
    ("grill pan", 42.00, "Cookware", "Pans"),
    ("wok", 36.80, "Cookware", "Pans"),
    ("pot", 49.00, "Cookware", "Pots"),
    ("casserole dish", 31.20, "Bakeware", "Dishes"),
    ("baking sheet", 15.40, "Bakeware", "Trays"),
    ("muffin tin", 13.60, "Bakeware", "Trays"),
    ("cake pan", 17.25, "Bakeware", "Tins"),
    ("rolling pin", 9.90, "Bakeware", "Tools"),
    ("pastry brush", 4.50, "Bakeware", "Tools"),
    ("mixing bowl", 11.30, "Preparation", "Bowls"),
    ("salad spinner", 21.00, "Preparation", "Bowls"),
    ("colander", 10.80, "Preparation", "Strainers"),
    ("strainer", 8.40, "Preparation", "Strainers"),
    ("measuring cups", 7.95, "Preparation", "Measuring"),
    ("kitchen scale", 24.90, "Preparation", "Measuring"),
    ("whisk", 6.20, "Utensils", "Hand tools"),
    ("spatula", 5.80, "Utensils", "Hand tools"),
    ("tongs", 7.10, "Utensils", "Hand tools"),
    ("ladle", 6.60, "Utensils", "Hand tools"),
    ("peeler", 4.90, "Utensils", "Hand tools"),
    ("grater", 9.40, "Utensils", "Hand tools"),
    ("garlic press", 11.90, "Utensils", "Hand tools"),
    ("potato masher", 8.70, "Utensils", "Hand tools"),
    ("pizza cutter", 7.60, "Utensils", "Hand tools"),
    ("can opener", 9.20, "Utensils", "Openers"),
    ("corkscrew", 12.40, "Utensils", "Openers"),
    ("pepper mill", 19.90, "Utensils", "Mills"),
    ("salt and pepper shakers", 14.30, "Tableware", "Serving"),
    ("butter dish", 12.00, "Tableware", "Serving"),
    ("food storage containers", 22.50, "Storage", "Containers"),
    ("canister set", 27.80, "Storage", "Containers"),
    ("tea kettle", 29.90, "Appliances", "Kettles"),
    ("electric kettle", 34.90, "Appliances", "Kettles"),
    ("toaster", 39.00, "Appliances", "Small appliances"),
    ("blender", 79.00, "Appliances", "Small appliances"),
    ("food processor", 129.00, "Appliances", "Small appliances"),
    ("coffee maker", 89.00, "Appliances", "Small appliances"),
    ("rice cooker", 59.00, "Appliances", "Small appliances"),
    ("air fryer", 109.00, "Appliances", "Small appliances"),
    ("pressure cooker", 69.00, "Appliances", "Small appliances"),
    ("hand mixer", 44.00, "Appliances", "Small appliances"),
    ("waffle maker", 49.50, "Appliances", "Small appliances"),
)

# state code -> (region, delivery cities with their PIN prefix)
_STATES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "DEL": ("North", (("New Delhi", "110"), ("Gurugram", "122"), ("Noida", "201"), ("Faridabad", "121"))),
    "BLR": ("South", (("Bengaluru", "560"), ("Mysuru", "570"), ("Hubballi", "580"), ("Mangaluru", "575"))),
    "BOM": ("West", (("Mumbai", "400"), ("Thane", "400"), ("Pune", "411"), ("Nashik", "422"))),
    "HYD": ("South", (("Hyderabad", "500"), ("Secunderabad", "500"), ("Warangal", "506"))),
    "MAA": ("South", (("Chennai", "600"), ("Coimbatore", "641"), ("Madurai", "625"))),
    "CCU": ("East", (("Kolkata", "700"), ("Howrah", "711"), ("Durgapur", "713"))),
}


def _store_state(store: str, seed: int) -> str:
    """``DEL-A`` -> ``DEL``; otherwise a stable pick, so one store always reports one state."""
    prefix = store.split("-", 1)[0].upper()
    if prefix in _STATES:
        return prefix
    return seeded("sales-store", seed, store).choice(sorted(_STATES))


def _money(value: float) -> str:
    return f"{value:.2f}"


def generate_sales(
    out_dir: str | Path,
    *,
    stores: Sequence[str],
    days: Sequence[dt.date],
    rows_per_file: int = 200,
    seed: int = 0,
    anomaly_rate: float = 0.10,
    bad_format_rate: float = 0.20,
    files_per_store_day: int = 3,
    null_literal_share: float = 0.30,
    refund_rate: float = 0.01,
) -> list[str]:
    """Write ``sales/{store}/{YYYY-MM-DD}/part-{n}.csv`` (``files_per_store_day`` files per store and day).

    Every file has the 23 :data:`SALES_COLUMNS` and ``rows_per_file`` rows. The files of one store and day hold
    different rows (``abs(row_id)`` is unique over the whole call), ``transaction_date`` is the file's day for
    ~97% of rows (the rest are late rows of the day before). Independently of each other:

    * with probability ``anomaly_rate`` a row gets one or several of :data:`SALES_ANOMALY_FIELDS` empty
      (40% of those all six, as the original generator did);
    * with probability ``bad_format_rate`` a row gets ``dd-mm-YYYY`` ``order_date``/``ship_date`` and negative
      ``quantity``, ``profit`` and ``row_id``;
    * in ``null_literal_share`` of the anomaly rows the missing fields are the text ``null`` instead of empty
      (the value the original's validation compared with);
    * with probability ``refund_rate`` a row is a refund: negative ``sale_amount`` and ``tax_amount``.

    Outside those rows no anomaly field is empty, dates are ``YYYY-MM-DD`` and numbers are positive. The last two
    quirks are drawn from a generator of their own, so they change nothing else in a file.
    """
    check_rate("anomaly_rate", anomaly_rate)
    check_rate("bad_format_rate", bad_format_rate)
    check_rate("null_literal_share", null_literal_share)
    check_rate("refund_rate", refund_rate)
    if files_per_store_day < 1 or rows_per_file < 0:
        raise ValueError("files_per_store_day must be >= 1 and rows_per_file >= 0")
    out = Path(out_dir)
    keys: list[str] = []
    next_row_id = seeded("sales-row-ids", seed).randrange(100_000, 900_000)
    for store in stores:
        state = _store_state(store, seed)
        region, home_cities = _STATES[state]
        for day in days:
            day_s = day.strftime("%Y-%m-%d")
            for part in range(1, files_per_store_day + 1):
                key = f"sales/{store}/{day_s}/part-{part}.csv"
                rng = seeded("sales", seed, store, day_s, part)
                quirks = seeded("sales-quirks", seed, store, day_s, part)
                with open_key(out, key) as fh:
                    writer = csv.writer(fh, lineterminator="\n")
                    writer.writerow(SALES_COLUMNS)
                    for _ in range(rows_per_file):
                        row = _sales_row(rng, next_row_id, store, state, region, home_cities, day,
                                         anomaly_rate, bad_format_rate)  # fmt: skip
                        writer.writerow(_later_quirks(quirks, row, null_literal_share, refund_rate))
                        next_row_id += 1
                keys.append(key)
    return keys


def _sales_row(
    rng: random.Random,
    row_id: int,
    store: str,
    state: str,
    region: str,
    home_cities: tuple[tuple[str, str], ...],
    day: dt.date,
    anomaly_rate: float,
    bad_format_rate: float,
) -> list[object]:
    # draw the two quirk decisions first, so the rates do not depend on anything else
    is_anomaly = rng.random() < anomaly_rate
    is_bad_format = rng.random() < bad_format_rate

    transaction_day = day if rng.random() < 0.97 else day - dt.timedelta(days=1)
    order_day = transaction_day - dt.timedelta(days=rng.choice((0, 0, 0, 1, 2, 3)))
    ship_day = order_day + dt.timedelta(days=rng.randint(1, 6))
    item_idx = rng.randrange(len(_ITEMS))
    item, unit_price, category, sub_category = _ITEMS[item_idx]
    quantity = rng.choice((1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 10))
    sale = round(unit_price * quantity, 2)
    tax = round(sale * rng.choice((0.05, 0.12, 0.18, 0.18, 0.28)), 2)
    discount = round(sale * rng.choice((0.0, 0.0, 0.0, 0.05, 0.10, 0.15, 0.20)), 2)
    profit = max(0.01, round(sale * rng.uniform(0.10, 0.40), 2))
    city, pin = rng.choice(home_cities) if rng.random() < 0.9 else rng.choice(_STATES[rng.choice(sorted(_STATES))][1])
    postal_code = f"{pin}{rng.randrange(1000):03d}"
    customer_id = rng.randint(1, 10_000)
    customer_name = (
        f"{FIRST_NAMES[customer_id % len(FIRST_NAMES)]} "
        f"{LAST_NAMES[(customer_id // len(FIRST_NAMES)) % len(LAST_NAMES)]}"
    )
    row: dict[str, object] = {
        "row_id": row_id,
        "order_id": rng.randint(1, 1_000_000),
        "order_date": order_day.strftime("%Y-%m-%d"),
        "ship_date": ship_day.strftime("%Y-%m-%d"),
        "ship_mode": rng.choice(_SHIP_MODES),
        "segment": rng.choice(_SEGMENTS),
        "customer_id": customer_id,
        "customer_name": customer_name,
        "item": item,
        "sale_amount": _money(sale),
        "tax_amount": _money(tax),
        "quantity": quantity,
        "discount_amount": _money(discount),
        "profit": _money(profit),
        "franchise_store": store,
        "transaction_date": transaction_day.strftime("%Y-%m-%d"),
        "delivery_city": city,
        "franchise_state": state,
        "postal_code": postal_code,
        "region": region,
        "product_id": 1001 + item_idx,
        "category": category,
        "sub_category": sub_category,
    }
    if is_anomaly:
        if rng.random() < 0.4:
            blanked: Iterable[str] = SALES_ANOMALY_FIELDS
        else:
            blanked = rng.sample(SALES_ANOMALY_FIELDS, rng.randint(1, len(SALES_ANOMALY_FIELDS) - 1))
        for field in blanked:
            row[field] = ""
    if is_bad_format:
        row["order_date"] = order_day.strftime("%d-%m-%Y")
        row["ship_date"] = ship_day.strftime("%d-%m-%Y")
        row["quantity"] = -quantity
        row["profit"] = _money(-profit)
        row["row_id"] = -row_id
    return [row[c] for c in SALES_COLUMNS]


def _later_quirks(rng: random.Random, row: list[object], null_literal_share: float, refund_rate: float) -> list[object]:
    """The literal ``null`` for the blanked fields of some anomaly rows, and refunds (negative sale and tax)."""
    blanked = [i for i, c in enumerate(SALES_COLUMNS) if c in SALES_ANOMALY_FIELDS and row[i] == ""]
    if blanked and rng.random() < null_literal_share:
        for i in blanked:
            row[i] = "null"
    if rng.random() < refund_rate:
        for column in ("sale_amount", "tax_amount"):
            i = SALES_COLUMNS.index(column)
            row[i] = _money(-float(row[i])) if float(row[i]) else row[i]
    return row
