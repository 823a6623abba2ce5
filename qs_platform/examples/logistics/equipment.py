"""Class II/VII equipment and II ICCE: replacements of the units' end items (TAMCNs), priced and dimensioned."""

from __future__ import annotations

import random

from qs_platform.examples.logistics.assessment import Assessment
from qs_platform.examples.logistics.force import Force, base_columns, unit_columns

TAMCNS = (  # TAMCN, group, colloquial name, standard unit price, length/width/height inches, short tons, TEU
    ("D00017K", "D", "LVSR CARGO", 512_000.0, 420, 102, 128, 22.5, 2.8),
    ("D11587K", "D", "MTVR CARGO", 248_000.0, 315, 98, 118, 13.8, 1.9),
    ("E09477M", "E", "JLTV HEAVY GUN CARRIER", 398_000.0, 250, 98, 102, 8.2, 1.2),
    ("A01947G", "A", "RADIO SET AN/PRC-117G", 38_500.0, 20, 14, 9, 0.02, 0.01),
    ("B00337B", "B", "GENERATOR SET 60KW", 61_200.0, 110, 48, 70, 2.1, 0.4),
    ("B25777B", "B", "WATER PURIFICATION UNIT", 152_000.0, 160, 96, 96, 6.5, 0.9),
    ("C44117L", "C", "MEDICAL AID STATION SET", 48_900.0, 60, 40, 40, 0.8, 0.2),
    ("A02657G", "A", "SATELLITE TERMINAL", 87_300.0, 40, 30, 30, 0.15, 0.05),
)  # fmt: skip


def _replacement_days(a: Assessment, rng: random.Random) -> list[int]:
    """Days on which class II/VII equipment is replaced: a few per period of support."""
    days = set()
    for _, _, first, last in a.periods():
        days.update(rng.sample(range(first, last + 1), min(2, last - first + 1)))
    return sorted(days)


_II_VII_COLUMNS = [
    "AssessmentNumber", "Class_of_Supply", "Location_Name", "Region", "POS", "MEF", "MSE", "UIC", "TAMCN_Group",
    "TAMCN", "NIIN", "Day", "COLLOQUIAL_NAME", "TAM_STATUS", "ITEM_EXIT_DATE", "STORES_ACCOUNT_CODE",
    "ITEM_DESIGNATOR_CODE", "READINESS_REPORTABLE_CODE", "PREF_NIIN_IND", "PREF_NIIN_RNK", "EQUIP_CRIT_RNK",
    "CLASSOFSUPPLY", "STANDARD_UNIT_PRICE", "CHILD_TAMCN", "TARIFF_FCTR", "CLASSII_VII_INDICATOR", "TE_Orig_Qty",
    "Mission_TE", "RD", "CAP_Name", "CAP_Names", "ILOC", "Region_MEF_Lead", "Unit_Name", "Priority", "Parent_UIC",
    "AAC", "Prepo_Enabled", "isArty", "TAMCN_5", "DIM.HEIGHT.INCHES", "DIM.LENGTH.INCHES", "DIM.WIDTH.INCHES",
    "IND.SQFT", "IND.CUFT", "IND.STON", "IND.MTON", "EMBARK", "PO.ITEM", "LOCAL.TAM", "REPLACEMENT.COST",
    "STANDARD.UNIT.PRICE", "STON", "SQFT", "SQFT.C.", "CUFT.C.", "TEU_Equivalents",
]  # fmt: skip


def _equipment_rows(a: Assessment, force: Force, rng: random.Random, klass: str) -> list[dict]:
    rows = []
    for unit in force.units:
        if unit["uic"].startswith("EPW"):
            continue
        location = unit["location"]
        for tamcn, group, name, price, length, width, height, stons, teu in rng.sample(TAMCNS, 3):
            mission = rng.choice((4, 6, 8, 12, 16))
            for day in _replacement_days(a, rng):
                pos, _ = a.period_of(day)
                qty = float(rng.choice((0, 1, 1, 2)))  # some days replace nothing: the original drops those rows
                sqft, cuft = length * width / 144, length * width * height / 1728
                rows.append({
                    **base_columns(a, location, klass), **unit_columns(unit, location), "POS": pos, "TAMCN_Group": group,
                    "TAMCN": tamcn, "NIIN": f"0{rng.randint(10_000_000, 16_999_999)}", "Day": day,
                    "COLLOQUIAL_NAME": name, "TAM_STATUS": "A", "ITEM_EXIT_DATE": "", "STORES_ACCOUNT_CODE": 1,
                    "ITEM_DESIGNATOR_CODE": tamcn[-1], "READINESS_REPORTABLE_CODE": "Y", "PREF_NIIN_IND": "Y",
                    "PREF_NIIN_RNK": 1, "EQUIP_CRIT_RNK": rng.randint(1, 5), "CLASSOFSUPPLY": 7 if price > 100_000 else 2,
                    "STANDARD_UNIT_PRICE": price, "CHILD_TAMCN": "", "TARIFF_FCTR": "", "CLASSII_VII_INDICATOR": "VII" if price > 100_000 else "II",
                    "TE_Orig_Qty": qty, "Mission_TE": mission, "RD": int(qty), "ILOC": location["cap"],
                    "Unit_Name": unit["unit_name"], "Priority": rng.randint(1, 3), "Parent_UIC": "M20000", "AAC": "A",
                    "Prepo_Enabled": "N", "isArty": "FALSE", "TAMCN_5": tamcn[:5], "DIM.HEIGHT.INCHES": float(height),
                    "DIM.LENGTH.INCHES": float(length), "DIM.WIDTH.INCHES": float(width), "IND.SQFT": round(sqft, 2),
                    "IND.CUFT": round(cuft, 2), "IND.STON": stons, "IND.MTON": round(cuft / 40, 2), "EMBARK": 1,
                    "PO.ITEM": "", "LOCAL.TAM": "", "REPLACEMENT.COST": price, "STANDARD.UNIT.PRICE": price,
                    "STON": round(qty * stons, 3), "SQFT": round(qty * sqft, 2), "SQFT.C.": round(sqft, 2),
                    "CUFT.C.": round(cuft, 2), "TEU_Equivalents": teu, "Type": "ICCE" if klass == "II ICCE" else "TE",
                })  # fmt: skip
    return rows


def _ii_vii(a, force, rng, items):
    return _II_VII_COLUMNS, _equipment_rows(a, force, rng, "II/VII")


def _ii_icce(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Location_Name", "Region_MEF_Lead", "Region", "POS", "MEF", "MSE",
               "UIC", "Type", "TAMCN_Group", "TAMCN", "NIIN", "Day", "COLLOQUIAL_NAME", "CHILD_TAMCN", "TAM_STATUS",
               "ITEM_EXIT_DATE", "STORES_ACCOUNT_CODE", "ITEM_DESIGNATOR_CODE", "READINESS_REPORTABLE_CODE",
               "PREF_NIIN_IND", "PREF_NIIN_RNK", "EQUIP_CRIT_RNK", "CLASSOFSUPPLY", "STANDARD_UNIT_PRICE",
               "TE_Orig_Qty", "Mission_TE", "RD", "CAP_Name", "CAP_Names", "ILOC", "Unit_Name", "Priority", "Parent_UIC",
               "AAC", "Prepo_Enabled", "isArty", "TAMCN_5", "TARIFF_FCTR"]  # fmt: skip
    return columns, _equipment_rows(a, force, rng, "II ICCE")


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_II_VII_DailyTE_WithDimensions.csv": _ii_vii,
    "RD_II_ICCE_DailyTE.csv": _ii_icce,
}
