"""The logistics planning system's assessment folders: one folder of CSVs per assessment (a course of action).

The replaced system (github.com/Jerome3590/aws-quicksight-dashboard-automation) received, per assessment, the
assessment and its what-if parameters (real files in ``../shared/data/seeds/logistics/``), the Class IX
dimensional data (real) and the outputs of its per-class calculators. Only the first three were shared; the other
14 files are generated here from the column lists and types of the QuickSight table maps
(``quicksight_table_maps/*_logical_map.json``), with values that hang together: the periods of support follow the
days of supply (POS1..POS3 end on the cumulative DaysOfSupplyFirst/Second/Third, BEYOND runs to the operation's
end), troops flow into locations day by day, rations and water follow the headcount, class II/VII, IIIP, IV, VI
and IX requirements are priced and dimensioned. The original's quirks are kept on purpose:

* column names as its files had them, R-mangled (``Unit.of.Issue``, ``DOS1_Units_Pallet_Tot_Wt.lbs.``) or as its
  water calculator wrote them (``Non-potable``, ``Total water``, empty ``V7``..``V9`` columns it dropped);
* names that differ only in case or punctuation (``DESCRIPTION`` and ``Description``; ``STANDARD_UNIT_PRICE`` and
  ``STANDARD.UNIT.PRICE``);
* NIINs with leading zeros, written with and without them (``013689154`` and ``13689154``), Class IX flags as
  ``TRUE``/``True``/``false``, dimensions of ``9999`` or ``0`` meaning unknown, zero cubes in the item data,
  rows whose weight or quantity is 0 (the original dropped them), JSON arrays inside CSV cells, empty columns
  and ``2024-04-12 18:10:31.0`` timestamps in the assessment files.

Everything comes from seeded ``random.Random`` generators (no clock, no network); every file is small (hundreds
of rows) so a demo lands in seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qs_platform.examples.common import open_key, seeded

__all__ = ["Assessment", "DEMO_ASSESSMENTS", "LOGISTICS_FILES", "generate_logistics_assessment", "read_classix"]

#: the 14 generated files of an assessment folder (the other three are AssessmentTable.csv,
#: AssessmentParameterDataMapTable.csv and classix_dimensional_data.csv)
LOGISTICS_FILES = (
    "RD_I_POS_Pallet_Requirement.csv", "RD_I_PaxLocationAll.csv", "RD_I_POS_Location.csv", "RD_I_Ration_Costs.csv",
    "RD_IW_PaxLocationAll.csv", "RD_IW_Ration_Costs.csv", "RD_IW_POS_Requirement.csv",
    "RD_II_VII_DailyTE_WithDimensions.csv", "RD_II_ICCE_DailyTE.csv", "RD_IIIP_POL_Pkg_NSN_Requirements_PBI.csv",
    "RD_IV_Daily_Requirements.csv", "RD_VI_POS_Pallet_Requirement.csv", "RD_IX_Requirement_Trimmed.csv",
    "Locations.csv",
)  # fmt: skip


@dataclass(frozen=True)
class Assessment:
    """One course of action: what the assessment files say and how big the force is."""

    number: int
    title: str
    description: str = ""
    start: dt.date = dt.date(2024, 7, 4)
    duration: int = 115  # days; BEYOND runs from the day after POS3 to here
    days_of_supply: tuple[int, int, int] = (30, 60, 90)  # cumulative end days of POS1, POS2, POS3
    carf_rates: tuple[str, str, str] = ("CarfAhtAssault", "CarfAhtSustainment", "CarfAhtSustainment")
    units: int = 6  # units (UICs) flowing in, plus one EPW camp
    locations: int = 4
    assessment_type: int = 1  # 1 operational, 2 service, 3 exercise
    parameters_id: int = 0  # ID of its parameters row (default: 900 + the last digits of the number)
    extra: dict = field(default_factory=dict)

    def periods(self) -> list[tuple[str, str, int, int]]:
        """(POS, DOS, first day, last day) as the original's POS.csv and its calculators number them."""
        ends = [*self.days_of_supply, self.duration]
        names = [("POS1", "DOS1"), ("POS2", "DOS2"), ("POS3", "DOS3"), ("BEYOND", "BEYOND")]
        out, start = [], 1
        for (pos, dos), end in zip(names, ends):
            if end >= start:
                out.append((pos, dos, start, end))
                start = end + 1
        return out

    def period_of(self, day: int) -> tuple[str, str]:
        for pos, dos, first, last in self.periods():
            if first <= day <= last:
                return pos, dos
        return "BEYOND", "BEYOND"


