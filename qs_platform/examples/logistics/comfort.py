"""Class VI: health and comfort packs by location and days of supply."""

from __future__ import annotations

import math

from qs_platform.examples.logistics.assessment import DOS
from qs_platform.examples.logistics.force import base_columns

_CLASS_VI = (  # NIIN as the original priced it (with and without its leading zero), HCP type, description
    ("013689154", "HCP Male", "HEALTH AND COMFORT PACK,TYPE I"),
    ("13689155", "HCP Female", "HEALTH AND COMFORT PACK,TYPE II"),
    ("014877488", "HCP Supplemental", "HEALTH AND COMFORT PACK,SUPPLEMENTAL"),
    ("015552233", "HCP Cold Weather", "HEALTH AND COMFORT PACK,COLD WEATHER"),  # unpriced: the original costs it 0
)  # fmt: skip


def _vi(a, force, rng, items):
    metrics = ("Units", "Units_NIIN_Qty", "Units_NIIN_Qty_Pallet_Qty", "Units_NIIN_Qty_Pallet_Tot_CuFT",
               "Units_NIIN_Qty_Pallet_Tot_Wt.lbs.", "Units_NIIN_Qty_Pallet_Tot_TEUs", "Units_NIIN_Qty_Pallet_Tot_FEUs")  # fmt: skip
    columns = ["AssessmentNumber", "Class_of_Supply", "HCP_Type", "DESCRIPTION", "TAMCN", "FSC", "NIIN", "NSN",
               "TPFDD_TAMCN", "TPFDD_NSN", "Description", "Region", "Region_MEF_Lead", "CAP_Name", "CAP_Names",
               "Location_ID", "Location_Name", "Unit.of.Issue", *[f"{d}_{m}" for m in metrics for d in DOS]]  # fmt: skip
    rows = []
    for location in force.locations:
        people = sum(u["strength"] for u in force.units if u["location"] is location and not u["uic"].startswith("EPW"))
        for niin, hcp, description in _CLASS_VI:
            row = {**base_columns(a, location, "VI"), "HCP_Type": hcp, "DESCRIPTION": description, "TAMCN": "",
                   "FSC": 8970, "NIIN": niin, "NSN": f"8970-{niin.zfill(9)[:2]}-{niin.zfill(9)[2:5]}-{niin.zfill(9)[5:]}",
                   "TPFDD_TAMCN": "", "TPFDD_NSN": "", "Description": description.title(), "CAP_Name": location["cap"],
                   "CAP_Names": f"{location['cap']}, {location['region']}", "Unit.of.Issue": "BX"}  # fmt: skip
            share = {
                "HCP Male": 0.85,
                "HCP Female": 0.15,
                "HCP Supplemental": 0.3,
                "HCP Cold Weather": 0.0 if location["climate"] != "Cold" else 0.5,
            }[hcp]
            for dos, (_, _, first, last) in zip(DOS, a.periods()):
                boxes = float(math.ceil(people * share * (last - first + 1) / 30))
                pallets = float(math.ceil(boxes / 40))
                row.update({f"{dos}_Units": boxes * 10, f"{dos}_Units_NIIN_Qty": boxes,
                            f"{dos}_Units_NIIN_Qty_Pallet_Qty": pallets,
                            f"{dos}_Units_NIIN_Qty_Pallet_Tot_CuFT": round(pallets * 56.11, 2),
                            f"{dos}_Units_NIIN_Qty_Pallet_Tot_Wt.lbs.": round(pallets * 620.0, 1),
                            f"{dos}_Units_NIIN_Qty_Pallet_Tot_TEUs": round(pallets / 16 * 1.063, 4),
                            f"{dos}_Units_NIIN_Qty_Pallet_Tot_FEUs": round(pallets / 32 * 1.063, 4)})  # fmt: skip
            rows.append(row)
    return columns, rows


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_VI_POS_Pallet_Requirement.csv": _vi,
}
