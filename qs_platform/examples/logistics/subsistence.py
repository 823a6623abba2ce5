"""Class I subsistence: meals by ration type following the headcount, pallets, the per-unit daily file and costs."""

from __future__ import annotations

import math

from qs_platform.examples.logistics.assessment import DOS, Assessment
from qs_platform.examples.logistics.force import Force, base_columns, unit_columns

_RATIONS = {  # ration type -> (cost per case/module as the original's cost table, meals per case, pallet factor)
    "MEALS_READY_TO_EAT_MRE": (119.03, 12, 48),
    "UGR_H_S_BREAKFAST": (403.90, 50, 8),
    "UGR_H_S_LUNCH_DINNER": (364.91, 50, 8),
    "UGR_M_BREAKFAST": (273.33, 50, 8),
    "UGR_M_LUNCH_DINNER": (273.33, 50, 8),
}


def _meals(force: Force, unit: dict, day: int, rng_share: float) -> dict[str, float]:
    """Meals a day by ration type for a unit: MREs while arriving, then hot meals (UGR-H&S) and UGR-M."""
    people = force.strength(unit, day)
    if not people:
        return dict.fromkeys(_RATIONS, 0.0)
    settled = day - unit["arrival"] >= 5
    mre = people * (1.0 if not settled else 1.0 - rng_share)
    hot = people - mre
    return {"MEALS_READY_TO_EAT_MRE": float(mre), "UGR_H_S_BREAKFAST": float(hot) * 0.5,
            "UGR_H_S_LUNCH_DINNER": float(hot), "UGR_M_BREAKFAST": float(hot) * 0.5 * 0.3,
            "UGR_M_LUNCH_DINNER": float(hot) * 0.3}  # fmt: skip


def _meals_by_location_and_period(a: Assessment, force: Force) -> dict[tuple[int, str], dict[str, float]]:
    totals: dict[tuple[int, str], dict[str, float]] = {}
    for unit in force.units:
        for day in range(1, a.duration + 1):
            _, dos = a.period_of(day)
            bucket = totals.setdefault((unit["location"]["id"], dos), dict.fromkeys(_RATIONS, 0.0))
            for ration, meals in _meals(force, unit, day, 0.6).items():
                bucket[ration] += meals
    return totals


def _pallets(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Ration_Type", "Region", "Region_MEF_Lead", "CAP_Name",
               "CAP_Names", "Location_ID", "Location_Name", "BEYOND", "Unit.of.Issue",
               *[f"{d}_Units" for d in DOS], *[f"{d}_Units_Pallet_Qty" for d in DOS],
               *[f"{d}_Units_Pallet_Tot_CuFT" for d in DOS], *[f"{d}_Units_Pallet_Tot_Wt.lbs." for d in DOS],
               *[f"{d}_Units_Pallet_Tot_TEUs" for d in DOS], *[f"{d}_Units_Pallet_Tot_FEUs" for d in DOS]]  # fmt: skip
    meals = _meals_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for ration, (_, per_case, per_pallet) in _RATIONS.items():
            row = {**base_columns(a, location, "I Subsistence"), "Ration_Type": ration, "CAP_Name": location["cap"],
                   "CAP_Names": f"{location['cap']}, {location['region']}", "Unit.of.Issue": "CS" if per_pallet == 48 else "MD"}  # fmt: skip
            row["BEYOND"] = float(math.ceil(meals.get((location["id"], "BEYOND"), {}).get(ration, 0.0) / per_case))
            for dos in DOS:
                units = float(math.ceil(meals.get((location["id"], dos), {}).get(ration, 0.0) / per_case))
                pallets = math.ceil(units / per_pallet)
                row.update({f"{dos}_Units": units, f"{dos}_Units_Pallet_Qty": pallets,
                            f"{dos}_Units_Pallet_Tot_CuFT": round(pallets * 56.11, 2),
                            f"{dos}_Units_Pallet_Tot_Wt.lbs.": round(pallets * (1_000.0 if per_pallet == 48 else 1_150.0), 1),
                            f"{dos}_Units_Pallet_Tot_TEUs": round(pallets / 16 * 1.063, 4),
                            f"{dos}_Units_Pallet_Tot_FEUs": round(pallets / 32 * 1.063, 4)})  # fmt: skip
            rows.append(row)
    return columns, rows


def _pax(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Location_ID", "Service", "MEF", "MSE", "CAP_Name", "CAP_Names",
               "UIC", "Day", "flowin", "cumflow", "Feed_Plan_ID", *_RATIONS, "Feed_Plan_ID_Row", "DOS_Period",
               "Location_Name", "Region", "Region_MEF_Lead"]  # fmt: skip
    rows = []
    for unit in force.units:
        location = unit["location"]
        plan = 1 if unit["uic"].startswith("EPW") else 2 + force.units.index(unit) % 3
        for day in range(1, a.duration + 1):
            _, dos = a.period_of(day)
            rows.append({**base_columns(a, location, "I Subsistence"), **unit_columns(unit, location), "Day": day,
                         "flowin": force.flowin(unit, day), "cumflow": force.strength(unit, day), "Feed_Plan_ID": plan,
                         **{k: round(v, 2) for k, v in _meals(force, unit, day, 0.6).items()},
                         "Feed_Plan_ID_Row": plan * 1000 + day, "DOS_Period": dos})  # fmt: skip
    return columns, rows


def _pos_location(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Region", "Region_MEF_Lead", "CAP_Name", "CAP_Names",
               "Location_ID", "Location_Name", "DOS_Period", *_RATIONS]  # fmt: skip
    meals = _meals_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for _, dos, _, _ in a.periods():
            totals = meals.get((location["id"], dos), dict.fromkeys(_RATIONS, 0.0))
            rows.append({**base_columns(a, location, "I Subsistence"), "CAP_Name": location["cap"],
                         "CAP_Names": f"{location['cap']}, {location['region']}", "DOS_Period": dos,
                         **{k: round(v, 2) for k, v in totals.items()}})  # fmt: skip
    return columns, rows


COST_COLUMNS = ["AssessmentNumber", "Class_of_Supply", "Region", "Region_MEF_Lead", "MEF", "CAP_Name", "CAP_Names",
                 "Location_ID", "Location_Name", "DOS_Period", "Ration_Type", "Ration_Cost", "UI_Count", "Total_UI_Cost"]  # fmt: skip


def _ration_costs(a, force, rng, items):
    meals = _meals_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for _, dos, _, _ in a.periods():
            for ration, (cost, per_case, _) in _RATIONS.items():
                cases = float(math.ceil(meals.get((location["id"], dos), {}).get(ration, 0.0) / per_case))
                rows.append({**base_columns(a, location, "I Subsistence"), "MEF": location["mef"], "CAP_Name": location["cap"],
                             "CAP_Names": f"{location['cap']}, {location['region']}", "DOS_Period": dos,
                             "Ration_Type": ration, "Ration_Cost": cost, "UI_Count": cases,
                             "Total_UI_Cost": round(cases * cost, 2)})  # fmt: skip
    return COST_COLUMNS, rows


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_I_POS_Pallet_Requirement.csv": _pallets,
    "RD_I_PaxLocationAll.csv": _pax,
    "RD_I_POS_Location.csv": _pos_location,
    "RD_I_Ration_Costs.csv": _ration_costs,
}