#: the three courses of action `qs-platform demo` lands beside the real assessment 10908
DEMO_ASSESSMENTS = (
    Assessment(10901, "COA 1 - sea-based sustainment", "Sustained from the sea; 30/60/90 days of supply.",
               start=dt.date(2024, 9, 1), duration=120, days_of_supply=(30, 60, 90), units=6, locations=4),
    Assessment(10902, "COA 2 - forward logistics sites", "Short first period, more troops ashore.",
               start=dt.date(2024, 9, 1), duration=100, days_of_supply=(15, 45, 75), units=9, locations=5,
               carf_rates=("CarfAhtAssault", "CarfAhtAssault", "CarfAhtSustainment")),
    Assessment(10903, "COA 3 - extended operation", "Long operation on fewer sites.", start=dt.date(2024, 10, 1),
               duration=180, days_of_supply=(45, 90, 120), units=5, locations=3, assessment_type=3,
               carf_rates=("CarfAhtSustainment", "CarfAhtSustainment", "CarfAhtSustainment")),
)  # fmt: skip


# ---- what the force looks like -------------------------------------------------------------------------------

_REGIONS = (  # region (a US state or territory: QuickSight's STATE role), MEF, country, city, climate, theater
    ("Hawaii", "III MEF", "USA", "Kaneohe Bay", "Tropical", "INDOPACOM"),
    ("California", "I MEF", "USA", "Camp Pendleton", "Arid", "INDOPACOM"),
    ("North Carolina", "II MEF", "USA", "Camp Lejeune", "Temperate", "EUCOM"),
    ("Guam", "III MEF", "USA", "Apra Harbor", "Tropical", "INDOPACOM"),
    ("Alaska", "I MEF", "USA", "Fort Wainwright", "Cold", "NORTHCOM"),
    ("Virginia", "II MEF", "USA", "Norfolk", "Temperate", "EUCOM"),
)  # fmt: skip
_MSES = ("GCE", "ACE", "LCE", "CE")
_RATIONS = {  # ration type -> (cost per case/module as the original's cost table, meals per case, pallet factor)
    "MEALS_READY_TO_EAT_MRE": (119.03, 12, 48),
    "UGR_H_S_BREAKFAST": (403.90, 50, 8),
    "UGR_H_S_LUNCH_DINNER": (364.91, 50, 8),
    "UGR_M_BREAKFAST": (273.33, 50, 8),
    "UGR_M_LUNCH_DINNER": (273.33, 50, 8),
}
_WATER_TYPES = {"Bottled Water": 3.05, "Bulk Potable": 0.02, "Bulk Non-Potable": 0.01}
_TAMCNS = (  # TAMCN, group, colloquial name, standard unit price, length/width/height inches, short tons, TEU
    ("D00017K", "D", "LVSR CARGO", 512_000.0, 420, 102, 128, 22.5, 2.8),
    ("D11587K", "D", "MTVR CARGO", 248_000.0, 315, 98, 118, 13.8, 1.9),
    ("E09477M", "E", "JLTV HEAVY GUN CARRIER", 398_000.0, 250, 98, 102, 8.2, 1.2),
    ("A01947G", "A", "RADIO SET AN/PRC-117G", 38_500.0, 20, 14, 9, 0.02, 0.01),
    ("B00337B", "B", "GENERATOR SET 60KW", 61_200.0, 110, 48, 70, 2.1, 0.4),
    ("B25777B", "B", "WATER PURIFICATION UNIT", 152_000.0, 160, 96, 96, 6.5, 0.9),
    ("C44117L", "C", "MEDICAL AID STATION SET", 48_900.0, 60, 40, 40, 0.8, 0.2),
    ("A02657G", "A", "SATELLITE TERMINAL", 87_300.0, 40, 30, 30, 0.15, 0.05),
)  # fmt: skip
_POL = (  # POL type, package, NSN, NIIN, nomenclature, unit price, L/W/H inches, short tons per package, cube, TEU
    ("JP-8", "55 Gal Drum", "9130-01-031-5816", "010315816", "TURBINE FUEL,AVIATION JP-8", 187.00, 23, 23, 35, 0.21, 7.35, 0.0068),
    ("DF-2", "55 Gal Drum", "9140-00-286-5296", "002865296", "FUEL OIL,DIESEL", 176.00, 23, 23, 35, 0.22, 7.35, 0.0068),
    ("MOGAS", "5 Gal Can", "9130-00-160-1818", "001601818", "GASOLINE,AUTOMOTIVE", 21.40, 14, 7, 18, 0.018, 1.02, 0.0009),
    ("OE/HDO-15/40", "1 Qt Can", "9150-01-421-1427", "014211427", "LUBRICATING OIL,ENGINE", 6.90, 4, 4, 8, 0.001, 0.07, 0.0001),
    ("GAA", "1.75 Lb Can", "9150-01-197-7693", "011977693", "GREASE,AUTOMOTIVE AND ARTILLERY", 14.10, 5, 5, 6, 0.0012, 0.09, 0.0001),
)  # fmt: skip
_CLASS_IV = (  # NIIN, nomenclature, UI, price, volume (cu ft), weight (lb)
    ("001240100", "SANDBAG", "BD", 0.42, 0.06, 0.25),
    ("008561234", "BARRIER,CONCERTINA WIRE", "RO", 57.10, 3.1, 39.0),
    ("011543231", "LUMBER,SOFTWOOD 2X4", "BF", 1.85, 0.08, 1.6),
    ("009997788", "PICKET,STEEL,U-SHAPED", "EA", 6.25, 0.12, 11.0),
    ("013456789", "BARRIER,DEFENSIVE,HESCO MIL 7", "EA", 410.00, 38.0, 540.0),
    ("010001111", "PLYWOOD,CONSTRUCTION 4X8", "SH", 34.50, 1.8, 61.0),
)  # fmt: skip
_CLASS_VI = (  # NIIN as the original priced it (with and without its leading zero), HCP type, description
    ("013689154", "HCP Male", "HEALTH AND COMFORT PACK,TYPE I"),
    ("13689155", "HCP Female", "HEALTH AND COMFORT PACK,TYPE II"),
    ("014877488", "HCP Supplemental", "HEALTH AND COMFORT PACK,SUPPLEMENTAL"),
    ("015552233", "HCP Cold Weather", "HEALTH AND COMFORT PACK,COLD WEATHER"),  # unpriced: the original costs it 0
)  # fmt: skip


