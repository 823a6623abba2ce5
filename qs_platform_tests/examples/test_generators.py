"""The example-delivery generators: deterministic, streaming, and faithful to the quirks of the original systems."""

import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from qs_platform.examples.generators import (
    SALES_ANOMALY_FIELDS,
    generate_clickstream,
    generate_exchange_rates,
    generate_sales,
    generate_subscriptions,
    write_demo_landing,
)
from qs_platform.examples.logistics import (
    DEMO_ASSESSMENTS,
    LOGISTICS_FILES,
    Assessment,
    generate_logistics_assessment,
    read_classix,
)
from qs_platform_tests.conftest import CLICKSTREAM_EVENTS, EXAMPLES, SEEDS

EN_DASH = "\u2013"
SALES_HEADER = [
    "row_id", "order_id", "order_date", "ship_date", "ship_mode", "segment", "customer_id", "customer_name",
    "item", "sale_amount", "tax_amount", "quantity", "discount_amount", "profit", "franchise_store",
    "transaction_date", "delivery_city", "franchise_state", "postal_code", "region", "product_id", "category",
    "sub_category",
]  # fmt: skip
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DMY_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _read_sales(root: Path, keys: list[str]) -> list[tuple[str, dict[str, str]]]:
    rows = []
    for key in keys:
        with (root / key).open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            assert header == SALES_HEADER
            for values in reader:
                assert len(values) == 23
                rows.append((key, dict(zip(header, values))))
    return rows


def _decode_stream(text: str) -> list[dict]:
    """What a Firehose reader must do: decode records one after the other, separated by whitespace or not."""
    decoder = json.JSONDecoder()
    records, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return records
        obj, pos = decoder.raw_decode(text, pos)
        records.append(obj)


# ---------------------------------------------------------------------------------------------------- determinism


def test_demo_landing_is_deterministic_per_seed(tmp_path):
    keys_a = write_demo_landing(tmp_path / "a", seed=0)
    keys_b = write_demo_landing(tmp_path / "b", seed=0)
    write_demo_landing(tmp_path / "c", seed=1)
    tree_a, tree_b, tree_c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert keys_a == keys_b and sorted(keys_a) == sorted(tree_a)
    assert len(set(keys_a)) == len(keys_a)
    assert tree_a == tree_b  # same bytes twice
    for prefix in ("sales/", "subscriptions/", "exchange_rates/", "clickstream/", "logistics/"):
        assert any(k.startswith(prefix) for k in keys_a), prefix
        same_layout = [k for k in keys_a if k.startswith(prefix) and k in tree_c]
        assert same_layout, prefix
        assert any(tree_a[k] != tree_c[k] for k in same_layout), f"seed does not change {prefix}"


def test_demo_landing_layout(tmp_path):
    keys = write_demo_landing(tmp_path, days=2)
    sales = [k for k in keys if k.startswith("sales/")]
    assert len(sales) == 2 * 2 * 3 + 2  # and HYD-C's first day without its part-3.csv
    assert {k.split("/")[1] for k in sales} == {"DEL-A", "BLR-B", "HYD-C"}
    assert sorted(k.rsplit("/", 1)[1] for k in sales if "/HYD-C/" in k) == ["part-1.csv", "part-2.csv"]
    assert "exchange_rates/2024-04.jsonl" in keys  # rate of the first day after the last subscription month
    assert sum(k.startswith("clickstream/2024/03/01/") for k in keys) >= 3
    # three courses of action, every file of their folders
    folders = {k.split("/")[2] for k in keys if k.startswith("logistics/")}
    assert folders == {"10901", "10902", "10903"}
    for folder in folders:
        names = {k.rsplit("/", 1)[1] for k in keys if k.startswith(f"logistics/assessments/{folder}/")}
        assert names == {
            *LOGISTICS_FILES,
            "AssessmentTable.csv",
            "AssessmentParameterDataMapTable.csv",
            "classix_dimensional_data.csv",
        }


# ---------------------------------------------------------------------------------------------------- sales


