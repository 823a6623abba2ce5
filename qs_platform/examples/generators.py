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
  concatenated without newlines (``{...}{...}``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "SALES_COLUMNS",
    "SALES_ANOMALY_FIELDS",
    "generate_sales",
    "generate_subscriptions",
    "generate_exchange_rates",
    "generate_clickstream",
    "write_demo_landing",
]

EN_DASH = "\u2013"


def _rng(*parts: object) -> random.Random:
    """An independent generator per (generator, seed, file...) so adding a store or a day changes nothing else."""
    return random.Random("|".join(str(p) for p in parts))


def _open(out_dir: Path, key: str):
    path = out_dir.joinpath(*key.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8", newline="")


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")


# --------------------------------------------------------------------------------------------------------------
# 1. Franchise sales
# --------------------------------------------------------------------------------------------------------------

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

_FIRST_NAMES = (
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ishaan", "Kabir", "Rohan", "Ananya",
    "Diya", "Aadhya", "Saanvi", "Myra", "Ira", "Kiara", "Meera", "Priya", "Neha", "Rahul", "Vikram", "Pooja",
    "Sneha", "Karan", "Nikhil", "Tanvi", "Riya", "Amit", "Sunita",
)  # fmt: skip
_LAST_NAMES = (
    "Sharma", "Verma", "Gupta", "Iyer", "Reddy", "Nair", "Patel", "Shah", "Mehta", "Rao", "Singh", "Kumar",
    "Das", "Bose", "Chatterjee", "Mukherjee", "Pillai", "Menon", "Joshi", "Kulkarni", "Desai", "Agarwal",
    "Malhotra", "Kapoor", "Banerjee",
)  # fmt: skip


def _store_state(store: str, seed: int) -> str:
    """``DEL-A`` -> ``DEL``; otherwise a stable pick, so one store always reports one state."""
    prefix = store.split("-", 1)[0].upper()
    if prefix in _STATES:
        return prefix
    return _rng("sales-store", seed, store).choice(sorted(_STATES))


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
) -> list[str]:
    """Write ``sales/{store}/{YYYY-MM-DD}/part-{n}.csv`` (``files_per_store_day`` files per store and day).

    Every file has the 23 :data:`SALES_COLUMNS` and ``rows_per_file`` rows. The files of one store and day hold
    different rows (``abs(row_id)`` is unique over the whole call), ``transaction_date`` is the file's day for
    ~97% of rows (the rest are late rows of the day before). Independently of each other:

    * with probability ``anomaly_rate`` a row gets one or several of :data:`SALES_ANOMALY_FIELDS` empty
      (40% of those all six, as the original generator did);
    * with probability ``bad_format_rate`` a row gets ``dd-mm-YYYY`` ``order_date``/``ship_date`` and negative
      ``quantity``, ``profit`` and ``row_id``.

    Outside those rows no anomaly field is empty, dates are ``YYYY-MM-DD`` and numbers are positive.
    """
    _check_rate("anomaly_rate", anomaly_rate)
    _check_rate("bad_format_rate", bad_format_rate)
    if files_per_store_day < 1 or rows_per_file < 0:
        raise ValueError("files_per_store_day must be >= 1 and rows_per_file >= 0")
    out = Path(out_dir)
    keys: list[str] = []
    next_row_id = _rng("sales-row-ids", seed).randrange(100_000, 900_000)
    for store in stores:
        state = _store_state(store, seed)
        region, home_cities = _STATES[state]
        for day in days:
            day_s = day.strftime("%Y-%m-%d")
            for part in range(1, files_per_store_day + 1):
                key = f"sales/{store}/{day_s}/part-{part}.csv"
                rng = _rng("sales", seed, store, day_s, part)
                with _open(out, key) as fh:
                    writer = csv.writer(fh, lineterminator="\n")
                    writer.writerow(SALES_COLUMNS)
                    for _ in range(rows_per_file):
                        writer.writerow(
                            _sales_row(rng, next_row_id, store, state, region, home_cities, day,
                                       anomaly_rate, bad_format_rate)
                        )  # fmt: skip
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
        f"{_FIRST_NAMES[customer_id % len(_FIRST_NAMES)]} "
        f"{_LAST_NAMES[(customer_id // len(_FIRST_NAMES)) % len(_LAST_NAMES)]}"
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