@dataclass
class _Force:
    """Locations and units of one assessment, and who is where on which day."""

    locations: list[dict]
    units: list[dict]  # uic, location index, mef, mse, service, strength, arrival day
    days: int

    def strength(self, unit: dict, day: int) -> int:
        return unit["strength"] if day >= unit["arrival"] else 0

    def flowin(self, unit: dict, day: int) -> int:
        return unit["strength"] if day == unit["arrival"] else 0


def _force(assessment: Assessment, rng: random.Random) -> _Force:
    picked = rng.sample(range(len(_REGIONS)), min(assessment.locations, len(_REGIONS)))
    locations = []
    for n, index in enumerate(picked):
        region, mef, country, city, climate, theater = _REGIONS[index]
        locations.append({
            "id": 100 + index * 10 + n, "name": f"{city} LSA", "region": region, "mef": mef, "country": country,
            "city": city, "climate": climate, "theater": theater, "region_mef_lead": f"{region} - {mef}",
            "cap": f"CAP-{index + 1:02d}", "has_epw": n == 0,
        })  # fmt: skip
    units = []
    for n in range(assessment.units):
        location = locations[n % len(locations)]
        units.append({
            "uic": f"M{rng.randint(10000, 99999)}", "location": location, "mef": location["mef"],
            "mse": _MSES[n % len(_MSES)], "service": "USMC", "strength": rng.choice((150, 240, 380, 520, 760)),
            "arrival": 1 + rng.randrange(0, max(1, min(20, assessment.days_of_supply[0]))),
            "unit_name": f"{_MSES[n % len(_MSES)]} DET {n + 1}",
        })  # fmt: skip
    epw_site = locations[0]
    units.append({
        "uic": "EPW01", "location": epw_site, "mef": epw_site["mef"], "mse": "LCE", "service": "USMC",
        "strength": 60, "arrival": min(assessment.duration, 25), "unit_name": "EPW CAMP",
    })  # fmt: skip
    return _Force(locations, units, assessment.duration)


# ---- writing -------------------------------------------------------------------------------------------------