def test_sales_layout_header_and_values(tmp_path):
    days = [dt.date(2024, 3, 1), dt.date(2024, 3, 2)]
    keys = generate_sales(tmp_path, stores=["DEL-A", "X9"], days=days, rows_per_file=40, seed=3)
    assert len(keys) == 2 * 2 * 3
    per_store_day = Counter(tuple(k.split("/")[1:3]) for k in keys)
    assert per_store_day == {(s, d.isoformat()): 3 for s in ("DEL-A", "X9") for d in days}
    assert {k.rsplit("/", 1)[1] for k in keys} == {"part-1.csv", "part-2.csv", "part-3.csv"}
    for key in keys:
        assert re.fullmatch(r"sales/[^/]+/\d{4}-\d{2}-\d{2}/part-[123]\.csv", key)
        assert (tmp_path / key).read_text(encoding="utf-8").splitlines()[0] == ",".join(SALES_HEADER)

    rows = _read_sales(tmp_path, keys)
    assert len(rows) == len(keys) * 40
    row_ids = [abs(int(r["row_id"])) for _, r in rows]
    assert len(set(row_ids)) == len(row_ids)  # the parts of a day are different files, not copies
    same_day = 0
    for key, r in rows:
        _, store, day, _ = key.split("/")
        assert r["franchise_store"] == store
        for col in ("sale_amount", "tax_amount", "discount_amount", "profit"):
            assert MONEY.match(r[col]), (col, r[col])
        refund = float(r["sale_amount"]) < 0
        assert refund == (float(r["tax_amount"]) < 0) or float(r["tax_amount"]) == 0  # a refund negates both
        same_day += r["transaction_date"] == day
    assert same_day / len(rows) > 0.75  # mostly the file's day (minus blanked ones and a few late rows)


def test_sales_anomaly_and_bad_format_rates(tmp_path):
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(5)]
    keys = generate_sales(tmp_path, stores=["DEL-A", "BOM-C"], days=days, rows_per_file=200, seed=7)
    rows = [r for _, r in _read_sales(tmp_path, keys)]
    assert len(rows) == 6000

    def missing(value: str) -> bool:
        return value in ("", "null")

    anomalies = [r for r in rows if any(missing(r[f]) for f in SALES_ANOMALY_FIELDS)]
    bad_format = [r for r in rows if DMY_DATE.match(r["order_date"])]
    assert abs(len(anomalies) / len(rows) - 0.10) < 0.025
    assert abs(len(bad_format) / len(rows) - 0.20) < 0.03
    # one or several fields per anomalous row, every field used
    blank_counts = Counter(sum(missing(r[f]) for f in SALES_ANOMALY_FIELDS) for r in anomalies)
    assert blank_counts[6] > 0 and sum(v for k, v in blank_counts.items() if k < 6) > 0
    assert all(any(missing(r[f]) for r in anomalies) for f in SALES_ANOMALY_FIELDS)
    # ~30% of the anomaly rows say 'null' (every missing field of the row), the others leave the fields empty
    literal = [r for r in anomalies if any(r[f] == "null" for f in SALES_ANOMALY_FIELDS)]
    assert abs(len(literal) / len(anomalies) - 0.30) < 0.08
    assert all(not any(r[f] == "" for f in SALES_ANOMALY_FIELDS) for r in literal)
    # ~1% refunds: negative sale and tax amounts, nothing else changed
    refunds = [r for r in rows if float(r["sale_amount"]) < 0]
    assert 0.003 < len(refunds) / len(rows) < 0.02
    assert all(float(r["tax_amount"]) <= 0 for r in refunds)

    for r in rows:
        bad = bool(DMY_DATE.match(r["order_date"]))
        assert bool(DMY_DATE.match(r["ship_date"])) == bad
        if bad:
            assert int(r["quantity"]) < 0 and float(r["profit"]) < 0 and int(r["row_id"]) < 0
        else:
            assert ISO_DATE.match(r["order_date"]) and ISO_DATE.match(r["ship_date"])
            assert int(r["quantity"]) > 0 and float(r["profit"]) > 0 and int(r["row_id"]) > 0
        if not missing(r["transaction_date"]):
            assert ISO_DATE.match(r["transaction_date"])
    # the two quirks are independent: some rows have both
    assert any(DMY_DATE.match(r["order_date"]) for r in anomalies)


