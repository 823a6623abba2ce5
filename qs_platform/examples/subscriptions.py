"""Chargebee-like subscription pulls (incremental, paginated, several versions per id) and daily exchange rates."""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path

from qs_platform.examples.common import FIRST_NAMES, LAST_NAMES, open_key, seeded

__all__ = ["generate_subscriptions", "generate_exchange_rates"]

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
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp())


def _month_start(month: str) -> dt.date:
    year, mon = (int(p) for p in month.split("-"))
    return dt.date(year, mon, 1)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _add_months(ts: int, n: int) -> int:
    t = dt.datetime.fromtimestamp(ts, dt.UTC)
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
    missing_pulls: Sequence[str | dt.date] = (),
) -> list[str]:
    """Write incremental pulls ``subscriptions/{YYYY-MM-DD}/pull-{n}.json`` (each a JSON array).

    Pulls happen at 00:00 UTC on the 1st, 8th, 15th and 22nd of every month and on the 1st of the month after
    the last one. The first pull is a full load (every subscription updated before it); each later pull holds
    the *current* state of every subscription updated since the previous pull (minus a one-hour look-back), sorted
    by ``updated_at``, in pages of ``page_size`` objects (``pull-1.json``, ``pull-2.json``, ...; an empty pull
    writes ``[]``). Subscriptions renew (monthly plans update every month), change quantity, plan, add-ons and
    coupons, go through trials, get cancelled and some (about 10%) are later deleted (``"deleted": true``).

    Amounts are in cents: ``plan_unit_price`` x ``plan_quantity`` = ``plan_amount`` (the plan's total per billing
    period), and every add-on carries its ``quantity``, ``unit_price`` and ``amount`` = their product. Each version
    has its ``current_term_start``/``current_term_end``: the trial, then one billing period renewed at its end;
    a non-renewing subscription keeps its last term and is cancelled at its end (``cancelled_at`` is that
    scheduled end from the moment it stops renewing), an immediate cancellation or a deletion ends the term then.

    ``missing_pulls`` (dates, ``YYYY-MM-DD``) are pulls whose files never land: the puller's watermark moved on,
    so what changed only in that window is never delivered (e.g. a cancellation at a term's end).
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

    master = seeded("subscriptions", seed)
    n_deleted = max(1, round(n_subscriptions * 0.1)) if n_subscriptions >= 2 else 0
    deleted_idx = set(master.sample(range(n_subscriptions), n_deleted))
    used_ids: set[str] = set()
    histories = [
        _subscription_history(master, used_ids, i in deleted_idx, window_start, window_end)
        for i in range(n_subscriptions)
    ]

    lost = {d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in missing_pulls}
    out = Path(out_dir)
    keys: list[str] = []
    previous: int | None = None
    for pull_date in pull_dates:
        at = _epoch(pull_date)
        if pull_date in lost:
            previous = at
            continue
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
            with open_key(out, key) as fh:
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
    first_name, last_name = (
        rng.choice(FIRST_NAMES + ("Emma", "Liam", "Sofia", "Lucas", "Mia", "Noah")),
        rng.choice(LAST_NAMES + ("Smith", "Müller", "Dubois", "García", "Rossi", "O'Brien")),
    )
    city, country, zip_pattern = rng.choice(_ADDRESSES[currency])
    in_trial = rng.random() < 0.3
    state: dict = {
        "id": sub_id,
        "customer_id": customer_id,
        "plan_id": plan_id,
        "status": "in_trial" if in_trial else "active",
        "currency_code": currency,
        "plan_unit_price": prices[currency],
        "plan_quantity": rng.choice((1, 1, 1, 2, 3, 5, 10, 25)),
        "plan_amount": 0,  # set by _price
        "billing_period": 1,
        "billing_period_unit": unit,
        "created_at": created,
        "updated_at": created,
        "started_at": created,
        "cancelled_at": None,
        "current_term_start": created,
        "current_term_end": None,
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
            state["addons"].append(_addon(addon, rng.randint(1, 3), _ADDONS[addon][currency]))
    if rng.random() < 0.25:
        state["coupons"].append({"coupon_id": rng.choice(_COUPONS), "applied_count": 1})

    # planned events: (ts, kind)
    events: list[tuple[int, str]] = []
    term_start = created + (14 * _DAY if in_trial else 0)
    if in_trial:
        events.append((term_start, "trial_end"))
    step = 1 if unit == "month" else 12
    state["current_term_end"] = term_start if in_trial else _add_months(created, step)
    _price(state)
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
    deleted_at = None
    if deleted:
        lo = max(created, window_start) + 3_600
        deleted_at = rng.randint(lo, max(lo, window_end - 3_600))
        events = [e for e in events if e[0] < deleted_at] + [(deleted_at, "delete")]
    events.sort(key=lambda e: (e[0], e[1]))

    history: list[tuple[int, dict]] = [(created, json.loads(json.dumps(state)))]
    while events:
        ts, kind = events.pop(0)
        status = state["status"]
        if status == "cancelled" and kind != "delete":
            continue
        if kind == "trial_end":
            if status != "in_trial":
                continue
            state["status"] = "active"
            state["current_term_start"], state["current_term_end"] = ts, _add_months(ts, step)
        elif kind == "renewal":
            if status in ("in_trial", "non_renewing"):
                continue
            state["current_term_start"], state["current_term_end"] = ts, _add_months(ts, step)
            for coupon in state["coupons"]:
                coupon["applied_count"] += 1
        elif kind == "quantity":
            state["plan_quantity"] = max(1, state["plan_quantity"] + rng.choice((-2, -1, 1, 1, 2, 3)))
        elif kind == "upgrade":
            new_plan = _UPGRADES.get(state["plan_id"])
            if new_plan is None:
                continue
            state["plan_id"] = new_plan
            state["plan_unit_price"] = _PLANS[new_plan][1][currency]
        elif kind == "addon":
            have = {a["id"] for a in state["addons"]}
            free = [a for a in sorted(_ADDONS) if a not in have]
            if not free:
                continue
            addon = rng.choice(free)
            state["addons"].append(_addon(addon, rng.randint(1, 3), _ADDONS[addon][currency]))
        elif kind == "drop_addon":
            if not state["addons"]:
                continue
            state["addons"].pop(rng.randrange(len(state["addons"])))
        elif kind == "coupon":
            if state["coupons"]:
                continue
            state["coupons"].append({"coupon_id": rng.choice(_COUPONS), "applied_count": 1})
        elif kind == "non_renew":  # cancelled at the end of the current term
            if status != "active":
                continue
            state["status"] = "non_renewing"
            state["cancelled_at"] = state["current_term_end"]
            bisect.insort(events, (state["current_term_end"], "term_end_cancel"))
        elif kind == "term_end_cancel":
            if status != "non_renewing":
                continue
            state["status"] = "cancelled"
        elif kind == "cancel":
            state["status"] = "cancelled"
            state["cancelled_at"] = state["current_term_end"] = ts
        elif kind == "delete":
            if state["status"] != "cancelled":
                state["status"] = "cancelled"
                state["cancelled_at"] = state["current_term_end"] = ts
            state["deleted"] = True
        _price(state)
        if ts <= state["updated_at"]:  # two changes in the same second: keep updated_at strictly increasing
            ts = state["updated_at"] + 1
        state["updated_at"] = ts
        history.append((ts, json.loads(json.dumps(state))))
    return history


def _addon(addon_id: str, quantity: int, unit_price: int) -> dict:
    return {"id": addon_id, "quantity": quantity, "unit_price": unit_price, "amount": quantity * unit_price}


def _price(state: dict) -> None:
    """plan_amount is the plan's total: unit price x quantity (the API sends all three)."""
    state["plan_amount"] = state["plan_unit_price"] * state["plan_quantity"]


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
        rng = seeded("fx", seed, cur)
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
                fh = open_key(out, key)
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