def _number(value: float, digits: int = 4) -> str:
    """A CSV number the way R's write.csv left them: integers without a decimal point, others rounded."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")


def _write(out: Path, key: str, columns: Sequence[str], rows: Iterable[dict]) -> str:
    with open_key(out, key) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _number(row[c]) if isinstance(row.get(c), float) else row[c]
                             for c in columns])  # fmt: skip
    return key


def read_classix(path: str | Path) -> list[dict]:
    """The rows of a classix_dimensional_data.csv (e.g. the real one of assessment 10908)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CLASSIX_COLUMNS = ("FSC", "NIIN", "Nomenclature", "part_number", "cage_code", "UI", "Unit_Price", "dss_weight",
                   "dss_cube", "unit_pack_weight", "unit_pack_cube", "Imputed")  # fmt: skip
_PARTS = ("FILTER,FLUID", "BATTERY,STORAGE", "GASKET", "SWITCH,TOGGLE", "HOSE ASSEMBLY,NONMETALLIC", "SEAL,PLAIN",
          "BEARING,BALL", "CABLE ASSEMBLY,SPECIAL PURPOSE", "LAMP,INCANDESCENT", "PUMP,FUEL", "ALTERNATOR",
          "TIRE,PNEUMATIC", "BELT,V", "RELAY,ELECTROMAGNETIC", "CIRCUIT CARD ASSEMBLY")  # fmt: skip


def _synthetic_classix(rng: random.Random, n: int = 80) -> list[dict]:
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


def _assessment_rows(a: Assessment) -> tuple[dict, dict]:
    """The AssessmentTable and AssessmentParameterDataMapTable rows, shaped like the real ones of 10908."""
    created = dt.datetime.combine(a.start - dt.timedelta(days=80), dt.time(18, 10, 31))
    stamp = created.strftime("%Y-%m-%d %H:%M:%S") + ".0"
    updated = (created + dt.timedelta(days=55, hours=6, minutes=59, seconds=6)).strftime("%Y-%m-%d %H:%M:%S") + ".0"
    assessment = {
        "ID": a.number, "AssessmentNumber": a.number, "AppianFolderID": 35000 + a.number % 1000,
        "AssessmentTypeID": a.assessment_type, "Description": a.description, "OperationDuration": a.duration,
        "OperationStartDate": a.start.isoformat(),
        "OperationEndDate": (a.start + dt.timedelta(days=a.duration - 1)).isoformat(), "MarforOrganizationID": 1,
        "SupportedCCMDID": 1, "S3FolderLink": f"/assessments/{a.number}/cos-calculators/from-appian/", "StatusID": 2,
        "StepID": 6, "Title": a.title, "Year": a.start.year, "CreatedBy": "tallison", "CreatedOn": stamp,
        "UpdatedBy": "tallison", "UpdatedOn": updated, "IsArchived": 0, "LeadMarforUIC": "M20000",
        "LeadMarforName": "MARFORCOM", **a.extra,
    }  # fmt: skip
    first, second, third = a.days_of_supply
    parameters = {
        "ID": a.parameters_id or 900 + a.number % 100, "AssessmentID": a.number, "DaysOfSupplyFirst": first,
        "DaysOfSupplySecond": second, "DaysOfSupplyThird": third, "OverrideTFSMS": 0,
        "POS1CARFRate": a.carf_rates[0], "POS2CARFRate": a.carf_rates[1], "POS3CARFRate": a.carf_rates[2],
        "CalculateCRRForII_ICCE": 0, "ClassIXCStockLevelPercent": 90, "ClassIXCPartsHistory": 36,
        "ClassIXCInventoryToConsider": "OPFOR", "ClassIXExcludeTool": 1, "ClassIXExcludePol": 1,
        "ClassIXExcludeBattery": 0, "ClassIXExcludeClothing": 1,
        "ClassIXCAcqAdvJson": json.dumps(["F", "N", "O", "P", "Q", "R", "T", "V", "W", "Y"], separators=(",", ":")),
        "ClassIXCPhcJson": json.dumps(["A", "C", "E", "F", "L", "M", "N", "P", "Q", "T", "V", "Z"], separators=(",", ":")),
        "ClassIXSStockLevelPercent": 90, "ClassIXSPartsHistory": 36, "ClassIXSInventoryToConsider": "OPFOR",
        "ClassIXSFloatStartDay": first + 1, "ClassIXSRepairStartDay": second + 1, "ClassIIIPPOS1": 8,
        "ClassIIIPPOS2": 6, "ClassIIIPPOS3": 6, "ClassIIIPPOSBeyond": 6, "ClassIIIPHeavyPkg": 50,
        "ClassIIIPLightPkg": 50, "CreatedBy": "tallison", "CreatedOn": stamp,
    }  # fmt: skip
    return assessment, parameters