def test_sales_rates_follow_parameters(tmp_path):
    keys = generate_sales(
        tmp_path, stores=["S1"], days=[dt.date(2024, 2, 1)], rows_per_file=1000, seed=1,
        anomaly_rate=0.3, bad_format_rate=0.0, files_per_store_day=2,
    )  # fmt: skip
    assert [k.rsplit("/", 1)[1] for k in keys] == ["part-1.csv", "part-2.csv"]
    rows = [r for _, r in _read_sales(tmp_path, keys)]
    anomalies = sum(any(r[f] in ("", "null") for f in SALES_ANOMALY_FIELDS) for r in rows)
    assert abs(anomalies / len(rows) - 0.3) < 0.04
    assert not any(DMY_DATE.match(r["order_date"]) for r in rows)
    plain = generate_sales(tmp_path / "plain", stores=["S1"], days=[dt.date(2024, 2, 1)], rows_per_file=300, seed=1,
                           null_literal_share=0.0, refund_rate=0.0)  # fmt: skip
    rows = [r for _, r in _read_sales(tmp_path / "plain", plain)]
    assert not any(r[f] == "null" for r in rows for f in SALES_ANOMALY_FIELDS)
    assert not any(float(r["sale_amount"]) < 0 for r in rows)


# ---------------------------------------------------------------------------------------------------- subscriptions


def _pulls(root: Path, keys: list[str]) -> list[list[dict]]:
    pulls = []
    for key in keys:
        assert re.fullmatch(r"subscriptions/\d{4}-\d{2}-\d{2}/pull-\d+\.json", key)
        data = json.loads((root / key).read_text(encoding="utf-8"))
        assert isinstance(data, list)
        pulls.append(data)
    return pulls


def test_subscriptions_versions_and_deletions(tmp_path):
    keys = generate_subscriptions(tmp_path, n_subscriptions=50, seed=0)
    assert keys == sorted(keys, key=lambda k: (k.split("/")[1], int(k.split("-")[-1].split(".")[0])))
    assert {k.split("/")[1] for k in keys} >= {"2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"}
    pulls = _pulls(tmp_path, keys)
    assert len(pulls[0]) > 0  # the initial full load

    versions: dict[str, list[dict]] = defaultdict(list)
    for pull in pulls:
        stamps = [o["updated_at"] for o in pull]
        assert stamps == sorted(stamps)  # each pull is sorted by updated_at
        for obj in pull:
            versions[obj["id"]].append(obj)
    assert len(versions) == 50

    several = 0
    for sub_id, objs in versions.items():
        stamps = [o["updated_at"] for o in objs]
        assert stamps == sorted(stamps), sub_id  # never goes back in time across pulls
        several += len(set(stamps)) >= 3
        # a version seen twice (pull look-back) is the very same object
        by_stamp = defaultdict(list)
        for o in objs:
            by_stamp[o["updated_at"]].append(o)
        assert all(all(o == same[0] for o in same) for same in by_stamp.values())
        deleted = [o["deleted"] for o in objs]
        if True in deleted:  # once deleted, never back
            assert all(deleted[deleted.index(True) :])
    assert several >= 10

    deleted_ids = {i for i, objs in versions.items() if objs[-1]["deleted"]}
    assert 1 <= len(deleted_ids) <= 10
    assert all(len({o["updated_at"] for o in versions[i]}) >= 1 for i in deleted_ids)
    assert any(len(versions[i]) >= 2 and not versions[i][0]["deleted"] for i in deleted_ids)  # deleted *later*


