"""Class IX: repair parts for the end items of each location, from the Class IX items, with confidence levels."""

from __future__ import annotations

import math

from qs_platform.examples.logistics.equipment import TAMCNS

_IX_LEVELS = ("80", "85", "90", "95", "99")
_IX_PERIODS = ("FIE", "POS1", "POS2", "POS3", "BEYOND")


def _ix(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Region", "MEF", "FIE", "Location.Name", "SECREP.Flag",
               "Battery.Flag", "Average.Daily.Inventory", "TAMCN_NIIN", "TAMCN_of_End_Item", "NIIN_of_End_Item",
               "ITEM_DESIGNATOR_CODE", "COLLOQUIAL_NAME", *[f"TAMCN_NIIN_QTY_{p}" for p in _IX_PERIODS],
               "EQUIP_CRIT_RNK", "CRITICALITY_CODE_MAPPING", "AVERAGE_SCORE", "FSC.of.Part.Required",
               "NIIN.of.Part.Required", "Nomenclature.of.Part.Required", "Annual_Burn_Rate_Per_TAMCN_NIIN",
               "Annual_Repair_Rate_Per_TAMCN_NIIN", "Annual_Burn_Rate_Per_TAMCN_NIIN_With_Repairing", "UNIT_OF_ISSUE",
               "DIM.LENGTH.INCHES", "DIM.WIDTH.INCHES", "DIM.HEIGHT.INCHES", "STANDARD.UNIT.PRICE", "Selected_CI",
               "InventoryToConsider", "YearsOfDemandDataUsed", *[f"Required_{p}" for p in _IX_PERIODS],
               "Total_Required_Less_FIE", "Total_Required_Selected_Confidence", *[f"Value_{p}" for p in _IX_PERIODS],
               "Total_Value_Less_FIE", "Total_Value_Selected_Confidence",
               *[c for level in _IX_LEVELS for c in (*[f"Value_{level}_{p}" for p in _IX_PERIODS],
                                                     f"Total_Value_{level}_Less_FIE", f"Total_Value_{level}_Confidence")],
               "IND.STON", "IND.SQFT"]  # fmt: skip
    candidates = [i for i in items if i["NIIN"].isdigit()]
    flags = ("TRUE", "True", "true", "FALSE", "False", "false")
    rows = []
    periods = {pos: last - first + 1 for pos, _, first, last in a.periods()}
    for location in force.locations:
        owners = [
            u for u in force.units if u["location"] is location and not u["uic"].startswith("EPW")
        ] or force.units[:1]
        for tamcn, _, name, *_ in rng.sample(TAMCNS, 3):
            end_item_niin = f"0{rng.randint(10_000_000, 16_999_999)}"
            fleet = len(owners) * rng.choice((2, 4, 6))
            for item in rng.sample(candidates, min(5, len(candidates))):
                battery = rng.random() < 0.35
                secrep = not battery and rng.random() < 0.25
                price = float(item["Unit_Price"] or 0)
                burn = round(rng.uniform(0.05, 1.5), 4)
                required = {"FIE": rng.randint(0, 4)}
                for pos in ("POS1", "POS2", "POS3", "BEYOND"):
                    required[pos] = int(math.ceil(fleet * burn * periods.get(pos, 0) / 365))
                unknown_dims = rng.random() < 0.15
                dims = (
                    (9999, 9999, 9999)
                    if unknown_dims and rng.random() < 0.5
                    else (0, 12, 8)
                    if unknown_dims
                    else (rng.randint(2, 30), rng.randint(2, 20), rng.randint(1, 12))
                )
                row = {
                    "AssessmentNumber": a.number, "Class_of_Supply": "IX", "Region": location["region"],
                    "MEF": location["mef"], "FIE": 1, "Location.Name": location["name"],
                    "SECREP.Flag": rng.choice(flags[:3] if secrep else flags[3:]),
                    "Battery.Flag": rng.choice(flags[:3] if battery else flags[3:]),
                    "Average.Daily.Inventory": rng.randint(0, 20), "TAMCN_NIIN": f"{tamcn}_{item['NIIN']}",
                    "TAMCN_of_End_Item": tamcn, "NIIN_of_End_Item": end_item_niin, "ITEM_DESIGNATOR_CODE": tamcn[-1],
                    "COLLOQUIAL_NAME": name, **{f"TAMCN_NIIN_QTY_{p}": fleet for p in _IX_PERIODS},
                    "EQUIP_CRIT_RNK": rng.randint(1, 5), "CRITICALITY_CODE_MAPPING": rng.randint(1, 3),
                    "AVERAGE_SCORE": round(rng.uniform(1, 5), 2), "FSC.of.Part.Required": item["FSC"],
                    "NIIN.of.Part.Required": item["NIIN"], "Nomenclature.of.Part.Required": item["Nomenclature"],
                    "Annual_Burn_Rate_Per_TAMCN_NIIN": burn, "Annual_Repair_Rate_Per_TAMCN_NIIN": round(burn * 0.2, 4),
                    "Annual_Burn_Rate_Per_TAMCN_NIIN_With_Repairing": round(burn * 0.8, 4), "UNIT_OF_ISSUE": item["UI"],
                    "DIM.LENGTH.INCHES": dims[0], "DIM.WIDTH.INCHES": dims[1], "DIM.HEIGHT.INCHES": dims[2],
                    "STANDARD.UNIT.PRICE": price, "Selected_CI": 90, "InventoryToConsider": "OPFOR",
                    "YearsOfDemandDataUsed": 3, **{f"Required_{p}": required.get(p, 0) for p in _IX_PERIODS},
                    "Total_Required_Less_FIE": sum(required[p] for p in ("POS1", "POS2", "POS3", "BEYOND")),
                    "Total_Required_Selected_Confidence": sum(required.values()),
                    **{f"Value_{p}": round(required.get(p, 0) * price, 2) for p in _IX_PERIODS},
                    "IND.STON": round(float(item["dss_weight"] or 0) / 2000, 6),
                    "IND.SQFT": round(dims[0] * dims[1] / 144, 3) if 9999 not in dims else 0,
                }  # fmt: skip
                row["Total_Value_Less_FIE"] = round(
                    sum(row[f"Value_{p}"] for p in ("POS1", "POS2", "POS3", "BEYOND")), 2
                )
                row["Total_Value_Selected_Confidence"] = round(row["Total_Value_Less_FIE"] + row["Value_FIE"], 2)
                for level in _IX_LEVELS:
                    scale = 1 + (int(level) - 90) / 50
                    for p in _IX_PERIODS:
                        row[f"Value_{level}_{p}"] = round(row[f"Value_{p}"] * scale, 2)
                    row[f"Total_Value_{level}_Less_FIE"] = round(row["Total_Value_Less_FIE"] * scale, 2)
                    row[f"Total_Value_{level}_Confidence"] = round(row["Total_Value_Selected_Confidence"] * scale, 2)
                rows.append(row)
    return columns, rows


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_IX_Requirement_Trimmed.csv": _ix,
}