# --------------------------------------------------------------------------------------------------------------
# 2. Subscriptions (Chargebee-like billing API) and exchange rates
# --------------------------------------------------------------------------------------------------------------

# plan_id -> (billing_period_unit, price in cents per currency)
_PLANS: dict[str, tuple[str, dict[str, int]]] = {
    "starter-monthly": ("month", {"USD": 2900, "EUR": 2700, "GBP": 2400}),
    "pro-monthly": ("month", {"USD": 9900, "EUR": 8900, "GBP": 7900}),
    "business-monthly": ("month", {"USD": 29900, "EUR": 27900, "GBP": 23900}),
    "starter-yearly": ("year", {"USD": 29000, "EUR": 27000, "GBP": 24000}),
    "pro-yearly": ("year", {"USD": 99000, "EUR": 89000, "GBP": 79000}),
}
_UPGRADES = {"starter-monthly": "pro-monthly", "pro-monthly": "business-monthly", "starter-yearly": "pro-yearly"}
_ADDONS: dict[str, dict[str, int]] = {
    "extra-storage": {"USD": 500, "EUR": 450, "GBP": 400},
    "priority-support": {"USD": 4900, "EUR": 4500, "GBP": 3900},
    "sso": {"USD": 1500, "EUR": 1400, "GBP": 1200},
    "api-calls-10k": {"USD": 1000, "EUR": 900, "GBP": 800},
}
_COUPONS = ("WELCOME10", "ANNUAL20", "PARTNER15", "BLACKFRIDAY")
_ADDRESSES: dict[str, tuple[tuple[str, str, str], ...]] = {  # currency -> (city, country, zip pattern)
    "USD": (("New York", "US", "100##"), ("Austin", "US", "787##"), ("Seattle", "US", "981##"),
            ("Chicago", "US", "606##"), ("Denver", "US", "802##")),
    "GBP": (("London", "GB", "EC1A #AA"), ("Manchester", "GB", "M# #AB"), ("Leeds", "GB", "LS# #BE"),
            ("Bristol", "GB", "BS# #QH")),
    "EUR": (("Berlin", "DE", "10###"), ("Paris", "FR", "750##"), ("Amsterdam", "NL", "10## AB"),
            ("Madrid", "ES", "280##"), ("Dublin", "IE", "D0# X###"), ("Milan", "IT", "201##")),
}  # fmt: skip
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

_DAY = 86_400
_PULL_LOOKBACK = 3_600  # each incremental pull re-reads the last hour: the same version may come twice
_PAGE_SIZE = 100  # the list API's maximum page size; one page per pull-{n}.json


def _epoch(d: dt.date) -> int:
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc).timestamp())


def _month_start(month: str) -> dt.date:
    year, mon = (int(p) for p in month.split("-"))
    return dt.date(year, mon, 1)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _add_months(ts: int, n: int) -> int:
    t = dt.datetime.fromtimestamp(ts, dt.timezone.utc)
    month0 = t.month - 1 + n
    year, month = t.year + month0 // 12, month0 % 12 + 1
    last_day = (_next_month(dt.date(year, month, 1)) - dt.timedelta(days=1)).day
    return int(t.replace(year=year, month=month, day=min(t.day, last_day)).timestamp())


def _token(rng: random.Random, used: set[str], n: int = 16) -> str:
    while True:
        tok = "".join(rng.choice(_ID_ALPHABET) for _ in range(n))
        if tok not in used:
            used.add(tok)
            return tok


def _fill(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)