def test_subscription_object_shape(tmp_path):
    keys = generate_subscriptions(tmp_path, n_subscriptions=50, months=["2024-01", "2024-02"], seed=5)
    objs = [o for pull in _pulls(tmp_path, keys) for o in pull]
    assert objs
    expected_keys = {
        "id", "customer_id", "plan_id", "status", "currency_code", "plan_unit_price", "plan_quantity", "plan_amount",
        "billing_period", "billing_period_unit", "created_at", "updated_at", "started_at", "cancelled_at",
        "current_term_start", "current_term_end", "deleted", "customer", "addons", "coupons",
    }  # fmt: skip
    for o in objs:
        assert set(o) == expected_keys
        assert type(o["plan_unit_price"]) is int and o["plan_unit_price"] > 0  # cents
        assert type(o["plan_quantity"]) is int and o["plan_quantity"] >= 1
        assert o["plan_amount"] == o["plan_unit_price"] * o["plan_quantity"]  # the plan's total, as the API sends it
        assert (
            o["current_term_start"] < o["current_term_end"]
            or o["current_term_start"] == o["current_term_end"] == o["cancelled_at"]
        )
        for ts in ("created_at", "updated_at", "started_at"):
            assert type(o[ts]) is int and 1_500_000_000 < o[ts] < 2_000_000_000
        assert o["created_at"] <= o["updated_at"]
        # cancelled, or non-renewing (cancelled_at is then the scheduled end of its last term)
        assert (o["cancelled_at"] is None) == (o["status"] not in ("cancelled", "non_renewing"))
        if o["status"] == "non_renewing":
            assert o["cancelled_at"] == o["current_term_end"]
        assert o["cancelled_at"] is None or type(o["cancelled_at"]) is int
        assert type(o["deleted"]) is bool
        assert o["billing_period_unit"] in ("month", "year")
        assert o["currency_code"] in ("USD", "EUR", "GBP")
        assert o["customer"]["id"] == o["customer_id"] and "@" in o["customer"]["email"]
        assert set(o["customer"]["billing_address"]) == {"city", "country", "zip"}
        assert isinstance(o["addons"], list) and isinstance(o["coupons"], list)
        for addon in o["addons"]:
            assert set(addon) == {"id", "quantity", "unit_price", "amount"} and type(addon["unit_price"]) is int
            assert addon["amount"] == addon["quantity"] * addon["unit_price"]
        for coupon in o["coupons"]:
            assert set(coupon) == {"coupon_id", "applied_count"} and type(coupon["applied_count"]) is int
    assert any(o["addons"] for o in objs) and any(not o["addons"] for o in objs)
    assert any(o["coupons"] for o in objs) and any(not o["coupons"] for o in objs)
    assert {o["billing_period_unit"] for o in objs} == {"month", "year"}
    assert any(o["status"] == "cancelled" for o in objs)
    assert any(o["plan_quantity"] > 1 for o in objs)


def test_a_missing_pull_never_lands(tmp_path):
    every = generate_subscriptions(tmp_path / "all", n_subscriptions=30, seed=2)
    lost = generate_subscriptions(tmp_path / "lost", n_subscriptions=30, seed=2, missing_pulls=["2024-02-08"])
    assert [k for k in every if "/2024-02-08/" not in k] == lost
    for key in lost:  # the other pulls are the same files: the watermark moved on as if it had landed
        assert (tmp_path / "all" / key).read_bytes() == (tmp_path / "lost" / key).read_bytes()


def test_subscriptions_paginate(tmp_path):
    keys = generate_subscriptions(tmp_path, n_subscriptions=30, months=["2024-01"], seed=2, page_size=7)
    first_day = [k for k in keys if k.startswith("subscriptions/2024-01-01/")]
    assert len(first_day) >= 2 and first_day[0].endswith("pull-1.json")
    pulls = _pulls(tmp_path, keys)
    assert all(len(p) <= 7 for p in pulls)


# ---------------------------------------------------------------------------------------------------- exchange rates


