"""Class I water: potable, non-potable and bottled water by climate and headcount, as the water calculator wrote
them."""

from __future__ import annotations

import math

from qs_platform.examples.logistics.assessment import DOS, Assessment
from qs_platform.examples.logistics.force import Force, base_columns, unit_columns
from qs_platform.examples.logistics.subsistence import COST_COLUMNS

_WATER_TYPES = {"Bottled Water": 3.05, "Bulk Potable": 0.02, "Bulk Non-Potable": 0.01}
_WATER_FACTORS = {"Potable": 3.5, "Non-potable": 5.0, "Drinking": 1.5}  # gallons a person a day by climate "Temperate"
_CLIMATE = {"Tropical": 1.3, "Arid": 1.5, "Temperate": 1.0, "Cold": 0.8}


def _water_day(unit: dict, force: Force, day: int) -> dict[str, float]:
    people = force.strength(unit, day)
    factor = _CLIMATE[unit["location"]["climate"]]
    potable, non_potable = _WATER_FACTORS["Potable"] * factor, _WATER_FACTORS["Non-potable"] * factor
    drinking = _WATER_FACTORS["Drinking"] * factor
    return {"Potable": potable, "Non-potable": non_potable, "Total water": potable + non_potable, "Drinking": drinking,
            "Potable_rqmt": round(people * potable, 2), "Non-potable_rqmt": round(people * non_potable, 2),
            "Total_rqmt": round(people * (potable + non_potable), 2),
            "Drinking_rqmt": float(math.ceil(people * drinking / 6))}  # cases of 6 gallons  # fmt: skip


def _water_pax(a, force, rng, items):
    # the water calculator's own header: Non-potable, Total water, *_rqmt in lower case and three empty columns
    columns = ["AssessmentNumber", "Class_of_Supply", "Location_ID", "Service", "MEF", "MSE", "CAP_Name", "CAP_Names",
               "UIC", "Day", "Flowin", "Cumflow", "Wparameter", "Plan", "Potable", "Non-potable", "Total water",
               "Drinking", "Potable_rqmt", "Non-potable_rqmt", "Total_rqmt", "Drinking_rqmt", "DOS_Period",
               "Location_Name", "Region", "Region_MEF_Lead", "V7", "V8", "V9"]  # fmt: skip
    rows = []
    for unit in force.units:
        location = unit["location"]
        for day in range(1, a.duration + 1):
            _, dos = a.period_of(day)
            rows.append({**base_columns(a, location, "I Water"), **unit_columns(unit, location), "Day": day,
                         "Flowin": force.flowin(unit, day), "Cumflow": force.strength(unit, day),
                         "Wparameter": location["climate"], "Plan": "Standard", **_water_day(unit, force, day),
                         "DOS_Period": dos})  # fmt: skip
    return columns, rows


def _water_by_location_and_period(a: Assessment, force: Force) -> dict[tuple[int, str], dict[str, float]]:
    totals: dict[tuple[int, str], dict[str, float]] = {}
    for unit in force.units:
        for day in range(1, a.duration + 1):
            _, dos = a.period_of(day)
            water = _water_day(unit, force, day)
            bucket = totals.setdefault((unit["location"]["id"], dos), dict.fromkeys(_WATER_TYPES, 0.0))
            bucket["Bottled Water"] += water["Drinking_rqmt"]
            bucket["Bulk Potable"] += water["Potable_rqmt"]
            bucket["Bulk Non-Potable"] += water["Non-potable_rqmt"]
    return totals


def _water_ration_costs(a, force, rng, items):
    water = _water_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for _, dos, _, _ in a.periods():
            for kind, cost in _WATER_TYPES.items():
                count = round(water.get((location["id"], dos), {}).get(kind, 0.0), 2)
                rows.append({**base_columns(a, location, "I Water"), "MEF": location["mef"], "CAP_Name": location["cap"],
                             "CAP_Names": f"{location['cap']}, {location['region']}", "DOS_Period": dos,
                             "Ration_Type": kind, "Ration_Cost": cost, "UI_Count": count,
                             "Total_UI_Cost": round(count * cost, 2)})  # fmt: skip
    return COST_COLUMNS, rows


def _water_requirement(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Ration_Type", "Region", "Region_MEF_Lead", "CAP_Name",
               "CAP_Names", "Location_ID", *[f"UI_Count_{d}" for d in (*DOS, "BEYOND")],
               *[f"Total_UI_Cost_{d}" for d in (*DOS, "BEYOND")], "Location_Name"]  # fmt: skip
    water = _water_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for kind, cost in _WATER_TYPES.items():
            row = {**base_columns(a, location, "I Water"), "Ration_Type": kind, "CAP_Name": location["cap"],
                   "CAP_Names": f"{location['cap']}, {location['region']}"}  # fmt: skip
            for dos in (*DOS, "BEYOND"):
                count = round(water.get((location["id"], dos), {}).get(kind, 0.0), 2)
                row[f"UI_Count_{dos}"], row[f"Total_UI_Cost_{dos}"] = count, round(count * cost, 2)
            rows.append(row)
    return columns, rows


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_IW_PaxLocationAll.csv": _water_pax,
    "RD_IW_Ration_Costs.csv": _water_ration_costs,
    "RD_IW_POS_Requirement.csv": _water_requirement,
}
