"""Subscription analytics (assets_config/tables/subscriptions.yaml) against an independent plain-Python computation.

Two generated histories (seed 11 and a held-out seed 29 whose 2024-02-15 pull never lands), exchange rates and
hand-made pulls land in one lake, `sync` builds everything, and each table must equal, exactly, what the json
module + datetime + Decimal compute from the same landed files. The reference follows the replaced system's
definitions (MRR = (plan_amount + add-on amounts) / months of the billing period; a subscription counts in a month
only while its current term overlaps it; currency effect = previous ARR x the rate change), not the SQL.
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

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import lineage_config
from qs_platform.config.settings import Settings
from qs_platform.examples.generators import generate_exchange_rates, generate_subscriptions
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, memory_instance

TABLES = (
    "subscriptions_versions", "subscriptions_latest", "subscriptions_monthly", "subscriptions_mrr_monthly",
    "subscriptions_mrr_by_plan", "subscriptions_mom", "subscriptions_bridge",
)  # fmt: skip
CENT = Decimal("0.01")
COUNTED_STATUSES = {"active", "non_renewing"}
HELD_OUT_MISSING_PULL = "2024-02-15"


# ---- hand-made pulls ---------------------------------------------------------------------------------------


def _epoch(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


def _subscription(sub_id: str, updated_at: int, **changes) -> dict:
    obj = {
        "id": sub_id,
        "customer_id": f"cust-{sub_id}",
        "plan_id": "hand-plan",
        "status": "active",
        "currency_code": "EUR",
        "plan_unit_price": 1000,
        "plan_quantity": 1,
        "plan_amount": 1000,
        "billing_period": 1,
        "billing_period_unit": "month",
        "created_at": _epoch(2024, 1, 2),
        "updated_at": updated_at,
        "started_at": _epoch(2024, 1, 2),
        "cancelled_at": None,
        "current_term_start": _epoch(2024, 1, 2),
        "current_term_end": _epoch(2025, 1, 2),
        "deleted": False,
        "customer": {"id": f"cust-{sub_id}", "email": f"{sub_id}@example.com",
                     "billing_address": {"city": "Berlin", "country": "DE", "zip": "10115"}},
        "addons": [],
        "coupons": [],
    }  # fmt: skip
    obj.update(changes)
    return obj


# 3 versions; the newest (v3) arrives in an earlier file than v2, which comes last (a late backfill).
# A year plan of 18.06 EUR a seat: 3 seats = 54.18 a year, 451.5 cents a month, rounded half-up to 4.52.
THREE = [
    _subscription("hand-three-versions", _epoch(2024, 1, 5), plan_unit_price=1806, plan_amount=1806, billing_period_unit="year"),
    _subscription("hand-three-versions", _epoch(2024, 1, 20), plan_unit_price=1806, plan_amount=3612, billing_period_unit="year",
                  plan_quantity=2),
    _subscription("hand-three-versions", _epoch(2024, 2, 10), plan_unit_price=1806, plan_amount=5418, billing_period_unit="year",
                  plan_quantity=3),
]  # fmt: skip
# deleted in February, updated again (not deleted) in March: gone from the latest state; counted in January only
DELETED = [
    _subscription("hand-deleted", _epoch(2024, 1, 3), currency_code="GBP", plan_unit_price=2400, plan_amount=2400),
    _subscription("hand-deleted", _epoch(2024, 2, 10), currency_code="GBP", plan_unit_price=2400, plan_amount=2400,
                  status="cancelled", cancelled_at=_epoch(2024, 2, 10), deleted=True),
    _subscription("hand-deleted", _epoch(2024, 3, 5), currency_code="GBP", plan_unit_price=2400, plan_amount=2400),
]  # fmt: skip
# one version in two overlapping pulls (the look-back hour before the 2024-01-08 pull), in files of different content:
# 2 seats of 49.50 = 99.00 a month (plan_amount is the total: never multiplied by the quantity again)
DUPLICATE = _subscription("hand-duplicate", _epoch(2024, 1, 7, 23, 30), currency_code="USD", plan_unit_price=4950,
                          plan_amount=9900, plan_quantity=2)  # fmt: skip
# cancelled at exactly 2024-02-01 00:00:00 UTC: still active at the end of January, gone at the end of February
EDGE = [
    _subscription("hand-cancel-at-month-end", _epoch(2024, 1, 10), currency_code="USD"),
    _subscription("hand-cancel-at-month-end", _epoch(2024, 2, 1), currency_code="USD", status="cancelled",
                  cancelled_at=_epoch(2024, 2, 1), current_term_end=_epoch(2024, 2, 1)),
]  # fmt: skip
# non_renewing with the cancellation scheduled for exactly 2024-03-01 00:00:00 UTC: counts at the end of February
SCHEDULED = _subscription("hand-scheduled-cancel", _epoch(2024, 2, 15), plan_unit_price=5000, plan_amount=5000,
                          status="non_renewing", cancelled_at=_epoch(2024, 3, 1), current_term_end=_epoch(2024, 3, 1))  # fmt: skip
# add-ons count: 2 seats x 5.00 = 10.00 plus an add-on of 2 x 1.50 = 3.00 -> 13.00 a month; a year plan of 120.00
# with a 12.00 add-on -> 11.00 a month
ADDONS = [
    _subscription("hand-addons-monthly", _epoch(2024, 1, 12), plan_unit_price=500, plan_quantity=2, plan_amount=1000,
                  addons=[{"id": "sso", "quantity": 2, "unit_price": 150, "amount": 300}]),
    _subscription("hand-addons-yearly", _epoch(2024, 1, 12), currency_code="GBP", plan_unit_price=12000, plan_amount=12000,
                  billing_period_unit="year", addons=[{"id": "support", "quantity": 1, "unit_price": 1200, "amount": 1200}]),
]  # fmt: skip
# the renewal (or cancellation) never arrived: the last version's term ended on 2024-02-10, so it counts in January
# and February only, however long its 'active' status stays the newest known
TERM_ENDED = _subscription("hand-term-ended", _epoch(2024, 1, 10), currency_code="USD", plan_unit_price=2000,
                           plan_amount=2000, current_term_start=_epoch(2024, 1, 10), current_term_end=_epoch(2024, 2, 10))  # fmt: skip
# non-renewing without a cancellation date, its last term ending 2024-02-20: January and February only
NON_RENEWING = _subscription("hand-non-renewing", _epoch(2024, 1, 20), currency_code="GBP", plan_unit_price=700,
                             plan_amount=700, status="non_renewing", current_term_start=_epoch(2024, 1, 20),
                             current_term_end=_epoch(2024, 2, 20))  # fmt: skip

HAND_PULLS = {
    "subscriptions/2024-01-08/handmade-1.json": [THREE[0], DELETED[0], DUPLICATE],
    "subscriptions/2024-01-15/handmade-2.json": [DUPLICATE, EDGE[0], *ADDONS, TERM_ENDED],
    "subscriptions/2024-01-22/handmade-1.json": [NON_RENEWING],
    "subscriptions/2024-02-15/handmade-1.json": [THREE[2], DELETED[1], EDGE[1], SCHEDULED],
    "subscriptions/2024-03-08/handmade-1.json": [DELETED[2]],
    "subscriptions/2024-03-30/handmade-backfill.json": [THREE[1]],  # the last file holds an older version
}


# ---- the lake, built once -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, config):
    """Generated history of seed 11, a held-out one of seed 29 (other ids, versions, deletions, currencies; one
    pull lost), the rates and the hand-made pulls, through `sync`; then every table read from the catalog."""
    root = tmp_path_factory.mktemp("subscriptions")
    settings = Settings.from_env({"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(root / "lake")})
    landing = root / "lake" / "landing"
    generate_subscriptions(landing, n_subscriptions=80, seed=11)
    held_out = root / "held-out"
    for key in generate_subscriptions(held_out, n_subscriptions=60, seed=29, missing_pulls=[HELD_OUT_MISSING_PULL]):
        target = landing / key.replace("/pull-", "/held-out-pull-")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((held_out / key).read_bytes())
    generate_exchange_rates(landing, seed=11)
    for key, objects in HAND_PULLS.items():
        (landing / key).parent.mkdir(parents=True, exist_ok=True)
        (landing / key).write_text(json.dumps(objects))
    with memory_instance() as instance:
        report = Syncer(
            build_definitions(settings, lineage_config(config, ["subscriptions", "exchange_rates"], quicksight=False)),
            instance,
        ).sync()
    assert report.ok and report.quarantined == [], (report.failed_runs, report.quarantined)
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        tables = {name: rows(con, f"select * from processed.{name}") for name in TABLES}
        raw_copies = con.execute("select count(*) from raw.subscriptions where id = 'hand-duplicate'").fetchone()[0]
    return landing, tables, raw_copies, report


def rows(con, sql: str) -> list[dict]:
    relation = con.sql(sql)
    return [dict(zip(relation.columns, row)) for row in relation.fetchall()]


# ---- the independent computation ----------------------------------------------------------------------------


def ts(epoch: int | None) -> dt.datetime | None:
    """Epoch seconds as the naive UTC datetime a TIMESTAMP column reads back as."""
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC).replace(tzinfo=None)


def units(cents: int | Fraction) -> Decimal:
    """Cents (possibly fractional, never negative) to currency units, rounded half-up to the cent."""
    whole_cents = int(Fraction(cents) + Fraction(1, 2))
    return (Decimal(whole_cents) / 100).quantize(CENT)


def monthly_amount(obj: dict) -> Decimal:
    """The replaced system's MRR of one version: (plan total + add-on totals) / months of the billing period."""
    months = (12 if obj["billing_period_unit"] == "year" else 1) * (obj["billing_period"] or 1)
    return units(Fraction(obj["plan_amount"] + sum(a["amount"] for a in obj["addons"]), months))


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