ASSESSMENT_COLUMNS = (
    "ID", "AssessmentNumber", "AppianFolderID", "AssessmentTypeID", "Description", "OperationDuration",
    "OperationStartDate", "OperationEndDate", "MarforOrganizationID", "SupportedCCMDID", "PrepoEquipDayRange",
    "GenerateJFRG", "S3FolderLink", "StatusID", "StepID", "Title", "Year", "UseMpf", "UseMcppn", "UseLform",
    "DefaultTheaterStartDay", "SourcingStepID", "RiskStepID", "SourcingAnalysisStartDate", "SourcingAnalysisEndDate",
    "CreatedBy", "CreatedOn", "UpdatedBy", "UpdatedOn", "IsArchived", "LeadMarforUIC", "LeadMarforName",
    "DefaultUnitFactor", "ProjectCode",
)  # fmt: skip
PARAMETER_COLUMNS = (
    "ID", "AssessmentID", "ClimateTypeID", "TheaterTypeID", "WaterLevelID", "DaysOfSupplyFirst", "DaysOfSupplySecond",
    "DaysOfSupplyThird", "OverrideTFSMS", "EpwsToFeed", "PercentToFemalePopulation", "POS1CARFRate", "POS2CARFRate",
    "POS3CARFRate", "CalculateCRRForII_ICCE", "UseII_VII_CARFForII_ICCE", "PercentForCARFForEachPOSForII_ICCE",
    "ClassIXCStockLevelPercent", "ClassIXCPartsHistory", "ClassIXCInventoryToConsider", "ClassIXExcludeTool",
    "ClassIXExcludePol", "ClassIXExcludeBattery", "ClassIXExcludeClothing", "ClassIXCAcqAdvJson", "ClassIXCPhcJson",
    "ClassIXSStockLevelPercent", "ClassIXSPartsHistory", "ClassIXSInventoryToConsider", "ClassIXSFloatStartDay",
    "ClassIXSRepairStartDay", "ClassIIIPPOS1", "ClassIIIPPOS2", "ClassIIIPPOS3", "ClassIIIPPOSBeyond",
    "ClassIIIPHeavyPkg", "ClassIIIPLightPkg", "CreatedBy", "CreatedOn", "UpdatedBy", "UpdatedOn",
)  # fmt: skip


def generate_logistics_assessment(
    out_dir: str | Path,
    assessment: Assessment,
    *,
    seed: int = 0,
    items: Sequence[dict] | None = None,
    assessment_files: bool = True,
) -> list[str]:
    """Write ``logistics/assessments/{number}/...``: the 14 :data:`LOGISTICS_FILES`, and unless
    ``assessment_files`` is false AssessmentTable.csv and AssessmentParameterDataMapTable.csv. The Class IX
    requirement file names items of ``items`` (rows of a classix_dimensional_data.csv, e.g. the real one); without
    them a small dimensional-data file of synthetic items is written into the folder too. Returns the keys."""
    out = Path(out_dir)
    rng = seeded("logistics", seed, assessment.number)
    folder = f"logistics/assessments/{assessment.number}"
    keys: list[str] = []
    if assessment_files:
        row, parameters = _assessment_rows(assessment)
        keys.append(_write(out, f"{folder}/AssessmentTable.csv", ASSESSMENT_COLUMNS, [row]))
        keys.append(_write(out, f"{folder}/AssessmentParameterDataMapTable.csv", PARAMETER_COLUMNS, [parameters]))
    if items is None:
        items = _synthetic_classix(seeded("logistics-classix", seed, assessment.number))
        keys.append(_write(out, f"{folder}/classix_dimensional_data.csv", CLASSIX_COLUMNS, items))
    force = _force(assessment, rng)
    writers = (_pallets, _pax, _pos_location, _ration_costs, _water_pax, _water_ration_costs, _water_requirement,
               _ii_vii, _ii_icce, _iiip, _iv, _vi, _ix, _locations)  # fmt: skip
    for name, writer in zip(LOGISTICS_FILES, writers):
        columns, rows = writer(assessment, force, seeded("logistics", seed, assessment.number, name), items)
        keys.append(_write(out, f"{folder}/{name}", columns, rows))
    return keys