def generate_subscriptions(
    out_dir: str | Path,
    *,
    n_subscriptions: int = 50,
    months: Sequence[str] = ("2024-01", "2024-02", "2024-03"),
    seed: int = 0,
    page_size: int = _PAGE_SIZE,
) -> list[str]:
    """Write incremental pulls ``subscriptions/{YYYY-MM-DD}/pull-{n}.json`` (each a JSON array).

    Pulls happen at 00:00 UTC on the 1st, 8th, 15th and 22nd of every month and on the 1st of the month after
    the last one. The first pull is a full load (every subscription updated before it); each later pull holds
    the *current* state of every subscription updated since the previous pull (minus a one-hour look-back), sorted
    by ``updated_at``, in pages of ``page_size`` objects (``pull-1.json``, ``pull-2.json``, ...; an empty pull
    writes ``[]``). Subscriptions renew (monthly plans update every month), change quantity, plan, add-ons and
    coupons, go through trials, get cancelled and some (about 10%) are later deleted (``"deleted": true``).
    """
    if not months:
        raise ValueError("months must not be empty")
    if page_size < 1:
        raise ValueError("page_size must be >= 1")
    first = min(_month_start(m) for m in months)
    last = max(_month_start(m) for m in months)
    window_start, window_end = _epoch(first), _epoch(_next_month(last))

    pull_dates: list[dt.date] = []
    month = first
    while month <= last:
        pull_dates.extend(month.replace(day=d) for d in (1, 8, 15, 22))
        month = _next_month(month)
    pull_dates.append(_next_month(last))

    master = _rng("subscriptions", seed)
    n_deleted = max(1, round(n_subscriptions * 0.1)) if n_subscriptions >= 2 else 0
    deleted_idx = set(master.sample(range(n_subscriptions), n_deleted))
    used_ids: set[str] = set()
    histories = [
        _subscription_history(master, used_ids, i in deleted_idx, window_start, window_end)
        for i in range(n_subscriptions)
    ]

    out = Path(out_dir)
    keys: list[str] = []
    previous: int | None = None
    for pull_date in pull_dates:
        at = _epoch(pull_date)
        since = None if previous is None else previous - _PULL_LOOKBACK
        batch = []
        for history in histories:
            current = None
            touched = False
            for ts, snapshot in history:
                if ts >= at:
                    break
                current = snapshot
                touched = touched or since is None or ts >= since
            if current is not None and touched:
                batch.append(current)
        batch.sort(key=lambda s: (s["updated_at"], s["id"]))
        pages = [batch[i : i + page_size] for i in range(0, len(batch), page_size)] or [[]]
        for n, page in enumerate(pages, start=1):
            key = f"subscriptions/{pull_date:%Y-%m-%d}/pull-{n}.json"
            with _open(out, key) as fh:
                fh.write("[")
                for j, obj in enumerate(page):
                    fh.write(",\n" if j else "\n")
                    fh.write(json.dumps(obj, ensure_ascii=False))
                fh.write("\n]\n" if page else "]\n")
            keys.append(key)
        previous = at
    return keys


