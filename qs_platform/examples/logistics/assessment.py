"""An assessment (a course of action): its periods of support, the demo's three, and the AssessmentTable and
AssessmentParameterDataMapTable rows it lands with."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field


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


#: the days-of-supply periods the calculators total (BEYOND is separate)
DOS = ("DOS1", "DOS2", "DOS3")


def assessment_rows(a: Assessment) -> tuple[dict, dict]:
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