# ---- the 14 files --------------------------------------------------------------------------------------------


def _base(a: Assessment, location: dict, klass: str) -> dict:
    return {"AssessmentNumber": a.number, "Class_of_Supply": klass, "Region": location["region"],
            "Region_MEF_Lead": location["region_mef_lead"], "Location_ID": location["id"],
            "Location_Name": location["name"]}  # fmt: skip


def _meals(force: _Force, unit: dict, day: int, rng_share: float) -> dict[str, float]:
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


def _meals_by_location_and_period(a: Assessment, force: _Force) -> dict[tuple[int, str], dict[str, float]]:
    totals: dict[tuple[int, str], dict[str, float]] = {}
    for unit in force.units:
        for day in range(1, a.duration + 1):
            _, dos = a.period_of(day)
            bucket = totals.setdefault((unit["location"]["id"], dos), dict.fromkeys(_RATIONS, 0.0))
            for ration, meals in _meals(force, unit, day, 0.6).items():
                bucket[ration] += meals
    return totals


_DOS = ("DOS1", "DOS2", "DOS3")


def _pallets(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Ration_Type", "Region", "Region_MEF_Lead", "CAP_Name",
               "CAP_Names", "Location_ID", "Location_Name", "BEYOND", "Unit.of.Issue",
               *[f"{d}_Units" for d in _DOS], *[f"{d}_Units_Pallet_Qty" for d in _DOS],
               *[f"{d}_Units_Pallet_Tot_CuFT" for d in _DOS], *[f"{d}_Units_Pallet_Tot_Wt.lbs." for d in _DOS],
               *[f"{d}_Units_Pallet_Tot_TEUs" for d in _DOS], *[f"{d}_Units_Pallet_Tot_FEUs" for d in _DOS]]  # fmt: skip
    meals = _meals_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for ration, (_, per_case, per_pallet) in _RATIONS.items():
            row = {**_base(a, location, "I Subsistence"), "Ration_Type": ration, "CAP_Name": location["cap"],
                   "CAP_Names": f"{location['cap']}, {location['region']}", "Unit.of.Issue": "CS" if per_pallet == 48 else "MD"}  # fmt: skip
            row["BEYOND"] = float(math.ceil(meals.get((location["id"], "BEYOND"), {}).get(ration, 0.0) / per_case))
            for dos in _DOS:
                units = float(math.ceil(meals.get((location["id"], dos), {}).get(ration, 0.0) / per_case))
                pallets = math.ceil(units / per_pallet)
                row.update({f"{dos}_Units": units, f"{dos}_Units_Pallet_Qty": pallets,
                            f"{dos}_Units_Pallet_Tot_CuFT": round(pallets * 56.11, 2),
                            f"{dos}_Units_Pallet_Tot_Wt.lbs.": round(pallets * (1_000.0 if per_pallet == 48 else 1_150.0), 1),
                            f"{dos}_Units_Pallet_Tot_TEUs": round(pallets / 16 * 1.063, 4),
                            f"{dos}_Units_Pallet_Tot_FEUs": round(pallets / 32 * 1.063, 4)})  # fmt: skip
            rows.append(row)
    return columns, rows


