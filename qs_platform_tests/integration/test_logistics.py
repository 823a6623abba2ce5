"""Logistics analytics (assets_config/tables/logistics*.yaml, scenarios.yaml) against the replaced system's own
logic, recomputed in plain Python (csv, no pandas) from the landed files.

Assessment 10908 lands as the real seed files plus its 14 calculator files generated from the real Class IX items;
a generated course of action (10902, with its own synthetic items) and a crafted assessment without items or a
period beyond POS3 land beside it. `sync` builds everything; every table must equal what the reference below
computes following the original's Lambdas (setup/lambda/step_*.py of aws-quicksight-dashboard-automation), not
the SQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from qs_platform.cli.sync import Syncer
from qs_platform.config.loader import lineage_config
from qs_platform.config.models import normalise_column_name
from qs_platform.config.settings import Settings
from qs_platform.examples.logistics import (
    DEMO_ASSESSMENTS,
    LOGISTICS_FILES,
    Assessment,
    generate_logistics_assessment,
    read_classix,
)
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, SEEDS, memory_instance

LOGISTICS = SEEDS / "logistics"
SEED_FILES = ("classix_dimensional_data.csv", "AssessmentTable.csv", "AssessmentParameterDataMapTable.csv")
REAL = Assessment(10908, "Test Classes", start=dt.date(2024, 7, 4), duration=115, days_of_supply=(30, 60, 90))
OTHER = DEMO_ASSESSMENTS[1]  # 10902: 15/45/75 days of supply, 100 days, 9 units on 5 sites
CRAFTED = "20001"  # days of supply 10/20/30, operation of 30 days: no BEYOND; no items, no calculator files
CLASSES = [(1, "I Subsistence"), (2, "I Water"), (3, "III P"), (4, "IV"), (6, "VI"), (7, "II/VII"), (8, "IX C"),
           (9, "IX C (B)"), (10, "IX C (S)")]  # fmt: skip

pytestmark = pytest.mark.skipif(not LOGISTICS.exists(), reason="needs ../shared/data/seeds/logistics")


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _crafted_files() -> dict[str, str]:
    assessment = dict(_read(LOGISTICS / "AssessmentTable.csv")[0])
    assessment.update(ID="20001", AssessmentNumber="20001", OperationDuration="30",
                      OperationStartDate="2025-01-01", OperationEndDate="2025-01-30")  # fmt: skip
    params = dict(_read(LOGISTICS / "AssessmentParameterDataMapTable.csv")[0])
    params.update(ID="903", AssessmentID="20001", DaysOfSupplyFirst="10", DaysOfSupplySecond="20",
                  DaysOfSupplyThird="30", POS1CARFRate="RateA", POS2CARFRate="RateB", POS3CARFRate="RateC")  # fmt: skip
    return {"AssessmentTable.csv": _write([assessment]), "AssessmentParameterDataMapTable.csv": _write([params])}


LOGISTICS_SOURCES = None  # every source landing under landing/logistics/


@pytest.fixture(scope="module")
def built(tmp_path_factory, config):
    root = tmp_path_factory.mktemp("logistics")
    settings = Settings.from_env({"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(root / "lake")})
    landing = root / "lake" / "landing"
    real = landing / "logistics" / "assessments" / "10908"
    real.mkdir(parents=True)
    for name in SEED_FILES:
        (real / name).write_bytes((LOGISTICS / name).read_bytes())
    generate_logistics_assessment(
        landing, REAL, seed=4, items=read_classix(LOGISTICS / SEED_FILES[0]), assessment_files=False
    )
    generate_logistics_assessment(landing, OTHER, seed=4)
    for name, text in _crafted_files().items():
        (landing / "logistics" / "assessments" / CRAFTED).mkdir(parents=True, exist_ok=True)
        (landing / "logistics" / "assessments" / CRAFTED / name).write_text(text)
    sources = [s.name for s in config.sources if s.landing_prefix == "landing/logistics/"]
    with memory_instance() as instance:
        report = Syncer(build_definitions(settings, lineage_config(config, sources, quicksight=False)), instance).sync()
    assert report.ok and report.quarantined == [], (report.failed_runs, report.quarantined)
    assert report.failed_checks == [], report.failed_checks
    with duckdb.connect(str(settings.catalog_path), read_only=True) as con:
        tables = {
            name: [dict(zip(rel.columns, row)) for row in rel.fetchall()]
            for name in [t.name for t in config.tables if t.name.startswith("logistics_")]
            for rel in [con.sql(f"select * from processed.{name}")]
        }
        tables["raw_rejected"] = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'quarantine'"
        ).fetchone()[0]
        tables["raw_counts"] = {s: con.execute(f"select count(*) from raw.{s}").fetchone()[0] for s in sources}
    return landing / "logistics" / "assessments", tables, report


# ---- reading the landed files as the original did (strings, then numbers where it computed) -------------------


def files(folders: Path, name: str) -> dict[str, list[dict]]:
    """folder -> the rows of its file `name`, keys normalised like our columns (the original's capitalising
    clean-up only changed case and punctuation: its Potable_rqmt -> Potable_Rqmt etc. land on the same name)."""
    out = {}
    for folder in sorted(p for p in folders.iterdir() if (p / name).exists()):
        with open(folder / name, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            keys, seen = [], set()
            for i, column in enumerate(header):
                key = normalise_column_name(column)
                key = key if key not in seen else f"{key}_{i + 1}"
                seen.add(key)
                keys.append(key)
            out[folder.name] = [dict(zip(keys, row)) for row in reader]
    return out


def num(text: str) -> float | None:
    return float(text) if text.strip() != "" else None


def mul(a, b):
    return None if a is None or b is None else a * b


def periods_of(folders: Path) -> dict[str, dict[str, dict]]:
    """folder -> DOS -> the POS.csv row the original joined: pos, dos, period (its END day), sort_index."""
    out = {}
    for folder, [params] in files(folders, "AssessmentParameterDataMapTable.csv").items():
        [operation] = files(folders, "AssessmentTable.csv")[folder]
        ends = [int(params["days_of_supply_first"]), int(params["days_of_supply_second"]),
                int(params["days_of_supply_third"]), int(operation["operation_duration"])]  # fmt: skip
        rows, previous = {}, 0
        for index, (pos, dos, end) in enumerate(
            zip(("POS1", "POS2", "POS3", "BEYOND"), ("DOS1", "DOS2", "DOS3", "BEYOND"), ends)
        ):
            if end > previous:  # our periods table drops a period that would be empty (the crafted BEYOND)
                rows[dos] = {"pos": pos, "dos": dos, "period": end, "sort_index": index + 1, "days": end - previous}
                previous = end
        out[folder] = rows
    return out


def pos_columns(periods, folder, dos) -> dict:
    p = periods.get(folder, {}).get(dos)
    return {
        "pos": p and p["pos"],
        "dos": p and p["dos"],
        "period": p and p["period"],
        "sort_index": p and p["sort_index"],
    }


def compare(got: list[dict], expected: list[dict], keys: tuple[str, ...]) -> None:
    """Row by row on `keys`: the same rows, numbers (by the table's column types) equal to float precision."""
    assert expected, "the reference has rows"
    numeric = {
        k for k in keys if any(isinstance(r[k], (int, float, Decimal)) and not isinstance(r[k], bool) for r in got)
    }

    def normal(row):
        return tuple(
            None if row[k] is None or row[k] == "" else float(row[k]) if k in numeric else str(row[k]) for k in keys
        )

    got_rows = sorted((normal(r) for r in got), key=repr)
    want_rows = sorted((normal(r) for r in expected), key=repr)
    assert len(got_rows) == len(want_rows)
    for g, w in zip(got_rows, want_rows):
        assert list(g) == [pytest.approx(v, rel=1e-9, abs=1e-9) if isinstance(v, float) else v for v in w], (keys, g, w)


# ---- the reference: one function per Lambda -----------------------------------------------------------------


def ref_joined(folders, name):
    """step_force_flow_lambda.get_joins: a calculator file left-joined to POS.csv on DOS_Period = DOS."""
    periods = periods_of(folders)
    return [{**row, "assessment": folder, **pos_columns(periods, folder, row["dos_period"])}
            for folder, rows in files(folders, name).items() for row in rows]  # fmt: skip


def ref_water_pax(folders):
    out = []
    periods = periods_of(folders)
    for folder, rows in files(folders, "RD_IW_PaxLocationAll.csv").items():
        daily = defaultdict(lambda: defaultdict(float))  # df.groupby('Day')[...].transform('sum')
        for r in rows:
            for column in ("flowin", "potable_rqmt", "non_potable_rqmt", "drinking_rqmt"):
                daily[r["day"]][column] += num(r[column]) or 0.0
        for r in rows:
            d = daily[r["day"]]
            out.append({**r, "assessment": folder, "daily_inflow": d["flowin"], "daily_potable_rqmt": d["potable_rqmt"],
                        "daily_non_potable_rqmt": d["non_potable_rqmt"], "daily_drinking_rqmt": d["drinking_rqmt"],
                        "daily_total_potable_non_potable_rqmt": d["potable_rqmt"] + d["non_potable_rqmt"],
                        **pos_columns(periods, folder, r["dos_period"])})  # fmt: skip
    return out


def ref_force_flow(folders):
    out = []
    periods = periods_of(folders)
    operations = files(folders, "AssessmentTable.csv")
    for folder, rows in files(folders, "RD_I_PaxLocationAll.csv").items():
        daily = defaultdict(float)
        for r in rows:
            daily[int(r["day"])] += float(r["flowin"])
        cumulative, running = {}, 0.0
        for day in sorted(daily):  # daily_Inflow['Day'] sorted by groupby, then cumsum
            running += daily[day]
            cumulative[day] = running
        operation = {o["assessment_number"]: o for o in operations.get(folder, [])}
        for r in rows:
            out.append({**r, "assessment": folder, "operation_duration": operation.get(r["assessment_number"], {}).get("operation_duration"),
                        "daily_inflow": daily[int(r["day"])], "cumulative_daily_inflow": cumulative[int(r["day"])],
                        **pos_columns(periods, folder, r["dos_period"])})  # fmt: skip
    return out


RATION_COST = {"MEALS_READY_TO_EAT_MRE": 119.03, "UGR_H_S_BREAKFAST": 403.90, "UGR_H_S_LUNCH_DINNER": 364.91,
               "UGR_M_BREAKFAST": 273.33, "UGR_M_LUNCH_DINNER": 273.33}  # fmt: skip


def ref_i_embark(folders):
    """step_cosi_lambda: DOS -> POS, melt the POS1..3 and BEYOND metrics, pivot, cost by ration type."""
    out = []
    for folder, rows in files(folders, "RD_I_POS_Pallet_Requirement.csv").items():
        for r in rows:
            kind = r["ration_type"]
            beyond = num(r["beyond"])
            pallets_beyond = (beyond / 48 if kind == "MEALS_READY_TO_EAT_MRE" else beyond / 8
                              if kind in ("UGR_H_S_BREAKFAST", "UGR_H_S_LUNCH_DINNER", "UGR_M_BREAKFAST", "UGR_M_LUNCH_DINNER") else None)  # fmt: skip
            metrics = {"BEYOND": (beyond, pallets_beyond, None, None, None)}
            for n in (1, 2, 3):
                metrics[f"POS{n}"] = tuple(num(r[f"dos{n}_units{suffix}"]) for suffix in
                                           ("", "_pallet_qty", "_pallet_tot_cu_ft", "_pallet_tot_teus", "_pallet_tot_wt_lbs"))  # fmt: skip
            for pos, (qty, pallets, cuft, teus, weight) in metrics.items():
                out.append({"assessment": folder, "location_id": r["location_id"], "cos_type": kind, "pos": pos, "qty": qty,
                            "pallets": pallets, "cuft": cuft, "teus": teus, "weight_lbs": weight, "ui": r["unit_of_issue"],
                            "class_of_supply": r["class_of_supply"], "region": r["region"], "location_name": r["location_name"],
                            "total_cost": mul(qty, RATION_COST.get(kind, 0))})  # fmt: skip
    return out


def ref_water_embark(folders):
    """step_cosi_water_lambda: melt the three requirements, palletise drinking water, keep weight > 0."""
    out = []
    for r in ref_water_pax(folders):
        for kind in ("Potable_Rqmt", "NonPotable_Rqmt", "Drinking_Rqmt"):
            units = num(r[normalise_column_name(kind)])
            drinking = kind == "Drinking_Rqmt"
            pallets = units / 50 * (1 + 0.02 * 0.04) if drinking and units is not None else None
            weight = pallets * 1700 if pallets is not None else 0.0
            if weight > 0:
                out.append({"assessment": r["assessment"], "uic": r["uic"], "day": r["day"], "cos_type": kind, "qty": units,
                            "class_of_supply": r["class_of_supply"],
                            "pallets": pallets, "cuft": pallets * 56.11, "weight_lbs": weight,
                            "teus": (pallets / 16) * (1 + 0.063), "total_cost": units * 3.05, "ui": "Case", "pos": r["pos"]})  # fmt: skip
    return out


def ref_ii_vii_embark(folders):
    out = []
    for folder, rows in files(folders, "RD_II_VII_DailyTE_WithDimensions.csv").items():
        for r in rows:
            qty, ston = num(r["te_orig_qty"]), num(r["ind_ston"])
            stons = qty * ston
            weight = stons / 2000  # sic: the original's Weight_lbs
            if weight > 0:
                out.append({"assessment": folder, "uic": r["uic"], "day": r["day"], "cos_type": r["tamcn"] + "_Class_II/VII",
                            "class_of_supply": r["class_of_supply"],
                            "qty": qty, "cuft": qty * num(r["ind_cuft"]), "sqft": qty * num(r["ind_sqft"]),
                            "teus": qty * num(r["teu_equivalents"]), "weight_lbs": weight,
                            "total_cost": num(r["standard_unit_price"]) * qty, "pos": r["pos"], "ui": "NIIN"})  # fmt: skip
    return out


def ref_iiip_embark(folders):
    out = []
    for folder, rows in files(folders, "RD_IIIP_POL_Pkg_NSN_Requirements_PBI.csv").items():
        for r in rows:
            qty = num(r["qty"])
            stons = qty * num(r["ind_ston"])
            if stons > 0:
                out.append({"assessment": folder, "location_name": r["location_name"], "pos": r["pos"], "cos_type": r["pol_type"],
                            "class_of_supply": r["class_of_supply"],
                            "ui": r["pol_pkg_type"], "region_mef_lead": r["mef"], "qty": qty, "stons": stons,
                            "weight_lbs": stons / 2000, "sqft": qty * num(r["ind_sqft_cube"]), "teus": qty * num(r["ind_teus_cube"]),
                            "cuft": qty * num(r["ind_cuft"]), "total_cost": num(r["standard_unit_price"]) * qty})  # fmt: skip
    return out


def ref_iv_embark(folders):
    out = []
    for folder, rows in files(folders, "RD_IV_Daily_Requirements.csv").items():
        for r in rows:
            weight = num(r["total_weight_lb"])
            if weight / 2000 > 0:
                out.append({"assessment": folder, "location_name": r["location_name"], "day": r["day"], "cos_type": r["niin"],
                            "class_of_supply": r["class_of_supply"],
                            "qty": num(r["uoi_qty"]), "total_cost": num(r["total_price"]), "weight_lbs": weight,
                            "cuft": num(r["total_volume_cu_ft"]), "teus": 0.0, "stons": weight / 2000, "pos": r["pos"]})  # fmt: skip
    return out


VI_PRICES = {
    "13689154": 240.58,
    "013689154": 240.58,
    "13689155": 50.95,
    "013689155": 50.95,
    "14877488": 68.38,
    "014877488": 68.38,
}


def ref_vi_embark(folders):
    """step_cosvi_lambda: melt the NIIN_Qty metrics (POS stays DOS1..3 as its regex extracted it), price 3 NIINs."""
    out = []
    for folder, rows in files(folders, "RD_VI_POS_Pallet_Requirement.csv").items():
        for r in rows:
            for n in (1, 2, 3):
                weight = num(r[f"dos{n}_units_niin_qty_pallet_tot_wt_lbs"])
                qty = num(r[f"dos{n}_units_niin_qty"])
                if weight is not None and weight > 0:
                    out.append({"assessment": folder, "location_id": r["location_id"], "cos_type": r["hcp_type"], "niin": r["niin"],
                                "class_of_supply": r["class_of_supply"],
                                "pos": f"DOS{n}", "qty": qty, "pallets": num(r[f"dos{n}_units_niin_qty_pallet_qty"]),
                                "cuft": num(r[f"dos{n}_units_niin_qty_pallet_tot_cu_ft"]), "weight_lbs": weight,
                                "teus": num(r[f"dos{n}_units_niin_qty_pallet_tot_teus"]), "ui": "Box",
                                "total_cost": qty * VI_PRICES[r["niin"]] if r["niin"] in VI_PRICES else 0})  # fmt: skip
    return out


def _flag(text: str):
    return {"TRUE": True, "FALSE": False}.get(text.upper())


def ref_ix_embark(folders):
    """step_cosix_lambda: flags -> class, merge with the dimensional data on NIIN, melt 12 ways, size and weigh."""
    out = []
    items_by_folder = files(folders, "classix_dimensional_data.csv")
    for folder, rows in files(folders, "RD_IX_Requirement_Trimmed.csv").items():
        items = {}
        for item in items_by_folder.get(folder, []):  # drop_duplicates(subset=["NIIN", "Nomenclature"])
            items.setdefault((item["niin"], item["nomenclature"]), item)
        by_niin = defaultdict(list)
        for (niin, _), item in items.items():
            by_niin[niin].append(item)
        for r in rows:
            battery, secrep = _flag(r["battery_flag"]), _flag(r["secrep_flag"])
            klass = "IX C (B)" if battery is True else "IX C (S)" if secrep is True else "IX C"
            for item in by_niin.get(r["niin_of_part_required"], []):
                cube = num(item["dss_cube"])
                cube = 0.01 if cube == 0.0 else cube
                weight = num(item["dss_weight"])
                length, width, height = (num(r[f"dim_{d}_inches"]) for d in ("length", "width", "height"))
                if any(v in (9999, 0) for v in (length, width, height)):
                    cuft = cube
                else:
                    cuft = max((length / 12) * (width / 12) * (height / 12), cube)
                sqft = 0.0 if any(v in (9999, 0) for v in (length, width)) else (length / 12) * (width / 12)
                for base, prefix in (
                    ("TAMCN_NIIN_QTY", "tamcn_niin_qty"),
                    ("Required", "required"),
                    ("Value", "value"),
                ):
                    for pos in ("POS1", "POS2", "POS3", "BEYOND"):
                        requirement = num(r[f"{prefix}_{pos.lower()}"])
                        out.append({"assessment": folder, "tamcn_niin": r["tamcn_niin"], "location_name": r["location_name"],
                                    "class_of_supply": klass, "niin": r["niin_of_part_required"], "feature": base, "pos": pos,
                                    "requirement": requirement, "cuft": cuft, "sqft": sqft, "weight_lbs": weight * requirement,
                                    "fie_cuft": cuft * num(r["required_fie"]), "fie_weight_lbs": weight * num(r["required_fie"]),
                                    "cost_fie": num(r["value_fie"]), "total_cost_less_fie": num(r["total_value_less_fie"]),
                                    "total_cost": num(r["total_value_selected_confidence"]), "dss_cube": cube})  # fmt: skip
    return out


def ref_embark(folders):
    """step_embark_agg_lambda: every cos*embark file of a folder on one column set, missing columns and NaN as 0."""
    parts = {"cosi_embark": ref_i_embark, "cosi_water_embark": ref_water_embark, "cosii_vii_embark": ref_ii_vii_embark,
             "cosiiip_embark": ref_iiip_embark, "cosiv_embark": ref_iv_embark, "cosix_embark": ref_ix_embark,
             "cosvi_embark": ref_vi_embark}  # fmt: skip
    return [
        {"assessment": r["assessment"], "embark_file": embark_file, "class_of_supply": r["class_of_supply"], "pos": r["pos"] or "0",
         **{c: r.get(c) or 0.0 for c in ("cuft", "sqft", "teus", "weight_lbs", "total_cost")}}
        for embark_file, ref in parts.items() for r in ref(folders)
    ]  # fmt: skip


# ---- tests --------------------------------------------------------------------------------------------------


def test_every_generated_file_lands_and_nothing_is_quarantined(built, config):
    folders, tables, _ = built
    assert tables["raw_rejected"] == 0
    assert sorted(p.name for p in folders.iterdir()) == ["10902", "10908", CRAFTED]
    for name in (*LOGISTICS_FILES, *SEED_FILES):
        [source] = [
            s for s in config.sources if s.landing_prefix == "landing/logistics/" and Path(name).match(s.file_pattern)
        ]
        assert tables["raw_counts"][source.name] == sum(len(rows) for rows in files(folders, name).values()) > 0, name


def test_periods_of_support_end_where_the_original_said(built):
    _, tables, _ = built
    got = [
        (r["assessment"], r["pos"], r["start_day"], r["end_day"], r["days_in_period"])
        for r in tables["logistics_periods_of_support"]
    ]
    assert [g for g in got if g[0] == "10908"] == [
        ("10908", "POS1", 1, 30, 30), ("10908", "POS2", 31, 60, 30), ("10908", "POS3", 61, 90, 30), ("10908", "BEYOND", 91, 115, 25)
    ]  # fmt: skip
    assert [g[1] for g in got if g[0] == CRAFTED] == ["POS1", "POS2", "POS3"]
    assert [g[3] for g in got if g[0] == "10902"] == [15, 45, 75, 100]


def test_the_pos_joins_and_the_force_flow_match_the_original(built):
    folders, tables, _ = built
    keys = (
        "assessment",
        "location_id",
        "dos_period",
        "meals_ready_to_eat_mre",
        "ugr_m_lunch_dinner",
        "pos",
        "period",
        "sort_index",
    )
    compare(tables["logistics_i_pos_location_joined"], ref_joined(folders, "RD_I_POS_Location.csv"), keys)
    keys = (
        "assessment",
        "location_id",
        "dos_period",
        "ration_type",
        "ui_count",
        "total_ui_cost",
        "pos",
        "period",
        "sort_index",
    )
    compare(tables["logistics_i_ration_costs_joined"], ref_joined(folders, "RD_I_Ration_Costs.csv"), keys)
    compare(tables["logistics_water_ration_costs_joined"], ref_joined(folders, "RD_IW_Ration_Costs.csv"), keys)
    keys = ("assessment", "uic", "day", "potable_rqmt", "non_potable_rqmt", "drinking_rqmt", "daily_inflow", "daily_potable_rqmt",
            "daily_non_potable_rqmt", "daily_drinking_rqmt", "daily_total_potable_non_potable_rqmt", "pos", "period")  # fmt: skip
    compare(tables["logistics_water_pax_joined"], ref_water_pax(folders), keys)
    keys = ("assessment", "uic", "day", "flowin", "cumflow", "pos", "period", "sort_index", "operation_duration", "daily_inflow",
            "cumulative_daily_inflow")  # fmt: skip
    compare(tables["logistics_force_flow"], ref_force_flow(folders), keys)
    # the real assessment: POS.csv's Period is each period's end day
    assert {(r["pos"], r["period"]) for r in tables["logistics_force_flow"] if r["assessment"] == "10908"} == {
        ("POS1", 30),
        ("POS2", 60),
        ("POS3", 90),
        ("BEYOND", 115),
    }


def test_class_i_water_ii_vii_iiip_iv_vi_embark_match_the_original(built):
    folders, tables, _ = built
    compare(
        tables["logistics_i_embark"],
        ref_i_embark(folders),
        (
            "assessment",
            "location_id",
            "cos_type",
            "pos",
            "qty",
            "pallets",
            "cuft",
            "teus",
            "weight_lbs",
            "total_cost",
            "ui",
        ),
    )
    compare(
        tables["logistics_water_embark"],
        ref_water_embark(folders),
        (
            "assessment",
            "uic",
            "day",
            "cos_type",
            "qty",
            "pallets",
            "cuft",
            "weight_lbs",
            "teus",
            "total_cost",
            "ui",
            "pos",
        ),
    )
    compare(
        tables["logistics_ii_vii_embark"],
        ref_ii_vii_embark(folders),
        (
            "assessment",
            "uic",
            "day",
            "cos_type",
            "qty",
            "cuft",
            "sqft",
            "teus",
            "weight_lbs",
            "total_cost",
            "pos",
            "ui",
        ),
    )
    compare(tables["logistics_iiip_embark"], ref_iiip_embark(folders),
            ("assessment", "location_name", "pos", "cos_type", "ui", "region_mef_lead", "qty", "stons", "weight_lbs", "sqft", "teus",
             "cuft", "total_cost"))  # fmt: skip
    compare(
        tables["logistics_iv_embark"],
        ref_iv_embark(folders),
        (
            "assessment",
            "location_name",
            "day",
            "cos_type",
            "qty",
            "total_cost",
            "weight_lbs",
            "cuft",
            "teus",
            "stons",
            "pos",
        ),
    )
    compare(
        tables["logistics_vi_embark"],
        ref_vi_embark(folders),
        (
            "assessment",
            "location_id",
            "cos_type",
            "niin",
            "pos",
            "qty",
            "pallets",
            "cuft",
            "weight_lbs",
            "teus",
            "ui",
            "total_cost",
        ),
    )
    # the quirks really were there: dropped zero rows, both NIIN spellings priced, an unpriced class VI NIIN at 0
    raw_iv = [r for rows in files(folders, "RD_IV_Daily_Requirements.csv").values() for r in rows]
    assert len(tables["logistics_iv_embark"]) < len(raw_iv)
    vi = {(r["niin"], r["total_cost"] > 0) for r in tables["logistics_vi_embark"]}
    assert {("013689154", True), ("13689155", True), ("014877488", True)} <= vi and ("015552233", True) not in vi


def test_class_ix_embark_matches_the_original(built):
    folders, tables, _ = built
    expected = ref_ix_embark(folders)
    compare(tables["logistics_ix_embark"], expected,
            ("assessment", "tamcn_niin", "location_name", "class_of_supply", "niin", "feature", "pos", "requirement", "cuft", "sqft",
             "weight_lbs", "fie_cuft", "fie_weight_lbs", "cost_fie", "total_cost_less_fie", "total_cost", "dss_cube"))  # fmt: skip
    classes = {r["class_of_supply"] for r in expected}
    assert classes == {"IX C", "IX C (B)", "IX C (S)"}, "battery and SECREP flags in every spelling"
    assert {r["assessment"] for r in expected} == {"10908", "10902"}, (
        "the real items join the real assessment, leading zeros kept"
    )
    assert any(r["dss_cube"] == 0.01 for r in expected), "a zero cube of the dimensional data counts 0.01"


def test_the_aggregated_embark_and_the_class_summary(built):
    folders, tables, _ = built
    expected = ref_embark(folders)
    compare(
        tables["logistics_embark"],
        expected,
        ("assessment", "embark_file", "class_of_supply", "pos", "cuft", "sqft", "teus", "weight_lbs", "total_cost"),
    )
    assert {r["embark_file"] for r in tables["logistics_embark"]} == {
        "cosi_embark", "cosi_water_embark", "cosii_vii_embark", "cosiiip_embark", "cosiv_embark", "cosix_embark", "cosvi_embark"
    }  # fmt: skip

    # the class summary: per assessment, period and class, the embark's sums (class VI's DOSn are POSn)
    periods = periods_of(folders)
    sums = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for row in tables["logistics_embark"]:
        pos = {"DOS1": "POS1", "DOS2": "POS2", "DOS3": "POS3"}.get(row["pos"], row["pos"])
        s = sums[(row["assessment"], row["class_of_supply"], pos)]
        s[0] += 1
        s[1] += row["total_cost"]
        s[2] += row["weight_lbs"]
        s[3] += row["cuft"]
    expected_summary = []
    for folder, by_dos in periods.items():
        for period in by_dos.values():
            for sort, klass in CLASSES:
                items, cost, weight, cube = sums.get((folder, klass, period["pos"]), [0, 0.0, 0.0, 0.0])
                expected_summary.append({"assessment": folder, "class_of_supply": klass, "class_sort": sort, "pos": period["pos"],
                                         "days_in_period": period["days"], "items": items, "total_cost": round(cost, 2),
                                         "total_weight_lbs": weight, "total_cube_cuft": cube})  # fmt: skip
    compare(
        tables["logistics_class_summary"],
        expected_summary,
        (
            "assessment",
            "class_of_supply",
            "class_sort",
            "pos",
            "days_in_period",
            "items",
            "total_cost",
            "total_weight_lbs",
            "total_cube_cuft",
        ),
    )
    nonzero = {
        r["class_of_supply"]
        for r in tables["logistics_class_summary"]
        if r["assessment"] == "10908" and r["total_cost"] > 0
    }
    assert nonzero == {klass for _, klass in CLASSES}, "every class of the real assessment has numbers now"
    assert all(r["items"] == 0 for r in tables["logistics_class_summary"] if r["assessment"] == CRAFTED)


def test_scenarios_compare_three_courses_of_action(built):
    _, tables, _ = built
    rows = tables["logistics_scenario_comparison"]
    assert {r["scenario"] for r in rows} == {"10902", "10908", CRAFTED}
    assert {r["baseline_scenario"] for r in rows} == {"10902"}
    base = {r["class_of_supply"]: r for r in rows if r["scenario"] == "10902"}
    for r in rows:
        assert r["cost_vs_baseline"] == r["total_cost"] - base[r["class_of_supply"]]["total_cost"]
    assert {r["scenario_title"] for r in rows} >= {"Test Classes", OTHER.title}
    assert any(r["cost_vs_baseline"] != 0 for r in rows if r["scenario"] == "10908")


def test_logistics_tables_run_on_empty_inputs(lake, config):
    from qs_platform.sql.dependencies import sql_dependencies
    from qs_platform.transform.run import run_transform

    pending = [t for t in config.tables if t.name.startswith("logistics_")]
    assert len(pending) >= 16
    done: set[str] = set()
    while pending:  # in dependency order
        table = next(t for t in pending if all(d.startswith("raw.") or d in done for d in sql_dependencies(t.sql)))
        result = run_transform(lake, config, table)
        assert result.published and result.row_count == 0, table.name
        done.add(table.table_name)
        pending.remove(table)
    columns = dict(run_transform(lake, config, config.table("logistics_class_summary")).columns)
    assert columns["total_cost"] == "DECIMAL(18,2)" and columns["items"] == "BIGINT"