def _subscription_history(
    master: random.Random, used_ids: set[str], deleted: bool, window_start: int, window_end: int
) -> list[tuple[int, dict]]:
    """All versions ``(updated_at, object)`` of one subscription, oldest first."""
    rng = random.Random(master.getrandbits(64))
    sub_id = _token(rng, used_ids)
    customer_id = _token(rng, used_ids)
    currency = rng.choices(("USD", "EUR", "GBP"), weights=(5, 3, 2))[0]
    plan_id = rng.choices(list(_PLANS), weights=(4, 4, 2, 1, 1))[0]
    unit, prices = _PLANS[plan_id]
    if rng.random() < 0.3:  # existed before the window: shows up in the initial full pull
        created = window_start - rng.randint(_DAY, 300 * _DAY)
    else:
        created = rng.randint(window_start, window_end - 2 * _DAY)
    first_name, last_name = rng.choice(_FIRST_NAMES + ("Emma", "Liam", "Sofia", "Lucas", "Mia", "Noah")), rng.choice(
        _LAST_NAMES + ("Smith", "Müller", "Dubois", "García", "Rossi", "O'Brien")
    )
    city, country, zip_pattern = rng.choice(_ADDRESSES[currency])
    in_trial = rng.random() < 0.3
    state: dict = {
        "id": sub_id,
        "customer_id": customer_id,
        "plan_id": plan_id,
        "status": "in_trial" if in_trial else "active",
        "currency_code": currency,
        "plan_amount": prices[currency],
        "plan_quantity": rng.choice((1, 1, 1, 2, 3, 5, 10, 25)),
        "billing_period": 1,
        "billing_period_unit": unit,
        "created_at": created,
        "updated_at": created,
        "started_at": created,
        "cancelled_at": None,
        "deleted": False,
        "customer": {
            "id": customer_id,
            "email": f"{first_name}.{last_name}{rng.randint(1, 99)}@{rng.choice(_EMAIL_DOMAINS)}".lower()
            .replace("'", "")
            .replace("ü", "ue")
            .replace("í", "i"),
            "billing_address": {"city": city, "country": country, "zip": _fill(rng, zip_pattern)},
        },
        "addons": [],
        "coupons": [],
    }
    if rng.random() < 0.35:
        for addon in rng.sample(sorted(_ADDONS), rng.randint(1, 2)):
            state["addons"].append({"id": addon, "quantity": rng.randint(1, 3), "unit_price": _ADDONS[addon][currency]})
    if rng.random() < 0.25:
        state["coupons"].append({"coupon_id": rng.choice(_COUPONS), "applied_count": 1})

    # planned events: (ts, kind)
    events: list[tuple[int, str]] = []
    term_start = created + (14 * _DAY if in_trial else 0)
    if in_trial:
        events.append((term_start, "trial_end"))
    step = 1 if unit == "month" else 12
    renewal = _add_months(term_start, step)
    while renewal < window_end:
        events.append((renewal, "renewal"))
        renewal = _add_months(renewal, step)
    active_from = max(created, window_start - 60 * _DAY) + 3_600
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        if active_from < window_end - _DAY:
            kind = rng.choice(("quantity", "quantity", "upgrade", "addon", "coupon", "drop_addon"))
            events.append((rng.randint(active_from, window_end - _DAY), kind))
    if not deleted and rng.random() < 0.2 and active_from < window_end - 30 * _DAY:
        t = rng.randint(max(active_from, window_start), window_end - 30 * _DAY)
        if rng.random() < 0.5:
            events.append((t, "cancel"))
        else:
            events.append((t, "non_renew"))
            events.append((t + rng.randint(5, 25) * _DAY, "cancel"))
    deleted_at = None
    if deleted:
        lo = max(created, window_start) + 3_600
        deleted_at = rng.randint(lo, max(lo, window_end - 3_600))
        events = [e for e in events if e[0] < deleted_at] + [(deleted_at, "delete")]
    events.sort(key=lambda e: (e[0], e[1]))

    history: list[tuple[int, dict]] = [(created, json.loads(json.dumps(state)))]
    for ts, kind in events:
        status = state["status"]
        if status == "cancelled" and kind != "delete":
            continue
        if kind == "trial_end":
            if status != "in_trial":
                continue
            state["status"] = "active"
        elif kind == "renewal":
            if status in ("in_trial", "non_renewing"):
                continue
            for coupon in state["coupons"]:
                coupon["applied_count"] += 1
        elif kind == "quantity":
            state["plan_quantity"] = max(1, state["plan_quantity"] + rng.choice((-2, -1, 1, 1, 2, 3)))
        elif kind == "upgrade":
            new_plan = _UPGRADES.get(state["plan_id"])
            if new_plan is None:
                continue
            state["plan_id"] = new_plan
            state["plan_amount"] = _PLANS[new_plan][1][currency]
        elif kind == "addon":
            have = {a["id"] for a in state["addons"]}
            free = [a for a in sorted(_ADDONS) if a not in have]
            if not free:
                continue
            addon = rng.choice(free)
            state["addons"].append({"id": addon, "quantity": rng.randint(1, 3), "unit_price": _ADDONS[addon][currency]})
        elif kind == "drop_addon":
            if not state["addons"]:
                continue
            state["addons"].pop(rng.randrange(len(state["addons"])))
        elif kind == "coupon":
            if state["coupons"]:
                continue
            state["coupons"].append({"coupon_id": rng.choice(_COUPONS), "applied_count": 1})
        elif kind == "non_renew":
            state["status"] = "non_renewing"
        elif kind == "cancel":
            state["status"] = "cancelled"
            state["cancelled_at"] = ts
        elif kind == "delete":
            if state["status"] != "cancelled":
                state["status"] = "cancelled"
                state["cancelled_at"] = ts
            state["deleted"] = True
        if ts <= state["updated_at"]:  # two changes in the same second: keep updated_at strictly increasing
            ts = state["updated_at"] + 1
        state["updated_at"] = ts
        history.append((ts, json.loads(json.dumps(state))))
    return history