def test_exchange_rates_one_per_day_and_currency(tmp_path):
    keys = generate_exchange_rates(tmp_path, seed=0)
    assert keys == [f"exchange_rates/2024-0{m}.jsonl" for m in (1, 2, 3, 4)]
    records = []
    for key in keys:
        lines = (tmp_path / key).read_text(encoding="utf-8").splitlines()
        recs = [json.loads(line) for line in lines]
        assert all(r["date"].startswith(key[-13:-6]) for r in recs)  # each month in its own file
        records += recs
    n_days = (dt.date(2024, 4, 30) - dt.date(2024, 1, 1)).days + 1
    pairs = Counter((r["date"], r["currency"]) for r in records)
    assert len(records) == n_days * 3 and set(pairs.values()) == {1}
    assert {c for _, c in pairs} == {"USD", "GBP", "EUR"}
    assert {d for d, _ in pairs} == {(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(n_days)}
    assert all(set(r) == {"date", "currency", "rate_to_eur"} for r in records)
    assert all(r["rate_to_eur"] == 1.0 for r in records if r["currency"] == "EUR")
    gbp = [r["rate_to_eur"] for r in records if r["currency"] == "GBP"]
    usd = [r["rate_to_eur"] for r in records if r["currency"] == "USD"]
    assert all(1.0 < x < 1.4 for x in gbp) and all(0.75 < x < 1.05 for x in usd)
    assert len(set(gbp)) > 10  # rates move


def test_exchange_rates_custom_range(tmp_path):
    keys = generate_exchange_rates(
        tmp_path, currencies=["EUR", "CHF"], start=dt.date(2023, 12, 30), end=dt.date(2024, 1, 2), seed=4
    )
    assert keys == ["exchange_rates/2023-12.jsonl", "exchange_rates/2024-01.jsonl"]
    lines = [json.loads(x) for k in keys for x in (tmp_path / k).read_text().splitlines()]
    assert [(r["date"], r["currency"]) for r in lines][:3] == [
        ("2023-12-30", "EUR"), ("2023-12-30", "CHF"), ("2023-12-31", "EUR"),
    ]  # fmt: skip
    assert len(lines) == 8


# ---------------------------------------------------------------------------------------------------- clickstream


def test_clickstream_quirks(tmp_path):
    start = dt.datetime(2024, 3, 1, 22)
    keys = generate_clickstream(tmp_path, start=start, hours=3, events_per_hour=40, seed=0, concatenated_every=2)
    hours = sorted({k.rsplit("/", 1)[0] for k in keys})
    assert hours == ["clickstream/2024/03/01/22", "clickstream/2024/03/01/23", "clickstream/2024/03/02/00"]
    assert all(re.fullmatch(r"clickstream/\d{4}/\d{2}/\d{2}/\d{2}/events-\d+\.json", k) for k in keys)

    events, concatenated = [], 0
    for i, key in enumerate(keys, start=1):
        text = (tmp_path / key).read_text(encoding="utf-8")
        records = _decode_stream(text)
        assert records
        if i % 2 == 0:  # every 2nd file: {...}{...} as a Firehose stream delivers
            assert "\n" not in text and "}{" in text
            if len(records) > 1:
                with pytest.raises(json.JSONDecodeError):
                    json.loads(text)
                concatenated += 1
        else:
            assert [json.loads(line) for line in text.splitlines()] == records
        folder = key.split("/")[1:5]
        for r in records:
            stamp = (r.get("created_at") or r["createdAt"]).replace(EN_DASH, "-")
            when = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
            assert when.strftime("%Y/%m/%d/%H").split("/") == folder
        events += records
    assert concatenated >= 2
    assert len(events) == 3 * 40
    assert all({"element_clicked", "time_spent", "source_menu"} <= set(r) for r in events)
    assert all(isinstance(r["time_spent"], int) for r in events)
    stamps = [r.get("created_at") or r.get("createdAt") for r in events]
    assert any(EN_DASH in s for s in stamps) and any("-" in s for s in stamps)
    camel = [r for r in events if "createdAt" in r]
    assert camel and all("created_at" not in r for r in camel) and len(camel) < len(events) / 2


def test_clickstream_matches_seed_shape(tmp_path):
    seed_file = CLICKSTREAM_EVENTS
    seed_keys = set().union(*(json.loads(line).keys() for line in seed_file.read_text(encoding="utf-8").splitlines()))
    keys = generate_clickstream(tmp_path, start=dt.datetime(2022, 9, 11, 23), hours=1, seed=9, concatenated_every=0)
    events = [json.loads(line) for k in keys for line in (tmp_path / k).read_text(encoding="utf-8").splitlines()]
    assert set().union(*(e.keys() for e in events)) <= seed_keys
    prefixes = ("2022-09-11 23", "2022\u201309\u201311 23")
    assert all((e.get("created_at") or e["createdAt"]).startswith(prefixes) for e in events)


# ---------------------------------------------------------------------------------------------------- logistics

TABLE_MAPS = SEEDS / "logistics" / "quicksight_table_maps"


def _map_columns(name: str) -> list[str]:
    text = json.dumps(json.loads((TABLE_MAPS / f"{name}_physical_map.json").read_text()))
    start = text.index('"InputColumns": ') + len('"InputColumns": ')
    return [c["Name"] for c in json.loads(text[start : text.index("]", start) + 1])]


@pytest.mark.skipif(not TABLE_MAPS.exists(), reason="needs ../shared/data/seeds/logistics/quicksight_table_maps")
def test_logistics_files_have_the_columns_of_the_replaced_systems_table_maps(tmp_path):
    keys = generate_logistics_assessment(tmp_path, DEMO_ASSESSMENTS[0], seed=1)
    pos_columns = {"POS", "DOS", "Period", "Sort_Index"}
    for key in keys:
        name = Path(key).stem
        header = next(csv.reader((tmp_path / key).open(encoding="utf-8")))
        if (TABLE_MAPS / f"{name}_physical_map.json").exists():
            assert header == _map_columns(name), name
        elif name == "RD_IW_PaxLocationAll":  # the water calculator's own spelling, which the original renamed
            joined = [c for c in _map_columns(f"{name}_joined") if c not in pos_columns and not c.startswith("daily_")]
            assert len(header) == len(joined) + 3 and header[-3:] == ["V7", "V8", "V9"]
            assert {"Non-potable", "Total water", "Potable_rqmt", "Drinking_rqmt"} <= set(header)
        elif name != "classix_dimensional_data":  # the POS joins' inputs: the joined file less the POS columns
            assert header == [c for c in _map_columns(f"{name}_joined") if c not in pos_columns], name


def test_logistics_assessment_is_deterministic_and_follows_its_parameters(tmp_path):
    a = generate_logistics_assessment(tmp_path / "a", DEMO_ASSESSMENTS[1], seed=2)
    b = generate_logistics_assessment(tmp_path / "b", DEMO_ASSESSMENTS[1], seed=2)
    assert a == b and _tree(tmp_path / "a") == _tree(tmp_path / "b")
    other = generate_logistics_assessment(tmp_path / "c", DEMO_ASSESSMENTS[1], seed=3)
    assert any((tmp_path / "a" / k).read_bytes() != (tmp_path / "c" / k).read_bytes() for k in other)
    folder = tmp_path / "a" / "logistics" / "assessments" / "10902"
    [params] = list(csv.DictReader((folder / "AssessmentParameterDataMapTable.csv").open()))
    [assessment] = list(csv.DictReader((folder / "AssessmentTable.csv").open()))
    assert (params["DaysOfSupplyFirst"], params["DaysOfSupplySecond"], params["DaysOfSupplyThird"]) == (
        "15",
        "45",
        "75",
    )
    assert assessment["OperationDuration"] == "100" and assessment["CreatedOn"].endswith(".0")
    assert (
        json.loads(params["ClassIXCAcqAdvJson"])[0] == "F" and assessment["PrepoEquipDayRange"] == ""
    )  # the seed's quirks
    pax = list(csv.DictReader((folder / "RD_I_PaxLocationAll.csv").open()))
    assert {int(r["Day"]) for r in pax} == set(range(1, 101))
    by_day = {(r["UIC"], int(r["Day"])): r["DOS_Period"] for r in pax}
    uic = pax[0]["UIC"]
    assert [by_day[(uic, d)] for d in (15, 16, 45, 46, 75, 76, 100)] == [
        "DOS1",
        "DOS2",
        "DOS2",
        "DOS3",
        "DOS3",
        "BEYOND",
        "BEYOND",
    ]
    assert sum(int(r["flowin"]) for r in pax) == sum(int(r["cumflow"]) for r in pax if r["Day"] == "100")
    assert any(r["UIC"].startswith("EPW") for r in pax), "an EPW camp, which the force flow's UIC counts leave out"
    items = list(csv.DictReader((folder / "classix_dimensional_data.csv").open()))
    assert all(i["NIIN"].startswith("0") for i in items) and any(i["dss_cube"] == "0.0" for i in items)
    ix = list(csv.DictReader((folder / "RD_IX_Requirement_Trimmed.csv").open()))
    assert {r["NIIN.of.Part.Required"] for r in ix} <= {i["NIIN"] for i in items}
    spellings = {r["Battery.Flag"] for r in ix} | {r["SECREP.Flag"] for r in ix}
    assert {s.upper() for s in spellings} == {"TRUE", "FALSE"} and len(spellings) > 2, "flags in several spellings"
    vi = {r["NIIN"] for r in csv.DictReader((folder / "RD_VI_POS_Pallet_Requirement.csv").open())}
    assert {"013689154", "13689155"} <= vi, "the NIIN with and without its leading zero"


def test_logistics_files_for_a_real_assessment_use_its_items(tmp_path):
    classix = EXAMPLES / "logistics" / "assessments" / "10908" / "classix_dimensional_data.csv"
    items = read_classix(classix)
    real = Assessment(10908, "Test Classes", start=dt.date(2024, 7, 4), duration=115)
    keys = generate_logistics_assessment(tmp_path, real, items=items, assessment_files=False)
    assert sorted(Path(k).name for k in keys) == sorted(LOGISTICS_FILES), "no assessment or item file of its own"
    ix = list(csv.DictReader((tmp_path / keys[LOGISTICS_FILES.index("RD_IX_Requirement_Trimmed.csv")]).open()))
    assert {r["NIIN.of.Part.Required"] for r in ix} <= {i["NIIN"] for i in items}
