"""Class IX dimensional data: read from a real classix_dimensional_data.csv, or synthetic items like it."""

from __future__ import annotations

import csv
import random
from pathlib import Path


def read_classix(path: str | Path) -> list[dict]:
    """The rows of a classix_dimensional_data.csv (e.g. the real one of assessment 10908)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CLASSIX_COLUMNS = ("FSC", "NIIN", "Nomenclature", "part_number", "cage_code", "UI", "Unit_Price", "dss_weight",
                   "dss_cube", "unit_pack_weight", "unit_pack_cube", "Imputed")  # fmt: skip
_PARTS = ("FILTER,FLUID", "BATTERY,STORAGE", "GASKET", "SWITCH,TOGGLE", "HOSE ASSEMBLY,NONMETALLIC", "SEAL,PLAIN",
          "BEARING,BALL", "CABLE ASSEMBLY,SPECIAL PURPOSE", "LAMP,INCANDESCENT", "PUMP,FUEL", "ALTERNATOR",
          "TIRE,PNEUMATIC", "BELT,V", "RELAY,ELECTROMAGNETIC", "CIRCUIT CARD ASSEMBLY")  # fmt: skip


def synthetic_classix(rng: random.Random, n: int = 80) -> list[dict]:
    """Items like the real dimensional data: NIINs with leading zeros, several part numbers and CAGE codes in one
    quoted cell or 'Not in FLIS', zero cubes, imputed rows."""
    rows, seen = [], set()
    while len(rows) < n:
        niin = f"0{rng.randint(10_000_000, 16_999_999)}"
        if niin in seen:
            continue
        seen.add(niin)
        flis = rng.random() > 0.05
        weight = round(rng.uniform(0.01, 40), 3)
        cube = 0.0 if rng.random() < 0.2 else round(rng.uniform(0.001, 3), 3)
        rows.append({
            "FSC": str(rng.choice((2530, 2540, 2610, 2920, 2940, 4720, 5930, 5995, 6140, 6240))), "NIIN": niin,
            "Nomenclature": rng.choice(_PARTS), "UI": rng.choice(("EA", "EA", "EA", "KT", "PG", "HD")),
            "part_number": ", ".join(f"{rng.randint(10000, 99999)}-{rng.randint(100, 999)}" for _ in range(rng.randint(1, 3))) if flis else "Not in FLIS",
            "cage_code": ", ".join(f"{rng.randint(10000, 99999)}" for _ in range(rng.randint(1, 3))) if flis else "Not in FLIS",
            "Unit_Price": f"{rng.uniform(2, 2500):.2f}", "dss_weight": str(weight), "dss_cube": str(cube),
            "unit_pack_weight": str(weight), "unit_pack_cube": str(cube), "Imputed": "Yes" if rng.random() < 0.15 else "No",
        })  # fmt: skip
    return rows