# 1 unit of the currency in EUR, around early 2024
_RATES_TO_EUR = {
    "EUR": 1.0, "USD": 0.92, "GBP": 1.17, "CHF": 1.05, "JPY": 0.0063, "CAD": 0.68, "AUD": 0.61, "SEK": 0.088,
    "NOK": 0.087, "DKK": 0.134, "PLN": 0.23, "INR": 0.011,
}  # fmt: skip


def generate_exchange_rates(
    out_dir: str | Path,
    *,
    currencies: Sequence[str] = ("USD", "GBP", "EUR"),
    start: dt.date = dt.date(2024, 1, 1),
    end: dt.date = dt.date(2024, 4, 30),
    seed: int = 0,
) -> list[str]:
    """Write ``exchange_rates/{YYYY-MM}.jsonl``: one ``{"date", "currency", "rate_to_eur"}`` line per day (from
    ``start`` to ``end`` inclusive) and currency, in ``currencies`` order within a day. ``rate_to_eur`` is what
    one unit of the currency is worth in EUR (a seeded daily random walk: 4 decimals, or 4 significant digits
    below 1); EUR is always 1.0.
    """
    if end < start:
        raise ValueError("end must not be before start")
    walks: dict[str, tuple[random.Random, float]] = {}
    for cur in currencies:
        rng = _rng("fx", seed, cur)
        base = _RATES_TO_EUR.get(cur.upper())
        if base is None:
            base = rng.uniform(0.05, 1.5)
        walks[cur] = (rng, base * math.exp(rng.gauss(0.0, 0.01)))

    out = Path(out_dir)
    keys: list[str] = []
    fh = None
    try:
        day = start
        while day <= end:
            key = f"exchange_rates/{day:%Y-%m}.jsonl"
            if not keys or keys[-1] != key:
                if fh is not None:
                    fh.close()
                fh = _open(out, key)
                keys.append(key)
            for cur in currencies:
                if cur.upper() == "EUR":
                    rate = 1.0
                else:
                    rng, level = walks[cur]
                    level *= math.exp(rng.gauss(0.0, 0.003))
                    walks[cur] = (rng, level)
                    rate = float(f"{level:.4g}") if level < 1 else round(level, 4)
                fh.write(json.dumps({"date": day.isoformat(), "currency": cur, "rate_to_eur": rate}) + "\n")
            day += dt.timedelta(days=1)
    finally:
        if fh is not None:
            fh.close()
    return keys


# --------------------------------------------------------------------------------------------------------------
# 3. Clickstream (Kinesis Firehose deliveries)
# --------------------------------------------------------------------------------------------------------------

_ELEMENTS = tuple(
    [f"entree_{i}" for i in range(1, 9)]
    + [f"drink_{i}" for i in range(1, 7)]
    + [f"appetizer_{i}" for i in range(1, 6)]
    + [f"dessert_{i}" for i in range(1, 5)]
    + [f"side_{i}" for i in range(1, 4)]
)
_MENUS = ("restaurant_name", "restaurant_name", "lunch_menu", "dinner_menu", "drinks_menu", "kids_menu")
_EN_DASH_RATE = 0.30
_CAMEL_CASE_RATE = 0.10


