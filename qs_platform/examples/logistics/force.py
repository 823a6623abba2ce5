"""What the force of an assessment looks like: its locations and units, who is where on which day, the columns
every calculator file repeats, and Locations.csv."""

from __future__ import annotations

import random
from dataclasses import dataclass

from qs_platform.examples.logistics.assessment import Assessment

_REGIONS = (  # region (a US state or territory: QuickSight's STATE role), MEF, country, city, climate, theater
    ("Hawaii", "III MEF", "USA", "Kaneohe Bay", "Tropical", "INDOPACOM"),
    ("California", "I MEF", "USA", "Camp Pendleton", "Arid", "INDOPACOM"),
    ("North Carolina", "II MEF", "USA", "Camp Lejeune", "Temperate", "EUCOM"),
    ("Guam", "III MEF", "USA", "Apra Harbor", "Tropical", "INDOPACOM"),
    ("Alaska", "I MEF", "USA", "Fort Wainwright", "Cold", "NORTHCOM"),
    ("Virginia", "II MEF", "USA", "Norfolk", "Temperate", "EUCOM"),
)  # fmt: skip
_MSES = ("GCE", "ACE", "LCE", "CE")


@dataclass
class Force:
    """Locations and units of one assessment, and who is where on which day."""

    locations: list[dict]
    units: list[dict]  # uic, location index, mef, mse, service, strength, arrival day
    days: int

    def strength(self, unit: dict, day: int) -> int:
        return unit["strength"] if day >= unit["arrival"] else 0

    def flowin(self, unit: dict, day: int) -> int:
        return unit["strength"] if day == unit["arrival"] else 0


def build_force(assessment: Assessment, rng: random.Random) -> Force:
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
    return Force(locations, units, assessment.duration)


def base_columns(a: Assessment, location: dict, klass: str) -> dict:
    return {"AssessmentNumber": a.number, "Class_of_Supply": klass, "Region": location["region"],
            "Region_MEF_Lead": location["region_mef_lead"], "Location_ID": location["id"],
            "Location_Name": location["name"]}  # fmt: skip


def unit_columns(unit: dict, location: dict) -> dict:
    return {"Service": unit["service"], "MEF": unit["mef"], "MSE": unit["mse"], "CAP_Name": location["cap"],
            "CAP_Names": f"{location['cap']}, {location['region']}", "UIC": unit["uic"]}  # fmt: skip


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


#: the file this module writes: name -> (assessment, force, rng, items) -> (columns, rows)
FILES = {
    "Locations.csv": _locations,
}
