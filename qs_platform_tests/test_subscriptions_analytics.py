"""Subscription analytics (assets_config/tables/subscriptions.yaml) against an independent plain-Python computation.

Generated pulls and exchange rates plus a few hand-made pulls land in a lake, every file is ingested, the three
tables are built with the shipped SQL, and each table must equal, exactly, what the json module + datetime +
Decimal compute from the same landed files. The reference below is written from the definitions in the tables'
descriptions, not from the SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from qs_platform.examples.generators import generate_exchange_rates, generate_subscriptions
from qs_platform.lake import LocalLake
from qs_platform.transform.run import connect_with_tables, run_transform
from qs_platform_tests.conftest import ingest

TABLES = ("subscriptions_latest", "subscriptions_mrr_monthly", "subscriptions_mom")
CENT = Decimal("0.01")
COUNTED_STATUSES = {"active", "non_renewing"}


# ---- hand-made pulls ---------------------------------------------------------------------------------------


def _epoch(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.timezone.utc).timestamp())


def _subscription(sub_id: str, updated_at: int, **changes) -> dict:
    obj = {
        "id": sub_id,
        "customer_id": f"cust-{sub_id}",
        "plan_id": "hand-plan",
        "status": "active",
        "currency_code": "EUR",
        "plan_amount": 1000,
        "plan_quantity": 1,
        "billing_period": 1,
        "billing_period_unit": "month",
        "created_at": _epoch(2024, 1, 2),
        "updated_at": updated_at,
        "started_at": _epoch(2024, 1, 2),
        "cancelled_at": None,
        "deleted": False,
        "customer": {"id": f"cust-{sub_id}", "email": f"{sub_id}@example.com",
                     "billing_address": {"city": "Berlin", "country": "DE", "zip": "10115"}},
        "addons": [],
        "coupons": [],
    }  # fmt: skip
    obj.update(changes)
    return obj


# 3 versions; the newest (v3) arrives in an earlier file than v2, which comes last (a late backfill).
# A year plan of 18.06 EUR: 150.5 cents a month, rounded half-up to 1.51; quantity 3 -> 451.5 cents -> 4.52.
THREE = [
    _subscription("hand-three-versions", _epoch(2024, 1, 5), plan_amount=1806, billing_period_unit="year"),
    _subscription("hand-three-versions", _epoch(2024, 1, 20), plan_amount=1806, billing_period_unit="year", plan_quantity=2),
    _subscription("hand-three-versions", _epoch(2024, 2, 10), plan_amount=1806, billing_period_unit="year", plan_quantity=3),
]
# deleted in February, updated again (not deleted) in March: gone from the latest state; counted in January only
DELETED = [
    _subscription("hand-deleted", _epoch(2024, 1, 3), currency_code="GBP", plan_amount=2400),
    _subscription("hand-deleted", _epoch(2024, 2, 10), currency_code="GBP", plan_amount=2400, status="cancelled",
                  cancelled_at=_epoch(2024, 2, 10), deleted=True),
    _subscription("hand-deleted", _epoch(2024, 3, 5), currency_code="GBP", plan_amount=2400),
]  # fmt: skip
# one version in two overlapping pulls (the look-back hour before the 2024-01-08 pull), in files of different content
DUPLICATE = _subscription("hand-duplicate", _epoch(2024, 1, 7, 23, 30), currency_code="USD", plan_amount=9900, plan_quantity=2)
# cancelled at exactly 2024-02-01 00:00:00 UTC: still active at the end of January, gone at the end of February
EDGE = [
    _subscription("hand-cancel-at-month-end", _epoch(2024, 1, 10), currency_code="USD"),
    _subscription("hand-cancel-at-month-end", _epoch(2024, 2, 1), currency_code="USD", status="cancelled",
                  cancelled_at=_epoch(2024, 2, 1)),
]  # fmt: skip

# non_renewing with the cancellation scheduled for exactly 2024-03-01 00:00:00 UTC: counts at the end of February
SCHEDULED = _subscription("hand-scheduled-cancel", _epoch(2024, 2, 15), plan_amount=5000, status="non_renewing",
                          cancelled_at=_epoch(2024, 3, 1))

HAND_PULLS = {
    "subscriptions/2024-01-08/handmade-1.json": [THREE[0], DELETED[0], DUPLICATE],
    "subscriptions/2024-01-15/handmade-2.json": [DUPLICATE, EDGE[0]],
    "subscriptions/2024-02-15/handmade-1.json": [THREE[2], DELETED[1], EDGE[1], SCHEDULED],
    "subscriptions/2024-03-08/handmade-1.json": [DELETED[2]],
    "subscriptions/2024-03-30/handmade-backfill.json": [THREE[1]],  # the last file holds an older version
}


# ---- the lake, built once -----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[11, 29], ids=["seed11", "held-out-seed29"])
def built(request, tmp_path_factory, config):
    """Two generated histories (other ids, versions, deletions, currencies), each checked against Python."""
    lake = LocalLake(tmp_path_factory.mktemp("subscriptions") / "lake")
    landing = lake.root / "landing"
    keys = generate_subscriptions(landing, n_subscriptions=80, seed=request.param)
    keys += generate_exchange_rates(landing, seed=request.param)
    for key, objects in HAND_PULLS.items():
        (landing / key).parent.mkdir(parents=True, exist_ok=True)
        (landing / key).write_text(json.dumps(objects))
        keys.append(key)
    for key in keys:
        source = config.source(key.split("/", 1)[0])
        result = ingest(lake, source, f"landing/{key}")
        assert result.status == "loaded" and result.rejected_rows == 0, result
    tables = {}
    for name in TABLES:
        result = run_transform(lake, config, config.table(name))
        assert result.published
        tables[name] = rows(lake, result)
    return lake, landing, tables


def rows(lake: LocalLake, result) -> list[dict]:
    relation = duckdb.sql(f"select * from read_parquet('{lake.uri(result.key)}')")
    return [dict(zip(relation.columns, row)) for row in relation.fetchall()]


# ---- the independent computation ----------------------------------------------------------------------------


def ts(epoch: int | None) -> dt.datetime | None:
    """Epoch seconds as the naive UTC datetime a TIMESTAMP column reads back as."""
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)


def units(cents: int | Fraction) -> Decimal:
    """Cents (possibly fractional, never negative) to currency units, rounded half-up to the cent."""
    whole_cents = int(Fraction(cents) + Fraction(1, 2))
    return (Decimal(whole_cents) / 100).quantize(CENT)


def monthly_amount(obj: dict) -> Decimal:
    months = (12 if obj["billing_period_unit"] == "year" else 1) * (obj["billing_period"] or 1)
    return units(Fraction(obj["plan_amount"] * (obj["plan_quantity"] or 1), months))


def load_versions(landing: Path) -> dict[str, list[dict]]:
    """Every distinct version (id, updated_at) of every subscription, oldest first."""
    seen: dict[tuple[str, int], dict] = {}
    for path in sorted((landing / "subscriptions").rglob("*.json")):
        for obj in json.loads(path.read_text(encoding="utf-8")):
            key = (obj["id"], obj["updated_at"])
            assert seen.setdefault(key, obj) == obj, f"two contents for version {key}"
    by_id: dict[str, list[dict]] = defaultdict(list)
    for (sub_id, _), obj in sorted(seen.items()):
        by_id[sub_id].append(obj)
    return by_id


def load_rates(landing: Path) -> dict[tuple[dt.date, str], Decimal]:
    rates = {}
    for path in sorted((landing / "exchange_rates").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            rates[(dt.date.fromisoformat(record["date"]), record["currency"])] = Decimal(repr(record["rate_to_eur"]))
    return rates


def rate(rates, day: dt.date, currency: str) -> Decimal | None:
    return Decimal(1) if currency == "EUR" else rates.get((day, currency))


def to_eur(amount: Decimal, rate_to_eur: Decimal | None) -> Decimal | None:
    if amount == 0:
        return Decimal("0.00")
    return None if rate_to_eur is None else (amount * rate_to_eur).quantize(CENT, ROUND_HALF_UP)


def add_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def expected_latest(versions: dict[str, list[dict]]) -> list[dict]:
    out = []
    for sub_id, history in sorted(versions.items()):
        if any(v["deleted"] for v in history):
            continue
        v = max(history, key=lambda o: o["updated_at"])
        out.append({
            "id": sub_id, "customer_id": v["customer_id"], "customer_email": v["customer"]["email"],
            "plan_id": v["plan_id"], "status": v["status"], "currency_code": v["currency_code"],
            "plan_amount": units(v["plan_amount"]), "plan_quantity": v["plan_quantity"],
            "billing_period": v["billing_period"], "billing_period_unit": v["billing_period_unit"],
            "monthly_amount": monthly_amount(v), "created_at": ts(v["created_at"]), "updated_at": ts(v["updated_at"]),
            "started_at": ts(v["started_at"]), "cancelled_at": ts(v["cancelled_at"]),
            "billing_city": v["customer"]["billing_address"]["city"],
            "billing_country": v["customer"]["billing_address"]["country"],
            "billing_zip": v["customer"]["billing_address"]["zip"], "version_count": len(history),
        })  # fmt: skip
    return out


def months_of(versions) -> list[dt.date]:
    stamps = [ts(v["updated_at"]) for history in versions.values() for v in history]
    month, last = min(stamps).date().replace(day=1), max(stamps).date().replace(day=1)
    out = []
    while month <= last:
        out.append(month)
        month = add_month(month)
    return out


def expected_mrr(versions, rates) -> list[dict]:
    currencies = sorted({v["currency_code"] for history in versions.values() for v in history})
    out = []
    for month in months_of(versions):
        end = dt.datetime.combine(add_month(month), dt.time())  # the first instant after the month
        mrr, count = defaultdict(Decimal), defaultdict(int)
        for history in versions.values():
            known = [v for v in history if ts(v["updated_at"]) < end]
            if not known or any(v["deleted"] for v in known):
                continue
            state = max(known, key=lambda o: o["updated_at"])
            if (
                state["status"] in COUNTED_STATUSES
                and state["started_at"] is not None and ts(state["started_at"]) < end
                and (state["cancelled_at"] is None or ts(state["cancelled_at"]) >= end)
            ):  # fmt: skip
                mrr[state["currency_code"]] += monthly_amount(state)
                count[state["currency_code"]] += 1
        for currency in currencies:
            amount = mrr[currency].quantize(CENT)
            r = rate(rates, end.date(), currency)
            out.append({
                "month": month, "currency_code": currency, "active_subscriptions": count[currency],
                "mrr": amount, "arr": 12 * amount, "rate_date": end.date(), "rate_to_eur": r,
                "mrr_eur": to_eur(amount, r), "arr_eur": to_eur(12 * amount, r),
            })  # fmt: skip
    return out


def expected_mom(mrr_rows: list[dict], rates) -> list[dict]:
    by_month: dict[dt.date, list[dict]] = defaultdict(list)
    for row in mrr_rows:
        by_month[row["month"]].append(row)

    def total(values):
        return None if any(v is None for v in values) else sum(values, Decimal("0.00"))

    out, previous = [], None
    for month in sorted(by_month):
        arr_eur = total([r["arr_eur"] for r in by_month[month]])
        row = {"month": month, "arr_eur": arr_eur, "previous_month": None, "previous_arr_eur": None,
               "arr_eur_diff": None, "arr_eur_at_previous_rates": None, "currency_effect": None, "volume_effect": None}  # fmt: skip
        if previous is not None:
            # this month's ARR valued at the rate the previous month was valued at: the first day of this month
            at_previous = total([to_eur(r["arr"], rate(rates, month, r["currency_code"])) for r in by_month[month]])
            prev_eur = previous["arr_eur"]
            row.update(
                previous_month=previous["month"],
                previous_arr_eur=prev_eur,
                arr_eur_diff=None if arr_eur is None or prev_eur is None else arr_eur - prev_eur,
                arr_eur_at_previous_rates=at_previous,
                currency_effect=None if arr_eur is None or at_previous is None else arr_eur - at_previous,
                volume_effect=None if at_previous is None or prev_eur is None else at_previous - prev_eur,
            )
        out.append(row)
        previous = row
    return out


# ---- tests --------------------------------------------------------------------------------------------------


def test_latest_state_per_id_matches_python(built):
    _, landing, tables = built
    got = [{k: v for k, v in row.items() if k != "_source_key"} for row in tables["subscriptions_latest"]]
    expected = expected_latest(load_versions(landing))
    assert got == expected

    latest = {row["id"]: row for row in got}
    # the newest version wins although a later file delivered an older one
    three = latest["hand-three-versions"]
    assert (three["plan_quantity"], three["monthly_amount"], three["version_count"]) == (3, Decimal("4.52"), 3)
    assert three["updated_at"] == dt.datetime(2024, 2, 10)
    # deleted once, updated again later: stays removed; and so does every generated deleted id
    assert "hand-deleted" not in latest
    versions = load_versions(landing)
    ever_deleted = {i for i, history in versions.items() if any(v["deleted"] for v in history)}
    assert ever_deleted - {"hand-deleted"} and not ever_deleted & latest.keys()
    # one version delivered twice counts once
    assert latest["hand-duplicate"]["version_count"] == 1
    assert latest["hand-duplicate"]["monthly_amount"] == Decimal("198.00")


def test_the_duplicate_version_really_reaches_the_raw_table_twice(built, config):
    lake, _, _ = built
    with connect_with_tables(lake, config, ["raw.subscriptions"]) as con:
        copies = con.execute("select count(*) from raw.subscriptions where id = 'hand-duplicate'").fetchone()[0]
    assert copies == 2  # two files of different content: the raw layer's own de-duplication does not hide it


def test_monthly_mrr_and_arr_in_eur_match_python(built):
    _, landing, tables = built
    versions, rates = load_versions(landing), load_rates(landing)
    expected = expected_mrr(versions, rates)
    assert tables["subscriptions_mrr_monthly"] == expected

    snapshot = {(r["month"], r["currency_code"]): r for r in expected}
    assert {m for m, _ in snapshot} >= {dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)}
    # converted with the rate of the first day of the next month
    march_usd = snapshot[(dt.date(2024, 3, 1), "USD")]
    assert march_usd["rate_date"] == dt.date(2024, 4, 1) and march_usd["rate_to_eur"] == rates[(dt.date(2024, 4, 1), "USD")]
    assert march_usd["arr_eur"] == (march_usd["arr"] * march_usd["rate_to_eur"]).quantize(CENT, ROUND_HALF_UP)
    # every month of the generated window is fully convertible
    assert all(r["arr_eur"] is not None for r in expected if r["month"] >= dt.date(2023, 12, 1))


def test_hand_made_cases_count_as_of_each_month_end(built):
    """The hand-made ids alone, through the same reference: which months each one counts in, and for how much."""
    _, landing, _ = built
    versions = load_versions(landing)
    hand = {i: h for i, h in versions.items() if i.startswith("hand-")}
    counted = defaultdict(Decimal)
    for row in expected_mrr(hand, load_rates(landing)):
        counted[(row["month"].month, row["currency_code"])] += row["mrr"]
    assert dict(counted) == {
        (1, "EUR"): Decimal("3.01"), (2, "EUR"): Decimal("54.52"), (3, "EUR"): Decimal("4.52"),  # v2, v3 (+50), v3
        (1, "GBP"): Decimal("24.00"), (2, "GBP"): Decimal("0.00"), (3, "GBP"): Decimal("0.00"),  # deleted in Feb
        (1, "USD"): Decimal("208.00"), (2, "USD"): Decimal("198.00"), (3, "USD"): Decimal("198.00"),  # 198 once + 10
    }  # fmt: skip


def test_month_over_month_diff_and_currency_effect_match_python(built):
    _, landing, tables = built
    rates = load_rates(landing)
    expected = expected_mom(expected_mrr(load_versions(landing), rates), rates)
    assert tables["subscriptions_mom"] == expected

    for row in expected:
        if row["arr_eur_diff"] is not None and row["arr_eur_at_previous_rates"] is not None:
            assert row["arr_eur_diff"] == row["currency_effect"] + row["volume_effect"]
    march = next(r for r in expected if r["month"] == dt.date(2024, 3, 1))
    assert march["previous_month"] == dt.date(2024, 2, 1) and march["currency_effect"] not in (None, Decimal(0))


def test_every_table_runs_on_empty_raw_tables(lake, config):
    expected_columns = {
        "subscriptions_latest": {"id": "VARCHAR", "monthly_amount": "DECIMAL(18,2)", "updated_at": "TIMESTAMP"},
        "subscriptions_mrr_monthly": {"month": "DATE", "mrr": "DECIMAL(18,2)", "arr_eur": "DECIMAL(18,2)"},
        "subscriptions_mom": {"month": "DATE", "arr_eur_diff": "DECIMAL(18,2)", "currency_effect": "DECIMAL(18,2)"},
    }
    for name in TABLES:
        result = run_transform(lake, config, config.table(name))
        assert result.published and result.row_count == 0, name
        assert expected_columns[name].items() <= dict(result.columns).items(), name
