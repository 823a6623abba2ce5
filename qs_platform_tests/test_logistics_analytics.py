"""Logistics analytics (assets_config/tables/logistics.yaml) against an independent csv-module computation.

The three real seed CSVs of assessment 10908 land under landing/logistics/assessments/10908/, a second, crafted
assessment (no items, no period beyond POS3) lands beside them, every file is ingested, the three tables are built
with the shipped SQL, and each table must equal what the csv module + Decimal compute from the same files,
following the definitions in the tables' descriptions (not the SQL).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from qs_platform.catalog.tables import table_prefix
from qs_platform.transform.run import run_transform
from qs_platform_tests.conftest import SEEDS, ingest, land

LOGISTICS = SEEDS / "logistics"
FILES = {
    "logistics_items": "classix_dimensional_data.csv",
    "logistics_assessments": "AssessmentTable.csv",
    "logistics_parameters": "AssessmentParameterDataMapTable.csv",
}
TABLES = ("logistics_periods_of_support", "logistics_items_by_period", "logistics_class_summary")
OTHER_CLASSES = ["I", "I (Water)", "II/VII", "III(P)", "IV", "VI"]
CRAFTED = "20001"  # days of supply 10/20/30, operation of 30 days: no BEYOND; no items

pytestmark = pytest.mark.skipif(not LOGISTICS.exists(), reason="needs ../shared/data/seeds/logistics")


def _read(name: str) -> list[dict]:
    with open(LOGISTICS / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _crafted_files() -> dict[str, str]:
    assessment = dict(_read(FILES["logistics_assessments"])[0])
    assessment.update(ID="20001", AssessmentNumber="20001", OperationDuration="30",
                      OperationStartDate="2025-01-01", OperationEndDate="2025-01-30")  # fmt: skip
    params = dict(_read(FILES["logistics_parameters"])[0])
    params.update(ID="903", AssessmentID="20001", DaysOfSupplyFirst="10", DaysOfSupplySecond="20",
                  DaysOfSupplyThird="30", POS1CARFRate="RateA", POS2CARFRate="RateB", POS3CARFRate="RateC")  # fmt: skip
    return {"logistics_assessments": _write([assessment]), "logistics_parameters": _write([params])}


def _ingest_all(lake, config, crafted: bool = True) -> None:
    for source, name in FILES.items():
        key = land(lake, f"landing/logistics/assessments/10908/{name}", (LOGISTICS / name).read_bytes())
        result = ingest(lake, config.source(source), key)
        assert result.status == "loaded" and result.rejected_rows == 0, result
    if crafted:
        for source, text in _crafted_files().items():
            key = land(lake, f"landing/logistics/assessments/{CRAFTED}/{FILES[source]}", text)
            assert ingest(lake, config.source(source), key).status == "loaded"


def _build(lake, config) -> dict[str, list[dict]]:
    out = {}
    for name in TABLES:
        result = run_transform(lake, config, config.table(name))
        assert result.published, [c for c in result.checks if not c.passed]
        assert all(c.passed for c in result.checks), [c for c in result.checks if not c.passed]
        rel = duckdb.sql(f"select * from {lake.parquet_scan(table_prefix(result.table))}")
        out[name] = [dict(zip(rel.columns, row)) for row in rel.fetchall()]
    return out


# ---- the reference, from the descriptions ---------------------------------------------------------------------


def _expected_periods(assessment: str, params: dict, op: dict | None) -> list[dict]:
    ends = [
        (1, "POS1", "DOS1", params["DaysOfSupplyFirst"], params["POS1CARFRate"]),
        (2, "POS2", "DOS2", params["DaysOfSupplySecond"], params["POS2CARFRate"]),
        (3, "POS3", "DOS3", params["DaysOfSupplyThird"], params["POS3CARFRate"]),
        (4, "BEYOND", "BEYOND", op["OperationDuration"] if op else "", None),
    ]
    start = dt.date.fromisoformat(op["OperationStartDate"]) if op else None
    periods, previous_end = [], 0
    for sort_index, pos, dos, end, rate in ends:
        if end == "" or int(end) <= previous_end:
            continue
        end = int(end)
        periods.append({
            "assessment": assessment, "assessment_id": int(params["AssessmentID"]), "pos": pos, "dos": dos,
            "sort_index": sort_index, "start_day": previous_end + 1, "end_day": end,
            "days_in_period": end - previous_end,
            "start_date": start + dt.timedelta(days=previous_end) if start else None,
            "end_date": start + dt.timedelta(days=end - 1) if start else None,
            "carf_rate": rate or None,
        })  # fmt: skip
        previous_end = end
    return periods


def _f(text: str) -> float:
    return float(text) if text != "" else 0.0


def _expected(crafted: bool = True) -> dict[str, list[dict]]:
    folders = {"10908": (_read(FILES["logistics_parameters"])[0], _read(FILES["logistics_assessments"])[0])}
    if crafted:
        files = _crafted_files()
        folders[CRAFTED] = tuple(
            next(csv.DictReader(io.StringIO(files[s]))) for s in ("logistics_parameters", "logistics_assessments")
        )
    periods = [p for a, (params, op) in sorted(folders.items()) for p in _expected_periods(a, params, op)]
    items = _read(FILES["logistics_items"])  # all in folder 10908
    by_period = []
    for p in (p for p in periods if p["assessment"] == "10908"):
        days = p["days_in_period"]
        for line, item in enumerate(items, start=2):
            cube = _f(item["dss_cube"])
            by_period.append({
                "assessment": "10908", "sort_index": p["sort_index"], "line_number": line, "niin": item["NIIN"],
                "requirement_qty": days,
                "requirement_cost": (Decimal(item["Unit_Price"] or "0") * days).quantize(Decimal("0.01")),
                "requirement_weight_lbs": _f(item["dss_weight"]) * days,
                "requirement_cube_cuft": (0.01 if cube == 0 else cube) * days,
            })  # fmt: skip
    sums = defaultdict(lambda: [0, 0, Decimal(0), 0.0, 0.0])
    for r in by_period:
        s = sums[(r["assessment"], r["sort_index"])]
        s[0] += 1
        s[1] += r["requirement_qty"]
        s[2] += r["requirement_cost"]
        s[3] += r["requirement_weight_lbs"]
        s[4] += r["requirement_cube_cuft"]
    summary = []
    for p in periods:
        base = {"assessment": p["assessment"], "pos": p["pos"], "sort_index": p["sort_index"],
                "days_in_period": p["days_in_period"]}  # fmt: skip
        for class_sort, cls in enumerate(OTHER_CLASSES, start=1):
            summary.append({"class_of_supply": cls, "class_sort": class_sort, **base, "items": 0,
                            "requirement_qty": 0, "total_cost": Decimal("0.00"), "total_weight_lbs": 0.0,
                            "total_cube_cuft": 0.0})  # fmt: skip
        items_, qty, cost, weight, cube = sums.get((p["assessment"], p["sort_index"]), [0, 0, Decimal(0), 0.0, 0.0])
        summary.append({"class_of_supply": "IX", "class_sort": 7, **base, "items": items_, "requirement_qty": qty,
                        "total_cost": cost, "total_weight_lbs": weight, "total_cube_cuft": cube})  # fmt: skip
    return {"periods": periods, "by_period": by_period, "summary": summary}


def _approx_rows(rows: list[dict], float_keys: tuple[str, ...]) -> list[dict]:
    return [{k: (pytest.approx(v, rel=1e-9, abs=1e-9) if k in float_keys else v) for k, v in r.items()} for r in rows]


# ---- tests ------------------------------------------------------------------------------------------------------


def test_logistics_tables_match_an_independent_computation(lake, config):
    _ingest_all(lake, config)
    got = _build(lake, config)
    expected = _expected()

    # periods of support: exact, in (assessment, sort_index) order
    assert got["logistics_periods_of_support"] == expected["periods"]
    seed = [(p["pos"], p["start_day"], p["end_day"], p["days_in_period"], p["carf_rate"])
            for p in got["logistics_periods_of_support"] if p["assessment"] == "10908"]  # fmt: skip
    assert seed == [
        ("POS1", 1, 30, 30, "CarfAhtAssault"),
        ("POS2", 31, 60, 30, "CarfAhtSustainment"),
        ("POS3", 61, 90, 30, "CarfAhtSustainment"),
        ("BEYOND", 91, 115, 25, None),
    ]
    beyond = got["logistics_periods_of_support"][3]
    assert (beyond["start_date"], beyond["end_date"]) == (dt.date(2024, 10, 2), dt.date(2024, 10, 26))
    assert [p["pos"] for p in got["logistics_periods_of_support"] if p["assessment"] == CRAFTED] == [
        "POS1", "POS2", "POS3"
    ]  # fmt: skip

    # items x periods: every item once per period of its folder, costs exact, weights/cubes to float precision
    keys = ("assessment", "sort_index", "line_number", "niin", "requirement_qty", "requirement_cost",
            "requirement_weight_lbs", "requirement_cube_cuft")  # fmt: skip
    rows = sorted(
        ({k: r[k] for k in keys} for r in got["logistics_items_by_period"]),
        key=lambda r: (r["assessment"], r["sort_index"], r["line_number"]),
    )
    assert len(rows) == 6018 * 4
    assert rows == _approx_rows(expected["by_period"], ("requirement_weight_lbs", "requirement_cube_cuft"))

    # class summary: one column set, 7 classes per assessment and period, zeros where there is no item data
    summary = sorted(
        got["logistics_class_summary"], key=lambda r: (r["assessment"], r["sort_index"], r["class_sort"])
    )
    assert len(summary) == 7 * (4 + 3)
    assert summary == _approx_rows(expected["summary"], ("total_weight_lbs", "total_cube_cuft"))
    ix_pos1 = next(r for r in summary if r["assessment"] == "10908" and r["pos"] == "POS1" and r["class_of_supply"] == "IX")
    assert ix_pos1["items"] == 6018 and ix_pos1["total_cost"] == sum(
        (Decimal(i["Unit_Price"]) for i in _read(FILES["logistics_items"])), Decimal(0)
    ) * 30
    assert all(r["items"] == 0 and r["total_cost"] == 0 for r in summary if r["assessment"] == CRAFTED)


def test_logistics_tables_run_on_empty_inputs(lake, config):
    for name in TABLES:
        result = run_transform(lake, config, config.table(name))
        assert result.published and result.row_count == 0, name
    columns = dict(run_transform(lake, config, config.table("logistics_class_summary")).columns)
    assert columns["total_cost"] == "DECIMAL(18,2)" and columns["items"] == "BIGINT"


def test_items_without_parameters_give_no_periods(lake, config):
    name = FILES["logistics_items"]
    key = land(lake, f"landing/logistics/assessments/10908/{name}", (LOGISTICS / name).read_bytes())
    ingest(lake, config.source("logistics_items"), key)
    counts = {t: run_transform(lake, config, config.table(t)).row_count for t in TABLES}
    assert counts == dict.fromkeys(TABLES, 0)