def _unit_columns(unit: dict, location: dict) -> dict:
    return {"Service": unit["service"], "MEF": unit["mef"], "MSE": unit["mse"], "CAP_Name": location["cap"],
            "CAP_Names": f"{location['cap']}, {location['region']}", "UIC": unit["uic"]}  # fmt: skip


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
            rows.append({**_base(a, location, "I Subsistence"), **_unit_columns(unit, location), "Day": day,
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
            rows.append({**_base(a, location, "I Subsistence"), "CAP_Name": location["cap"],
                         "CAP_Names": f"{location['cap']}, {location['region']}", "DOS_Period": dos,
                         **{k: round(v, 2) for k, v in totals.items()}})  # fmt: skip
    return columns, rows


_COST_COLUMNS = ["AssessmentNumber", "Class_of_Supply", "Region", "Region_MEF_Lead", "MEF", "CAP_Name", "CAP_Names",
                 "Location_ID", "Location_Name", "DOS_Period", "Ration_Type", "Ration_Cost", "UI_Count", "Total_UI_Cost"]  # fmt: skip


def _ration_costs(a, force, rng, items):
    meals = _meals_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for _, dos, _, _ in a.periods():
            for ration, (cost, per_case, _) in _RATIONS.items():
                cases = float(math.ceil(meals.get((location["id"], dos), {}).get(ration, 0.0) / per_case))
                rows.append({**_base(a, location, "I Subsistence"), "MEF": location["mef"], "CAP_Name": location["cap"],
                             "CAP_Names": f"{location['cap']}, {location['region']}", "DOS_Period": dos,
                             "Ration_Type": ration, "Ration_Cost": cost, "UI_Count": cases,
                             "Total_UI_Cost": round(cases * cost, 2)})  # fmt: skip
    return _COST_COLUMNS, rows


_WATER_FACTORS = {"Potable": 3.5, "Non-potable": 5.0, "Drinking": 1.5}  # gallons a person a day by climate "Temperate"
_CLIMATE = {"Tropical": 1.3, "Arid": 1.5, "Temperate": 1.0, "Cold": 0.8}


def _water_day(unit: dict, force: _Force, day: int) -> dict[str, float]:
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
            rows.append({**_base(a, location, "I Water"), **_unit_columns(unit, location), "Day": day,
                         "Flowin": force.flowin(unit, day), "Cumflow": force.strength(unit, day),
                         "Wparameter": location["climate"], "Plan": "Standard", **_water_day(unit, force, day),
                         "DOS_Period": dos})  # fmt: skip
    return columns, rows


def _water_by_location_and_period(a: Assessment, force: _Force) -> dict[tuple[int, str], dict[str, float]]:
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
                rows.append({**_base(a, location, "I Water"), "MEF": location["mef"], "CAP_Name": location["cap"],
                             "CAP_Names": f"{location['cap']}, {location['region']}", "DOS_Period": dos,
                             "Ration_Type": kind, "Ration_Cost": cost, "UI_Count": count,
                             "Total_UI_Cost": round(count * cost, 2)})  # fmt: skip
    return _COST_COLUMNS, rows


def _water_requirement(a, force, rng, items):
    columns = ["AssessmentNumber", "Class_of_Supply", "Ration_Type", "Region", "Region_MEF_Lead", "CAP_Name",
               "CAP_Names", "Location_ID", *[f"UI_Count_{d}" for d in (*_DOS, "BEYOND")],
               *[f"Total_UI_Cost_{d}" for d in (*_DOS, "BEYOND")], "Location_Name"]  # fmt: skip
    water = _water_by_location_and_period(a, force)
    rows = []
    for location in force.locations:
        for kind, cost in _WATER_TYPES.items():
            row = {**_base(a, location, "I Water"), "Ration_Type": kind, "CAP_Name": location["cap"],
                   "CAP_Names": f"{location['cap']}, {location['region']}"}  # fmt: skip
            for dos in (*_DOS, "BEYOND"):
                count = round(water.get((location["id"], dos), {}).get(kind, 0.0), 2)
                row[f"UI_Count_{dos}"], row[f"Total_UI_Cost_{dos}"] = count, round(count * cost, 2)
            rows.append(row)
    return columns, rows


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


def _equipment_rows(a: Assessment, force: _Force, rng: random.Random, klass: str) -> list[dict]:
    rows = []
    for unit in force.units:
        if unit["uic"].startswith("EPW"):
            continue
        location = unit["location"]
        for tamcn, group, name, price, length, width, height, stons, teu in rng.sample(_TAMCNS, 3):
            mission = rng.choice((4, 6, 8, 12, 16))
            for day in _replacement_days(a, rng):
                pos, _ = a.period_of(day)
                qty = float(rng.choice((0, 1, 1, 2)))  # some days replace nothing: the original drops those rows
                sqft, cuft = length * width / 144, length * width * height / 1728
                rows.append({
                    **_base(a, location, klass), **_unit_columns(unit, location), "POS": pos, "TAMCN_Group": group,
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


def _vi(a, force, rng, items):
    metrics = ("Units", "Units_NIIN_Qty", "Units_NIIN_Qty_Pallet_Qty", "Units_NIIN_Qty_Pallet_Tot_CuFT",
               "Units_NIIN_Qty_Pallet_Tot_Wt.lbs.", "Units_NIIN_Qty_Pallet_Tot_TEUs", "Units_NIIN_Qty_Pallet_Tot_FEUs")  # fmt: skip
    columns = ["AssessmentNumber", "Class_of_Supply", "HCP_Type", "DESCRIPTION", "TAMCN", "FSC", "NIIN", "NSN",
               "TPFDD_TAMCN", "TPFDD_NSN", "Description", "Region", "Region_MEF_Lead", "CAP_Name", "CAP_Names",
               "Location_ID", "Location_Name", "Unit.of.Issue", *[f"{d}_{m}" for m in metrics for d in _DOS]]  # fmt: skip
    rows = []
    for location in force.locations:
        people = sum(u["strength"] for u in force.units if u["location"] is location and not u["uic"].startswith("EPW"))
        for niin, hcp, description in _CLASS_VI:
            row = {**_base(a, location, "VI"), "HCP_Type": hcp, "DESCRIPTION": description, "TAMCN": "",
                   "FSC": 8970, "NIIN": niin, "NSN": f"8970-{niin.zfill(9)[:2]}-{niin.zfill(9)[2:5]}-{niin.zfill(9)[5:]}",
                   "TPFDD_TAMCN": "", "TPFDD_NSN": "", "Description": description.title(), "CAP_Name": location["cap"],
                   "CAP_Names": f"{location['cap']}, {location['region']}", "Unit.of.Issue": "BX"}  # fmt: skip
            share = {"HCP Male": 0.85, "HCP Female": 0.15, "HCP Supplemental": 0.3, "HCP Cold Weather": 0.0 if location["climate"] != "Cold" else 0.5}[hcp]
            for dos, (_, _, first, last) in zip(_DOS, a.periods()):
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
        owners = [u for u in force.units if u["location"] is location and not u["uic"].startswith("EPW")] or force.units[:1]
        for tamcn, _, name, _, length, width, height, stons, _ in rng.sample(_TAMCNS, 3):
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
                dims = (9999, 9999, 9999) if unknown_dims and rng.random() < 0.5 else (0, 12, 8) if unknown_dims else (
                    rng.randint(2, 30), rng.randint(2, 20), rng.randint(1, 12))
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
                row["Total_Value_Less_FIE"] = round(sum(row[f"Value_{p}"] for p in ("POS1", "POS2", "POS3", "BEYOND")), 2)
                row["Total_Value_Selected_Confidence"] = round(row["Total_Value_Less_FIE"] + row["Value_FIE"], 2)
                for level in _IX_LEVELS:
                    scale = 1 + (int(level) - 90) / 50
                    for p in _IX_PERIODS:
                        row[f"Value_{level}_{p}"] = round(row[f"Value_{p}"] * scale, 2)
                    row[f"Total_Value_{level}_Less_FIE"] = round(row["Total_Value_Less_FIE"] * scale, 2)
                    row[f"Total_Value_{level}_Confidence"] = round(row["Total_Value_Selected_Confidence"] * scale, 2)
                rows.append(row)
    return columns, rows


def _locations(a, force, rng, items):
    columns = ["Location_ID", "Designated_Name", "Region", "Country", "City", "Climate", "Theater", "Water_Level",
               "MEF_Lead", "Has_Class_VI", "Parent_Location_ID", "Has_EPW", "EPW_Is_Percent", "EPW_Value",
               "EPW_Start_Day", "EPW_Meals_Per_Day", "EPW_Has_Class_VI", "Is_EPW", "Region_MEF_Lead"]  # fmt: skip
    rows = []
    for location in force.locations:
        rows.append({
            "Location_ID": location["id"], "Designated_Name": location["name"], "Region": location["region"],
            "Country": location["country"], "City": location["city"], "Climate": location["climate"],
            "Theater": location["theater"], "Water_Level": rng.choice(("Low", "Medium", "High")),
            "MEF_Lead": location["mef"], "Has_Class_VI": "Y", "Parent_Location_ID": force.locations[0]["id"],
            "Has_EPW": "Y" if location["has_epw"] else "N", "EPW_Is_Percent": "N",
            "EPW_Value": 60 if location["has_epw"] else 0, "EPW_Start_Day": min(a.duration, 25) if location["has_epw"] else 0,
            "EPW_Meals_Per_Day": 3 if location["has_epw"] else 0, "EPW_Has_Class_VI": "N", "Is_EPW": "N",
            "Region_MEF_Lead": location["region_mef_lead"],
        })  # fmt: skip
    return columns, rows
