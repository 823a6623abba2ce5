"""Class IIIP: packaged fuels and lubricants by location and period of support."""

from __future__ import annotations

_POL = (  # POL type, package, NSN, NIIN, nomenclature, unit price, L/W/H inches, short tons per package, cube, TEU
    ("JP-8", "55 Gal Drum", "9130-01-031-5816", "010315816", "TURBINE FUEL,AVIATION JP-8", 187.00, 23, 23, 35, 0.21, 7.35, 0.0068),
    ("DF-2", "55 Gal Drum", "9140-00-286-5296", "002865296", "FUEL OIL,DIESEL", 176.00, 23, 23, 35, 0.22, 7.35, 0.0068),
    ("MOGAS", "5 Gal Can", "9130-00-160-1818", "001601818", "GASOLINE,AUTOMOTIVE", 21.40, 14, 7, 18, 0.018, 1.02, 0.0009),
    ("OE/HDO-15/40", "1 Qt Can", "9150-01-421-1427", "014211427", "LUBRICATING OIL,ENGINE", 6.90, 4, 4, 8, 0.001, 0.07, 0.0001),
    ("GAA", "1.75 Lb Can", "9150-01-197-7693", "011977693", "GREASE,AUTOMOTIVE AND ARTILLERY", 14.10, 5, 5, 6, 0.0012, 0.09, 0.0001),
)  # fmt: skip


def _iiip(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "TAMCN", "NSN", "POS", "MEF", "LOCATION_NAME", "REGION",
               "POL_Type", "POL_Pkg_Type", "Qty", "POL_PKG_NSN", "NIIN", "NOMENCLATURE", "STANDARD.UNIT.PRICE",
               "STORES_ACCOUNT_CODE", "CEC", "SOS", "DIM.LENGTH.INCHES", "DIM.WIDTH.INCHES", "DIM.HEIGHT.INCHES",
               "IND.STON", "IND.SQFT_LW", "IND.CUFT", "IND.TEUs_Cube", "IND.SQFT_Cube"]  # fmt: skip
    rows = []
    for location in force.locations:
        people = sum(u["strength"] for u in force.units if u["location"] is location)
        for pos, _, first, last in a.periods():
            for pol, pkg, nsn, niin, name, price, length, width, height, stons, cube, teu in _POL:
                qty = int(people * (last - first + 1) / rng.choice((20, 40, 80, 400))) if rng.random() > 0.1 else 0
                rows.append({
                    "AssessmentNumber": a.number, "Class_of_Supply": "III P", "TAMCN": "", "NSN": nsn, "POS": pos,
                    "MEF": location["mef"], "LOCATION_NAME": location["name"], "REGION": location["region"],
                    "POL_Type": pol, "POL_Pkg_Type": pkg, "Qty": qty, "POL_PKG_NSN": f"{pkg}|{nsn}", "NIIN": niin,
                    "NOMENCLATURE": name, "STANDARD.UNIT.PRICE": price, "STORES_ACCOUNT_CODE": 1, "CEC": 1, "SOS": "SMS",
                    "DIM.LENGTH.INCHES": length, "DIM.WIDTH.INCHES": width, "DIM.HEIGHT.INCHES": height,
                    "IND.STON": stons, "IND.SQFT_LW": length * width // 144, "IND.CUFT": cube, "IND.TEUs_Cube": teu,
                    "IND.SQFT_Cube": round(length * width / 144, 3),
                })  # fmt: skip
    return columns, rows


#: the files this calculator writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "RD_IIIP_POL_Pkg_NSN_Requirements_PBI.csv": _iiip,
}
