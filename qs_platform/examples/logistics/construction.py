"""Class IV: construction and barrier material on a few days per location."""

from __future__ import annotations

_CLASS_IV = (  # NIIN, nomenclature, UI, price, volume (cu ft), weight (lb)
    ("001240100", "SANDBAG", "BD", 0.42, 0.06, 0.25),
    ("008561234", "BARRIER,CONCERTINA WIRE", "RO", 57.10, 3.1, 39.0),
    ("011543231", "LUMBER,SOFTWOOD 2X4", "BF", 1.85, 0.08, 1.6),
    ("009997788", "PICKET,STEEL,U-SHAPED", "EA", 6.25, 0.12, 11.0),
    ("013456789", "BARRIER,DEFENSIVE,HESCO MIL 7", "EA", 410.00, 38.0, 540.0),
    ("010001111", "PLYWOOD,CONSTRUCTION 4X8", "SH", 34.50, 1.8, 61.0),
)  # fmt: skip


def _iv(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Location_Name", "RD", "BOM_NSN", "UOM", "UOM_QTY", "NIIN",
               "UOM_Type", "JCMS_NIIN_match", "Nomenclature", "UOM_Nomenclature", "UOM_Code", "UOM_X12",
               "UOM_Alternate_Name", "UOI_Nomenclature", "UOI_Code", "UOI_X12", "UOI_Alternate_Name", "Conversion_Factor",
               "Volume", "Weight", "Price", "Acquisition_Advice_Code", "HMIC_Type_Code", "NSN", "UI", "UOI_QTY",
               "Total_Price", "Total_Weight_LB", "Total_Volume_CuFt", "Day", "MEF_Lead", "Region", "Region_MEF_Lead",
               "POS"]  # fmt: skip
    rows = []
    for location in force.locations:
        for day in sorted(rng.sample(range(1, a.duration + 1), min(6, a.duration))):
            pos, _ = a.period_of(day)
            for niin, name, ui, price, volume, weight in rng.sample(_CLASS_IV, 3):
                qty = rng.choice((0, 10, 25, 50, 100, 200))
                rows.append({
                    "AssessmentNumber": a.number, "Class_of_Supply": "IV", "Location_Name": location["name"],
                    "RD": day, "BOM_NSN": f"5680-{niin[:2]}-{niin[2:5]}-{niin[5:]}", "UOM": ui, "UOM_QTY": 1,
                    "NIIN": niin, "UOM_Type": "UOI", "JCMS_NIIN_match": "Y", "Nomenclature": name,
                    "UOM_Nomenclature": name, "UOM_Code": ui, "UOM_X12": ui, "UOM_Alternate_Name": "",
                    "UOI_Nomenclature": name, "UOI_Code": ui, "UOI_X12": ui, "UOI_Alternate_Name": "",
                    "Conversion_Factor": 1, "Volume": volume, "Weight": weight, "Price": price,
                    "Acquisition_Advice_Code": "D", "HMIC_Type_Code": "N", "NSN": f"5680-{niin[:2]}-{niin[2:5]}-{niin[5:]}",
                    "UI": ui, "UOI_QTY": qty, "Total_Price": round(qty * price, 2), "Total_Weight_LB": int(qty * weight),
                    "Total_Volume_CuFt": round(qty * volume, 2), "Day": day, "MEF_Lead": location["mef"],
                    "Region": location["region"], "Region_MEF_Lead": location["region_mef_lead"], "POS": pos,
                })  # fmt: skip
    return columns, rows


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_IV_Daily_Requirements.csv": _iv,
}