def money(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(CENT)


def expected_latest(versions: dict[str, list[dict]]) -> list[dict]:
    out = []
    for sub_id, history in sorted(versions.items()):
        if any(v["deleted"] for v in history):
            continue
        v = max(history, key=lambda o: o["updated_at"])
        out.append({
            "id": sub_id, "customer_id": v["customer_id"], "customer_email": v["customer"]["email"],
            "plan_id": v["plan_id"], "status": v["status"], "currency_code": v["currency_code"],
            "plan_unit_price": money(v["plan_unit_price"]), "plan_quantity": v["plan_quantity"],
            "plan_amount": money(v["plan_amount"]), "addons": len(v["addons"]),
            "addon_amount": money(sum(a["amount"] for a in v["addons"])),
            "billing_period": v["billing_period"], "billing_period_unit": v["billing_period_unit"],
            "monthly_amount": monthly_amount(v), "created_at": ts(v["created_at"]), "updated_at": ts(v["updated_at"]),
            "started_at": ts(v["started_at"]), "cancelled_at": ts(v["cancelled_at"]),
            "current_term_start": ts(v["current_term_start"]), "current_term_end": ts(v["current_term_end"]),
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


def counted(versions, month: dt.date) -> dict[str, dict]:
    """id -> its state at the end of `month`, for the subscriptions the replaced system counts in that month."""
    start, end = dt.datetime.combine(month, dt.time()), dt.datetime.combine(add_month(month), dt.time())
    out = {}
    for sub_id, history in versions.items():
        known = [v for v in history if ts(v["updated_at"]) < end]
        if not known or any(v["deleted"] for v in known):
            continue
        state = max(known, key=lambda o: o["updated_at"])
        term_start, term_end = ts(state["current_term_start"]), ts(state["current_term_end"])
        if (
            state["status"] in COUNTED_STATUSES
            and state["started_at"] is not None and ts(state["started_at"]) < end
            and (state["cancelled_at"] is None or ts(state["cancelled_at"]) >= end)
            and term_start is not None and term_end is not None and term_start < end and term_end > start  # overlaps
        ):  # fmt: skip
            out[sub_id] = state
    return out


def expected_monthly(versions) -> list[dict]:
    return [
        {"month": month, "id": sub_id, "currency_code": s["currency_code"], "plan_id": s["plan_id"], "status": s["status"],
         "current_term_start": ts(s["current_term_start"]), "current_term_end": ts(s["current_term_end"]),
         "mrr": monthly_amount(s), "arr": 12 * monthly_amount(s)}
        for month in months_of(versions) for sub_id, s in sorted(counted(versions, month).items())
    ]  # fmt: skip


def expected_mrr(versions, rates) -> list[dict]:
    currencies = sorted({v["currency_code"] for history in versions.values() for v in history})
    months = months_of(versions)
    out = []
    for month in months:
        mrr, count = defaultdict(Decimal), defaultdict(int)
        for state in counted(versions, month).values():
            mrr[state["currency_code"]] += monthly_amount(state)
            count[state["currency_code"]] += 1
        for currency in currencies:
            amount = mrr[currency].quantize(CENT)
            r = rate(rates, add_month(month), currency)
            out.append({
                "month": month, "currency_code": currency, "active_subscriptions": count[currency],
                "mrr": amount, "arr": 12 * amount, "rate_date": add_month(month), "rate_to_eur": r,
                "mrr_eur": to_eur(amount, r), "arr_eur": to_eur(12 * amount, r), "months_ago": len(months) - 1 - months.index(month),
            })  # fmt: skip
    return out


def _total(values):
    return None if any(v is None for v in values) else sum(values, Decimal("0.00"))


def expected_mom(mrr_rows: list[dict]) -> list[dict]:
    by_month: dict[dt.date, dict[str, dict]] = defaultdict(dict)
    for row in mrr_rows:
        by_month[row["month"]][row["currency_code"]] = row
    out, previous = [], None
    for month in sorted(by_month):
        this = by_month[month]
        arr_eur = _total([r["arr_eur"] for r in this.values()])
        row = {"month": month, "active_subscriptions": sum(r["active_subscriptions"] for r in this.values()),
               "mrr_eur": _total([r["mrr_eur"] for r in this.values()]), "arr_eur": arr_eur, "previous_month": None,
               "previous_arr_eur": None, "arr_eur_diff": None, "currency_effect": None, "volume_effect": None,
               "months_ago": next(iter(this.values()))["months_ago"]}  # fmt: skip
        if previous is not None:
            before = by_month[previous["month"]]
            # the replaced system: the PREVIOUS month's ARR (original currency) times the change of its rate
            moves = [None if r["rate_to_eur"] is None or before[c]["rate_to_eur"] is None
                     else before[c]["arr"] * (r["rate_to_eur"] - before[c]["rate_to_eur"]) for c, r in this.items()]  # fmt: skip
            effect = None if None in moves else sum(moves, Decimal(0)).quantize(CENT, ROUND_HALF_UP)
            prev_eur = previous["arr_eur"]
            diff = None if arr_eur is None or prev_eur is None else arr_eur - prev_eur
            row.update(previous_month=previous["month"], previous_arr_eur=prev_eur, arr_eur_diff=diff, currency_effect=effect,
                       volume_effect=None if diff is None or effect is None else diff - effect)  # fmt: skip
        out.append(row)
        previous = row
    return out


def expected_bridge(versions, mrr_rows: list[dict], mom_rows: list[dict]) -> list[dict]:
    rates = {(r["month"], r["currency_code"]): r["rate_to_eur"] for r in mrr_rows}
    out = []
    for mom in mom_rows:
        if mom["previous_month"] is None:
            continue
        now, before = counted(versions, mom["month"]), counted(versions, mom["previous_month"])
        moves = defaultdict(lambda: defaultdict(Decimal))  # kind -> currency -> ARR in the original currency
        for key in {(i, s["currency_code"]) for i, s in now.items()} | {
            (i, s["currency_code"]) for i, s in before.items()
        }:
            arr = (
                12 * monthly_amount(now[key[0]])
                if key[0] in now and now[key[0]]["currency_code"] == key[1]
                else Decimal(0)
            )
            was = (
                12 * monthly_amount(before[key[0]])
                if key[0] in before and before[key[0]]["currency_code"] == key[1]
                else Decimal(0)
            )
            kind = ("new" if was == 0 and arr > 0 else "churned" if was > 0 and arr == 0
                    else "expansion" if arr > was else "contraction" if arr < was else None)  # fmt: skip
            if kind:
                moves[kind][key[1]] += arr - was
        valued = {}
        for kind in ("new", "expansion", "contraction", "churned"):
            parts = [
                amount * rates[(mom["month"], c)] if rates[(mom["month"], c)] is not None else None
                for c, amount in moves[kind].items()
            ]
            valued[kind] = None if None in parts else sum(parts, Decimal(0)).quantize(CENT, ROUND_HALF_UP)
        explained = (
            None
            if None in valued.values() or mom["currency_effect"] is None
            else sum(valued.values()) + mom["currency_effect"]
        )
        out.append({
            "month": mom["month"], "opening_arr_eur": mom["previous_arr_eur"],
            **{f"{k}_arr_eur": v for k, v in valued.items()}, "currency_effect": mom["currency_effect"],
            "closing_arr_eur": mom["arr_eur"],
            "rounding": None if explained is None or mom["arr_eur"] is None else mom["arr_eur"] - mom["previous_arr_eur"] - explained,
            "months_ago": mom["months_ago"],
        })  # fmt: skip
    return out


# ---- tests --------------------------------------------------------------------------------------------------


def test_latest_state_per_id_matches_python(built):
    landing, tables, _, _ = built
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
    # one version delivered twice counts once; plan_amount is the plan's total, add-ons are added
    assert latest["hand-duplicate"]["version_count"] == 1
    assert latest["hand-duplicate"]["monthly_amount"] == Decimal("99.00")
    assert latest["hand-addons-monthly"]["monthly_amount"] == Decimal("13.00")
    assert latest["hand-addons-yearly"]["monthly_amount"] == Decimal("11.00")
    # the generated pulls carry unit price x quantity = amount, and add-ons with amounts, so both rules matter
    generated = [v for i, h in versions.items() if not i.startswith("hand-") for v in h]
    assert all(v["plan_amount"] == v["plan_unit_price"] * v["plan_quantity"] for v in generated)
    assert sum(v["plan_quantity"] > 1 for v in generated) > 20 and sum(bool(v["addons"]) for v in generated) > 20


def test_the_duplicate_version_really_reaches_the_raw_table_twice(built):
    _, _, raw_copies, _ = built
    assert raw_copies == 2  # two files of different content: the raw layer's own de-duplication does not hide it


def test_versions_and_monthly_subscriptions_match_python(built):
    landing, tables, _, _ = built
    versions = load_versions(landing)
    assert len(tables["subscriptions_versions"]) == sum(len(h) for h in versions.values())
    by_version = {(r["id"], r["updated_at"]): r["monthly_amount"] for r in tables["subscriptions_versions"]}
    assert by_version == {(v["id"], ts(v["updated_at"])): monthly_amount(v) for h in versions.values() for v in h}
    assert tables["subscriptions_monthly"] == expected_monthly(versions)


def test_monthly_mrr_and_arr_in_eur_match_python(built):
    landing, tables, _, _ = built
    versions, rates = load_versions(landing), load_rates(landing)
    expected = expected_mrr(versions, rates)
    assert tables["subscriptions_mrr_monthly"] == expected

    snapshot = {(r["month"], r["currency_code"]): r for r in expected}
    assert {m for m, _ in snapshot} >= {dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)}
    # converted with the rate of the first day of the next month
    march_usd = snapshot[(dt.date(2024, 3, 1), "USD")]
    assert (
        march_usd["rate_date"] == dt.date(2024, 4, 1)
        and march_usd["rate_to_eur"] == rates[(dt.date(2024, 4, 1), "USD")]
    )
    assert march_usd["arr_eur"] == (march_usd["arr"] * march_usd["rate_to_eur"]).quantize(CENT, ROUND_HALF_UP)
    # every month of the generated window is fully convertible
    assert all(r["arr_eur"] is not None for r in expected if r["month"] >= dt.date(2023, 12, 1))

    by_plan = defaultdict(lambda: [0, Decimal(0)])
    for row in expected_monthly(versions):
        by_plan[(row["month"], row["currency_code"], row["plan_id"])][0] += 1
        by_plan[(row["month"], row["currency_code"], row["plan_id"])][1] += row["mrr"]
    assert [(r["month"], r["currency_code"], r["plan_id"], r["active_subscriptions"], r["mrr"], r["mrr_eur"])
            for r in tables["subscriptions_mrr_by_plan"]] == [
        (*key, n, mrr, to_eur(mrr, snapshot[key[:2]]["rate_to_eur"])) for key, (n, mrr) in sorted(by_plan.items())
    ]  # fmt: skip


def test_hand_made_cases_count_while_their_term_overlaps_the_month(built):
    """The hand-made ids alone, through the same reference: which months each one counts in, and for how much."""
    landing, tables, _, _ = built
    versions = load_versions(landing)
    hand = {i: h for i, h in versions.items() if i.startswith("hand-")}
    months = {(r["month"].month, r["id"]) for r in expected_monthly(hand)}
    assert {m for m, i in months if i == "hand-term-ended"} == {1, 2}, "its term ended on Feb 10, no later version"
    assert {m for m, i in months if i == "hand-non-renewing"} == {1, 2}
    assert {m for m, i in months if i == "hand-scheduled-cancel"} == {2}
    counted_mrr = defaultdict(Decimal)
    for row in expected_mrr(hand, load_rates(landing)):
        counted_mrr[(row["month"].month, row["currency_code"])] += row["mrr"]
    assert dict(counted_mrr) == {
        (1, "EUR"): Decimal("16.01"), (2, "EUR"): Decimal("67.52"), (3, "EUR"): Decimal("17.52"),  # +13.00 add-ons
        (1, "GBP"): Decimal("42.00"), (2, "GBP"): Decimal("18.00"), (3, "GBP"): Decimal("11.00"),  # 24 deleted in Feb
        (1, "USD"): Decimal("129.00"), (2, "USD"): Decimal("119.00"), (3, "USD"): Decimal("99.00"),  # term ended
    }  # fmt: skip
    got = {(r["month"].month, r["id"]) for r in tables["subscriptions_monthly"] if r["id"].startswith("hand-")}
    assert got == months


def test_the_lost_pull_leaves_subscriptions_whose_term_ended(built):
    """Seed 29 lost its 2024-02-15 pull: the versions changed only then never arrive. Whatever was active with a
    term ending before March stops counting in March, as the replaced system's term rule says."""
    landing, tables, _, _ = built
    held_out = {p.name for p in (landing / "subscriptions" / HELD_OUT_MISSING_PULL).glob("held-out-*")}
    assert held_out == set(), "the lost pull did not land"
    versions = load_versions(landing)
    march = dt.datetime(2024, 3, 1)
    stale = [
        i for i, h in versions.items()
        if (s := max((v for v in h if ts(v["updated_at"]) < dt.datetime(2024, 4, 1)), key=lambda v: v["updated_at"], default=None))
        and s["status"] in COUNTED_STATUSES and not any(v["deleted"] for v in h)
        and ts(s["current_term_end"]) is not None and ts(s["current_term_end"]) <= march
    ]  # fmt: skip
    assert stale, "some subscription's newest known term ended before March"
    in_march = {r["id"] for r in tables["subscriptions_monthly"] if r["month"] == dt.date(2024, 3, 1)}
    assert not set(stale) & in_march


def test_month_over_month_currency_effect_is_on_the_previous_arr(built):
    landing, tables, _, _ = built
    versions, rates = load_versions(landing), load_rates(landing)
    mrr_rows = expected_mrr(versions, rates)
    expected = expected_mom(mrr_rows)
    assert tables["subscriptions_mom"] == expected

    for row in expected:
        if row["arr_eur_diff"] is not None and row["currency_effect"] is not None:
            assert row["arr_eur_diff"] == row["currency_effect"] + row["volume_effect"]
    march = next(r for r in expected if r["month"] == dt.date(2024, 3, 1))
    assert march["previous_month"] == dt.date(2024, 2, 1) and march["currency_effect"] not in (None, Decimal(0))
    # this month's ARR times the rate change (what the platform computed before) is another number
    by = {(r["month"], r["currency_code"]): r for r in mrr_rows}
    on_this_month = sum((by[(march["month"], c)]["arr"] * (by[(march["month"], c)]["rate_to_eur"] - by[(dt.date(2024, 2, 1), c)]["rate_to_eur"])
                         for c in ("GBP", "USD")), Decimal(0)).quantize(CENT, ROUND_HALF_UP)  # fmt: skip
    assert on_this_month != march["currency_effect"]


def test_the_bridge_explains_the_change_in_arr(built):
    landing, tables, _, _ = built
    versions, rates = load_versions(landing), load_rates(landing)
    mrr_rows = expected_mrr(versions, rates)
    expected = expected_bridge(versions, mrr_rows, expected_mom(mrr_rows))
    assert tables["subscriptions_bridge"] == expected
    assert len(expected) >= 3 and all(abs(r["rounding"]) <= CENT * 3 for r in expected if r["rounding"] is not None)
    march = next(r for r in expected if r["month"] == dt.date(2024, 3, 1))
    assert march["new_arr_eur"] > 0 and march["churned_arr_eur"] < 0
    assert any(r["expansion_arr_eur"] > 0 for r in expected) and any(r["contraction_arr_eur"] < 0 for r in expected)


def test_every_table_runs_on_empty_raw_tables(lake, config):
    from qs_platform.transform.run import run_transform

    expected_columns = {
        "subscriptions_latest": {"id": "VARCHAR", "monthly_amount": "DECIMAL(18,2)", "updated_at": "TIMESTAMP"},
        "subscriptions_mrr_monthly": {"month": "DATE", "mrr": "DECIMAL(18,2)", "arr_eur": "DECIMAL(18,2)"},
        "subscriptions_mom": {"month": "DATE", "arr_eur_diff": "DECIMAL(18,2)", "currency_effect": "DECIMAL(18,2)"},
        "subscriptions_bridge": {"month": "DATE", "new_arr_eur": "DECIMAL(18,2)", "churned_arr_eur": "DECIMAL(18,2)"},
    }
    for name in TABLES:
        result = run_transform(lake, config, config.table(name))
        assert result.published and result.row_count == 0, name
        assert expected_columns.get(name, {}).items() <= dict(result.columns).items(), name