def generate_clickstream(
    out_dir: str | Path,
    *,
    start: dt.datetime,
    hours: int = 3,
    events_per_hour: int = 40,
    seed: int = 0,
    concatenated_every: int = 2,
) -> list[str]:
    """Write ``clickstream/{yyyy}/{mm}/{dd}/{hh}/events-{n}.json`` for ``hours`` hours from ``start``'s hour.

    Each hour gets ``events_per_hour`` events (from ``start`` on in the first hour) split, in time order, over
    2-3 files (``n`` counts from 1 within the hour). Records look like the seed sample: ``element_clicked``,
    ``time_spent``, ``source_menu``, ``created_at`` (``YYYY-MM-DD HH:MM:SS``); ~30% of dates use an EN DASH
    (U+2013) instead of ``-`` and ~10% of records spell the key ``createdAt``. Every ``concatenated_every``-th
    file of the call (counted over all hours; 0 = never) holds records concatenated without any separator
    (``{...}{...}``), the others one record per line.
    """
    if hours < 0 or events_per_hour < 0:
        raise ValueError("hours and events_per_hour must be >= 0")
    if start.tzinfo is not None:
        start = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    out = Path(out_dir)
    keys: list[str] = []
    file_no = 0
    for h in range(hours):
        hour = first_hour + dt.timedelta(hours=h)
        rng = _rng("clickstream", seed, hour.isoformat())
        lo = int((start - hour).total_seconds()) if h == 0 else 0
        offsets = sorted(rng.randrange(lo, 3600) for _ in range(events_per_hour))
        n_files = min(rng.randint(2, 3), max(1, events_per_hour))
        cuts = sorted(rng.sample(range(1, events_per_hour), n_files - 1)) if n_files > 1 else []
        bounds = [0, *cuts, events_per_hour]
        for n in range(1, n_files + 1):
            file_no += 1
            concatenated = concatenated_every > 0 and file_no % concatenated_every == 0
            key = f"clickstream/{hour:%Y/%m/%d/%H}/events-{n}.json"
            with _open(out, key) as fh:
                for offset in offsets[bounds[n - 1] : bounds[n]]:
                    created = (hour + dt.timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
                    if rng.random() < _EN_DASH_RATE:
                        created = created.replace("-", EN_DASH)
                    record = {
                        "element_clicked": rng.choice(_ELEMENTS),
                        "time_spent": min(600, int(rng.expovariate(1 / 30)) + 1),
                        "source_menu": rng.choice(_MENUS),
                        "createdAt" if rng.random() < _CAMEL_CASE_RATE else "created_at": created,
                    }
                    fh.write(json.dumps(record, ensure_ascii=False))
                    if not concatenated:
                        fh.write("\n")
            keys.append(key)
    return keys


# --------------------------------------------------------------------------------------------------------------
# Demo landing
# --------------------------------------------------------------------------------------------------------------

DEMO_STORES = ("DEL-A", "BLR-B")
DEMO_FIRST_DAY = dt.date(2024, 3, 1)


def write_demo_landing(out_dir: str | Path, *, days: int = 3, seed: int = 0) -> list[str]:
    """A small, complete landing zone: 2 stores x ``days`` days of sales (from 2024-03-01, 50 rows a file),
    subscriptions for 2024-01..2024-03, exchange rates 2024-01-01..2024-04-30 and 3 hours of clickstream
    (2024-03-01 09:00-12:00). Returns every key written."""
    keys = generate_sales(
        out_dir,
        stores=list(DEMO_STORES),
        days=[DEMO_FIRST_DAY + dt.timedelta(days=i) for i in range(days)],
        rows_per_file=50,
        seed=seed,
    )
    keys += generate_subscriptions(
        out_dir, n_subscriptions=50, months=["2024-01", "2024-02", "2024-03"], seed=seed
    )
    keys += generate_exchange_rates(out_dir, seed=seed)
    keys += generate_clickstream(out_dir, start=dt.datetime(2024, 3, 1, 9), hours=3, events_per_hour=40, seed=seed)
    return keys
