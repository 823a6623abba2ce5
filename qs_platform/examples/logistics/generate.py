"""One assessment folder: the assessment files, the Class IX items when none are given, and every calculator's
file, each from its own seeded generator."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qs_platform.examples.common import seeded
from qs_platform.examples.logistics import comfort, construction, equipment, fuel, repair_parts, subsistence, water
from qs_platform.examples.logistics import force as forces
from qs_platform.examples.logistics.assessment import ASSESSMENT_COLUMNS, PARAMETER_COLUMNS, Assessment, assessment_rows
from qs_platform.examples.logistics.classix import CLASSIX_COLUMNS, synthetic_classix
from qs_platform.examples.logistics.force import build_force
from qs_platform.examples.logistics.writing import write_csv

CALCULATORS = {
    **subsistence.FILES,
    **water.FILES,
    **equipment.FILES,
    **fuel.FILES,
    **construction.FILES,
    **comfort.FILES,
    **repair_parts.FILES,
    **forces.FILES,
}
#: the 14 generated files of an assessment folder (the other three are AssessmentTable.csv,
#: AssessmentParameterDataMapTable.csv and classix_dimensional_data.csv)
LOGISTICS_FILES = tuple(CALCULATORS)


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
        row, parameters = assessment_rows(assessment)
        keys.append(write_csv(out, f"{folder}/AssessmentTable.csv", ASSESSMENT_COLUMNS, [row]))
        keys.append(write_csv(out, f"{folder}/AssessmentParameterDataMapTable.csv", PARAMETER_COLUMNS, [parameters]))
    if items is None:
        items = synthetic_classix(seeded("logistics-classix", seed, assessment.number))
        keys.append(write_csv(out, f"{folder}/classix_dimensional_data.csv", CLASSIX_COLUMNS, items))
    force = build_force(assessment, rng)
    for name, writer in CALCULATORS.items():
        columns, rows = writer(assessment, force, seeded("logistics", seed, assessment.number, name), items)
        keys.append(write_csv(out, f"{folder}/{name}", columns, rows))
    return keys
